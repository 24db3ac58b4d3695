package dev.options.rest;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.option.IfMatch;
import dev.options.option.MergePatch;
import dev.options.option.OptionJson;
import dev.options.option.OptionKeys;
import dev.options.option.OptionService;
import dev.options.option.ReadFlag;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import dev.options.security.Access;
import io.smallrye.mutiny.Uni;

/**
 * The endpoints of one scope, the same for all five kinds: read it whole or one key, set, unset,
 * merge-patch, reset. Everything here is request parsing; the service does the work.
 */
@Produces(MediaType.APPLICATION_JSON)
public class ScopeOptionsResource {

    static final String MERGE_PATCH_JSON = "application/merge-patch+json";

    private final Scope scope;
    private final OptionService service;
    private final Access access;

    ScopeOptionsResource(Scope scope, OptionService service, Access access) {
        this.scope = scope;
        this.service = service;
        this.access = access;
    }

    @GET
    @Operation(summary = "Read the scope", description = "The scope document: version and effective options."
            + " Cache-Control: no-cache reads the primary database. If-None-Match with the current version answers 304."
            + " inherit=true adds what the scope inherits (defaults < the user's own scope < this scope) and the"
            + " source of every value.")
    public Uni<Response> read(
            @Parameter(description = "exclude: stored values only, without defaults") @QueryParam("defaults") String defaults,
            @Parameter(description = "true: resolve inheritance and report sources") @QueryParam("inherit") String inherit,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl,
            @HeaderParam("Pragma") String pragma,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        boolean excludeDefaults = excludeDefaults(defaults);
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        if (inherit(inherit)) {
            if (excludeDefaults) {
                throw new ProblemException(ProblemType.INVALID_PARAMETER, "inherit=true includes defaults; drop defaults=exclude");
            }
            return access.read(scope).chain(() -> service.inherited(scope, flag)).map(view -> {
                String etag = Documents.inheritedEtag(view);
                return Conditional.noneMatchNamesTag(ifNoneMatch, etag)
                        ? Documents.notModified(etag)
                        : Documents.inherited(view, etag);
            });
        }
        return access.read(scope).chain(() -> service.read(scope, flag)).map(view -> Conditional.noneMatchNames(ifNoneMatch, view.version())
                ? Documents.notModified(Conditional.etag(view.version()))
                : Documents.scope(view, excludeDefaults));
    }

    @GET
    @Path("{key}")
    @Operation(summary = "Read one option", description = "The bare JSON value, stored or defaulted; 404 if neither.")
    public Uni<Response> get(
            @PathParam("key") String key,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl,
            @HeaderParam("Pragma") String pragma,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        OptionKeys.require(key);
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        return access.read(scope).chain(() -> service.read(scope, flag)).map(view -> {
            JsonNode value = view.options().get(key);
            if (value == null) {
                throw new ProblemException(ProblemType.UNKNOWN_OPTION, "the option is neither stored in this scope nor defaulted");
            }
            return Conditional.noneMatchNames(ifNoneMatch, view.version())
                    ? Documents.notModified(Conditional.etag(view.version()))
                    : Documents.value(value, view.version());
        });
    }

    @PUT
    @Path("{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Set one option", description = "The body is the bare JSON value (not null).")
    public Uni<Response> put(
            @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        OptionKeys.require(key);
        requireContentType(contentType);
        JsonNode value = service.validated(scope.kind(), key, OptionJson.parseBody(body));
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return access.write(scope).chain(() -> service.update(scope, precondition, (current, staging) -> staging.set(key, value)))
                .map(view -> Documents.scope(view, false));
    }

    @DELETE
    @Path("{key}")
    @Operation(summary = "Unset one option", description = "Idempotent; the default applies again.")
    public Uni<Response> unset(
            @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        OptionKeys.require(key);
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return access.write(scope).chain(() -> service.update(scope, precondition, (current, staging) -> staging.unset(key)))
                .map(view -> Documents.scope(view, false));
    }

    @PATCH
    @Consumes({ MERGE_PATCH_JSON, MediaType.APPLICATION_JSON })
    @Operation(summary = "Change several options atomically",
            description = "JSON Merge Patch (RFC 7396): a member sets its key, a null member unsets it, an object"
                    + " member merges into an object value recursively. All of it or none of it.")
    public Uni<Response> patch(
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        requireContentType(contentType);
        JsonNode patch = OptionJson.parseBody(body);
        if (!patch.isObject()) {
            throw new ProblemException(ProblemType.INVALID_VALUE, "a merge patch of a scope must be a JSON object of option keys");
        }
        List<Map.Entry<String, JsonNode>> members = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> member = it.next();
            OptionKeys.require(member.getKey());
            // nested nulls are removals, so only the merged value can be checked in full
            members.add(Map.entry(member.getKey(),
                    member.getValue().isNull() ? member.getValue() : OptionJson.canonical(member.getValue())));
        }
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return access.write(scope).chain(() -> service.update(scope, precondition, (current, staging) -> {
            Map<String, JsonNode> sets = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> member : members) {
                if (member.getValue().isNull()) {
                    staging.unset(member.getKey());
                } else {
                    sets.put(member.getKey(), MergePatch.apply(current.options().get(member.getKey()), member.getValue()));
                }
            }
            // every failing key is reported at once, and nothing is written
            service.validatedAll(scope.kind(), sets).forEach(staging::set);
        })).map(view -> Documents.scope(view, false));
    }

    @DELETE
    @Operation(summary = "Reset the scope", description = "Unsets every stored option; defaults apply again.")
    public Uni<Response> reset(@HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return access.write(scope).chain(() -> service.update(scope, precondition, (current, staging) -> staging.reset()))
                .map(view -> Documents.scope(view, false));
    }

    @PUT
    @Operation(hidden = true)
    public Uni<Response> replaceScope() {
        // a scope is changed by key or by merge patch; replacing it whole is not part of the contract
        throw new NotAllowedException("a scope is changed by key or by merge patch",
                new String[] { HttpMethod.GET, HttpMethod.PATCH, HttpMethod.DELETE });
    }

    /** A body without a media type is not taken for JSON: 415, like any other media type. */
    private static void requireContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            throw new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "send the body as application/json (or application/merge-patch+json to PATCH)");
        }
    }

    private static boolean inherit(String inherit) {
        if (inherit == null || inherit.equals("false")) {
            return false;
        }
        if (inherit.equals("true")) {
            return true;
        }
        throw new ProblemException(ProblemType.INVALID_PARAMETER, "inherit must be true or false");
    }

    private static boolean excludeDefaults(String defaults) {
        if (defaults == null || defaults.equals("include")) {
            return false;
        }
        if (defaults.equals("exclude")) {
            return true;
        }
        throw new ProblemException(ProblemType.INVALID_PARAMETER, "defaults must be include or exclude");
    }
}
