package dev.options.rest;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.Definition;
import dev.options.option.DefaultImpact;
import dev.options.option.OptionService;
import dev.options.option.RenameMigration;
import dev.options.registry.OptionRegistry;
import dev.options.scope.ScopeKind;
import dev.options.security.Access;
import dev.options.value.OptionJson;
import io.smallrye.mutiny.Uni;

/** The registry as JSON, so that a client can build a settings page from it. */
@Path("/v1/definitions")
@Produces(MediaType.APPLICATION_JSON)
public class DefinitionsResource {

    private final OptionRegistry registry;
    private final OptionsConfig config;
    private final RenameMigration migration;
    private final DefaultImpact impact;
    private final Access access;
    private final OptionService service;

    public DefinitionsResource(OptionRegistry registry, OptionsConfig config, RenameMigration migration, DefaultImpact impact,
            Access access, OptionService service) {
        this.registry = registry;
        this.config = config;
        this.migration = migration;
        this.impact = impact;
        this.access = access;
        this.service = service;
    }

    @GET
    public Response list() {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("strict", config.registry().strict());
        document.put("epoch", registry.epoch());
        ArrayNode definitions = document.putArray("definitions");
        registry.definitions().forEach(definition -> definitions.add(definition.describe()));
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build();
    }

    @GET
    @Path("{key}/impact")
    public Uni<Response> impact(@PathParam("key") String key,
            @QueryParam("default") String candidate) {
        return access.readAll().map(allowed -> {
            Definition definition = registry.named(service.key(key))
                    .filter(found -> !found.isPrefix())
                    .orElseThrow(() -> new ProblemException(ProblemType.UNKNOWN_DEFINITION, "no key of its own is defined by this name"));
            if (candidate == null) {
                throw new ProblemException(ProblemType.INVALID_PARAMETER, "default must give the candidate default as JSON, as default=%22dark%22");
            }
            return Map.entry(definition, candidate(definition, candidate));
        }).chain(asked -> {
            Definition definition = asked.getKey();
            JsonNode value = asked.getValue();
            return impact.of(definition, value).map(counts -> {
                    ObjectNode document = OptionJson.MAPPER.createObjectNode();
                    document.put("key", definition.key());
                    document.set("default", value);
                    ObjectNode byKind = document.putObject("scopes");
                    long total = 0;
                    for (Map.Entry<ScopeKind, Long> count : counts.entrySet()) {
                        byKind.put(count.getKey().label(), count.getValue().longValue());
                        total += count.getValue();
                    }
                    document.put("total", total);
                    return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build();
                });
        });
    }

    /**
     * The candidate default, checked as a value to store is, wherever the key applies: JSON, not null,
     * within the size limit, normalized, satisfying the definition (422 naming the key otherwise).
     */
    private JsonNode candidate(Definition definition, String text) {
        JsonNode value = OptionJson.parseBody(text.getBytes(StandardCharsets.UTF_8));
        for (ScopeKind kind : definition.scopes()) {
            value = service.validated(kind, definition.key(), value);
        }
        return value;
    }

    @GET
    @Path("{key}")
    public Uni<Response> one(@PathParam("key") String key) {
        Definition definition = registry.named(registry.canonical(key))
                .or(() -> registry.definition(key))
                .orElseThrow(() -> new ProblemException(ProblemType.UNKNOWN_DEFINITION, "no definition governs this key"));
        ObjectNode document = definition.describe();
        if (definition.renamedFrom().isEmpty()) {
            return Uni.createFrom().item(Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build());
        }
        return migration.remaining(definition.key()).map(rows -> {
            if (rows > 0) {
                document.putObject("migration").put("remaining", rows);
            }
            return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build();
        });
    }
}
