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

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.option.Channel;
import dev.options.option.IfMatch;
import dev.options.option.MergePatch;
import dev.options.option.OptionService;
import dev.options.option.ReadFlag;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import dev.options.security.Access;
import dev.options.value.OptionJson;
import io.smallrye.mutiny.Uni;

/**
 * The endpoints of a scope, the same for all five kinds: read it whole or one key, set, unset,
 * merge-patch, reset. Two path families name the five kinds: {@code /v1/organizations|projects|users/{id}/options}
 * and {@code /v1/users/{userId}/projects|organizations/{id}/options}; each endpoint has one method per
 * family that names the scope and hands over. (Declared paths, not sub-resource locators, which
 * cost a routing-table build on every request.) Everything here is request parsing; the service
 * does the work.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class ScopeOptionsResource {

    static final String MERGE_PATCH_JSON = "application/merge-patch+json";
    private static final String SCOPE = "{kind: organizations|projects|users}/{id}/options";
    private static final String NARROWED = "users/{userId}/{narrowing: projects|organizations}/{narrowedId}/options";

    private final OptionService service;
    private final Access access;
    private final Writes writes;

    public ScopeOptionsResource(OptionService service, Access access, Writes writes) {
        this.service = service;
        this.access = access;
        this.writes = writes;
    }

    /** The scope of {@code /v1/{kind}/{id}/options}. */
    static Scope scope(String kind, String id) {
        return switch (kind) {
            case "organizations" -> Scope.organization(Ids.parse("organizationId", id));
            case "projects" -> Scope.project(Ids.parse("projectId", id));
            default -> Scope.user(Ids.parse("userId", id));
        };
    }

    /** The scope of {@code /v1/users/{userId}/{narrowing}/{narrowedId}/options}. */
    static Scope narrowed(String userId, String narrowing, String narrowedId) {
        long user = Ids.parse("userId", userId);
        return narrowing.equals("projects")
                ? Scope.userInProject(user, Ids.parse("projectId", narrowedId))
                : Scope.userInOrganization(user, Ids.parse("organizationId", narrowedId));
    }

    // --- one method per endpoint and path family ---------------------------------------------------

    @GET
    @Path(SCOPE)
    public Uni<Response> read(@PathParam("kind") String kind, @PathParam("id") String id,
            @QueryParam("defaults") String defaults,
            @QueryParam("inherit") String inherit,
            @QueryParam("version") String version,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return read(scope(kind, id), defaults, inherit, version, cacheControl, pragma, ifNoneMatch);
    }

    @GET
    @Path(NARROWED)
    public Uni<Response> readNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId,
            @QueryParam("defaults") String defaults,
            @QueryParam("inherit") String inherit,
            @QueryParam("version") String version,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return read(narrowed(userId, narrowing, narrowedId), defaults, inherit, version, cacheControl, pragma, ifNoneMatch);
    }

    @GET
    @Path(SCOPE + "/{key}")
    public Uni<Response> get(@PathParam("kind") String kind, @PathParam("id") String id, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return get(scope(kind, id), key, cacheControl, pragma, ifNoneMatch);
    }

    @GET
    @Path(NARROWED + "/{key}")
    public Uni<Response> getNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma,
            @HeaderParam(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        return get(narrowed(userId, narrowing, narrowedId), key, cacheControl, pragma, ifNoneMatch);
    }

    @GET
    @Path(SCOPE + "/{key}/explain")
    public Uni<Response> explain(@PathParam("kind") String kind, @PathParam("id") String id, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma) {
        return explain(scope(kind, id), key, cacheControl, pragma);
    }

    @GET
    @Path(NARROWED + "/{key}/explain")
    public Uni<Response> explainNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma) {
        return explain(narrowed(userId, narrowing, narrowedId), key, cacheControl, pragma);
    }

    @PUT
    @Path(SCOPE + "/{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> put(@PathParam("kind") String kind, @PathParam("id") String id, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        return put(scope(kind, id), key, ifMatch, contentType, body);
    }

    @PUT
    @Path(NARROWED + "/{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> putNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        return put(narrowed(userId, narrowing, narrowedId), key, ifMatch, contentType, body);
    }

    @DELETE
    @Path(SCOPE + "/{key}")
    public Uni<Response> unset(@PathParam("kind") String kind, @PathParam("id") String id, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return unset(scope(kind, id), key, ifMatch);
    }

    @DELETE
    @Path(NARROWED + "/{key}")
    public Uni<Response> unsetNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return unset(narrowed(userId, narrowing, narrowedId), key, ifMatch);
    }

    @PATCH
    @Path(SCOPE)
    @Consumes({ MERGE_PATCH_JSON, MediaType.APPLICATION_JSON })
    public Uni<Response> patch(@PathParam("kind") String kind, @PathParam("id") String id,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        return patch(scope(kind, id), ifMatch, contentType, body);
    }

    @PATCH
    @Path(NARROWED)
    @Consumes({ MERGE_PATCH_JSON, MediaType.APPLICATION_JSON })
    public Uni<Response> patchNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        return patch(narrowed(userId, narrowing, narrowedId), ifMatch, contentType, body);
    }

    @DELETE
    @Path(SCOPE)
    public Uni<Response> reset(@PathParam("kind") String kind, @PathParam("id") String id,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return reset(scope(kind, id), ifMatch);
    }

    @DELETE
    @Path(NARROWED)
    public Uni<Response> resetNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return reset(narrowed(userId, narrowing, narrowedId), ifMatch);
    }

    @PUT
    @Path(SCOPE)
    public Uni<Response> replaceScope(@PathParam("kind") String kind, @PathParam("id") String id) {
        throw notAllowed();
    }

    @PUT
    @Path(NARROWED)
    public Uni<Response> replaceNarrowed(@PathParam("userId") String userId) {
        throw notAllowed();
    }

    // --- the endpoints, for any scope ------------------------------------------------------------

    private Uni<Response> read(Scope scope, String defaults, String inherit, String version, String cacheControl, String pragma,
            String ifNoneMatch) {
        boolean excludeDefaults = excludeDefaults(defaults);
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        if (version != null) {
            if (flag("inherit", inherit)) {
                throw new ProblemException(ProblemType.INVALID_PARAMETER, "version= reads the scope's own options; drop inherit=true");
            }
            long at = version.matches("0+") ? 0 : Ids.parse("version", version);
            return access.read(scope).chain(() -> service.readAt(scope, at)).map(view -> Conditional.noneMatchNames(ifNoneMatch, view.version())
                    ? Documents.notModified(Conditional.etag(view.version()))
                    : Documents.scope(view, excludeDefaults));
        }
        if (flag("inherit", inherit)) {
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
        if (excludeDefaults) {
            return access.read(scope).chain(() -> service.read(scope, flag)).map(view -> Conditional.noneMatchNames(ifNoneMatch, view.version())
                    ? Documents.notModified(Conditional.etag(view.version()))
                    : Documents.scope(view, true));
        }
        return access.read(scope).chain(() -> service.readDocument(scope, flag)).map(document -> Conditional.noneMatchNames(ifNoneMatch, document.version())
                ? Documents.notModified(Conditional.etag(document.version()))
                : Documents.document(document));
    }

    private Uni<Response> explain(Scope scope, String named, String cacheControl, String pragma) {
        String key = service.key(named);
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        return access.read(scope).chain(() -> service.inherited(scope, flag)).map(view -> Documents.explain(key, view,
                service.defaultValue(scope.kind(), key, view.own().epoch()), kind -> service.appliesTo(kind, key)));
    }

    private Uni<Response> get(Scope scope, String named, String cacheControl, String pragma, String ifNoneMatch) {
        String key = service.key(named);
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        return access.read(scope).chain(() -> service.read(scope, flag)).map(view -> {
            JsonNode value = view.options().get(key);
            if (value == null) {
                throw new ProblemException(ProblemType.UNKNOWN_OPTION, "the option is neither stored in this scope nor defaulted");
            }
            return deprecation(Conditional.noneMatchNames(ifNoneMatch, view.version())
                    ? Documents.notModified(Conditional.etag(view.version()))
                    : Documents.value(value, view.version()), List.of(key));
        });
    }

    private Uni<Response> put(Scope scope, String named, String ifMatch, String contentType, byte[] body) {
        String key = service.key(named);
        requireContentType(contentType);
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        // the body is parsed and checked only for a caller who may write the scope
        return writes.allowed(scope, Channel.API)
                .map(allowed -> service.validated(scope.kind(), key, OptionJson.parseBody(body)))
                .chain(value -> service.update(scope, precondition, (current, staging) -> staging.set(key, value)))
                .map(view -> deprecation(Documents.scope(view, false), List.of(key)));
    }

    private Uni<Response> unset(Scope scope, String named, String ifMatch) {
        String key = service.key(named);
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return writes.allowed(scope, Channel.API).chain(() -> service.update(scope, precondition, (current, staging) -> staging.unset(key)))
                .map(view -> deprecation(Documents.scope(view, false), List.of(key)));
    }

    private Uni<Response> patch(Scope scope, String ifMatch, String contentType, byte[] body) {
        requireContentType(contentType);
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        // the body is parsed and checked only for a caller who may write the scope
        return writes.allowed(scope, Channel.API).map(allowed -> patchMembers(body)).chain(members -> service.update(scope, precondition, (current, staging) -> {
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
        }).map(view -> deprecation(Documents.scope(view, false), members.stream().map(Map.Entry::getKey).toList())));
    }

    /**
     * A merge patch's members, keys checked (an old name read as the key it was renamed to) and values
     * canonical (nulls kept: they are removals).
     */
    private List<Map.Entry<String, JsonNode>> patchMembers(byte[] body) {
        JsonNode patch = OptionJson.parseBody(body);
        if (!patch.isObject()) {
            throw new ProblemException(ProblemType.INVALID_VALUE, "a merge patch of a scope must be a JSON object of option keys");
        }
        List<Map.Entry<String, JsonNode>> members = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> member = it.next();
            String key = service.key(member.getKey());
            if (members.stream().anyMatch(named -> named.getKey().equals(key))) {
                throw new ProblemException(ProblemType.INVALID_VALUE, "the merge patch names " + key
                        + " twice (under its name and an old one, or two old ones)");
            }
            // nested nulls are removals, so only the merged value can be checked in full
            members.add(Map.entry(key,
                    member.getValue().isNull() ? member.getValue() : OptionJson.canonical(member.getValue())));
        }
        return members;
    }

    private Uni<Response> reset(Scope scope, String ifMatch) {
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return writes.allowed(scope, Channel.API).chain(() -> service.update(scope, precondition, (current, staging) -> staging.reset()))
                .map(view -> Documents.scope(view, false));
    }

    /**
     * {@code response} with a {@code Deprecation: true} header when one of {@code keys} is deprecated
     * by its definition (each such use counted).
     */
    private Response deprecation(Response response, List<String> keys) {
        boolean deprecated = false;
        for (String key : keys) {
            deprecated |= service.deprecated(key);
        }
        return deprecated ? Response.fromResponse(response).header("Deprecation", "true").build() : response;
    }

    /** A scope is changed by key or by merge patch; replacing it whole is not part of the contract. */
    private static NotAllowedException notAllowed() {
        return new NotAllowedException("a scope is changed by key or by merge patch",
                new String[] { HttpMethod.GET, HttpMethod.PATCH, HttpMethod.DELETE });
    }

    /** A body without a media type is not taken for JSON: 415, like any other media type. */
    private static void requireContentType(String contentType) {
        Bodies.requireMediaType(contentType, "send the body as application/json (or application/merge-patch+json to PATCH)");
    }

    /** A query parameter that is {@code true} or {@code false} (absent: false); anything else is a 400 naming it. */
    static boolean flag(String name, String value) {
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw new ProblemException(ProblemType.INVALID_PARAMETER, name + " must be true or false");
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
