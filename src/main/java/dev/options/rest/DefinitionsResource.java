package dev.options.rest;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.Definition;
import dev.options.registry.OptionRegistry;
import dev.options.value.OptionJson;

/** The registry as JSON, so that a client can build a settings page from it. */
@Path("/v1/definitions")
@Produces(MediaType.APPLICATION_JSON)
public class DefinitionsResource {

    private final OptionRegistry registry;
    private final OptionsConfig config;

    public DefinitionsResource(OptionRegistry registry, OptionsConfig config) {
        this.registry = registry;
        this.config = config;
    }

    @GET
    @Operation(summary = "List every option definition",
            description = "Keys and prefix patterns with their scopes, type, constraints, defaults per scope kind,"
                    + " pinDefaults, normalizer and deprecation; strict tells whether undefined keys are refused.")
    public Response list() {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("strict", config.registry().strict());
        ArrayNode definitions = document.putArray("definitions");
        registry.definitions().forEach(definition -> definitions.add(definition.describe()));
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build();
    }

    @GET
    @Path("{key}")
    @Operation(summary = "The definition of one key",
            description = "By its own key or pattern, else the prefix definition that governs the key; 404 if none.")
    public Response one(@PathParam("key") String key) {
        Definition definition = registry.named(key)
                .or(() -> registry.definition(key))
                .orElseThrow(() -> new ProblemException(ProblemType.UNKNOWN_DEFINITION, "no definition governs this key"));
        return Response.ok(OptionJson.write(definition.describe()), MediaType.APPLICATION_JSON_TYPE).build();
    }
}
