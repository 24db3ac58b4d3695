package dev.options.rest;

import java.math.BigInteger;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.option.Channel;
import dev.options.option.IfMatch;
import dev.options.option.OptionService;
import dev.options.option.ReadFlag;
import dev.options.option.ScopeView;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import dev.options.security.Access;
import dev.options.value.OptionJson;
import io.smallrye.mutiny.Uni;

/**
 * The hierarchy's own endpoints: which organization a project belongs to, and the locks by which an
 * organization or a project enforces a value on the scopes below it. Both are state of the scope
 * concerned, saved like its options (version, event), and need the right to write it.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class HierarchyResource {

    private static final String LOCKING = "{kind: organizations|projects}/{id}/locks/{key}";

    private final OptionService service;
    private final Access access;
    private final Writes writes;

    public HierarchyResource(OptionService service, Access access, Writes writes) {
        this.service = service;
        this.access = access;
        this.writes = writes;
    }

    @PUT
    @Path("projects/{projectId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> register(@PathParam("projectId") String projectId, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        Scope project = Scope.project(Ids.parse("projectId", projectId));
        Bodies.requireMediaType(contentType, "send the body as application/json");
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return writes.allowed(project, Channel.API).map(allowed -> organizationOf(body))
                .chain(organization -> service.update(project, precondition, (current, staging) -> staging.belongTo(organization)))
                .map(HierarchyResource::registration);
    }

    @GET
    @Path("projects/{projectId}")
    public Uni<Response> registered(@PathParam("projectId") String projectId,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma) {
        Scope project = Scope.project(Ids.parse("projectId", projectId));
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        return access.read(project).chain(() -> service.read(project, flag)).map(view -> {
            if (view.organization() == null) {
                throw new ProblemException(ProblemType.NOT_FOUND, "the project was never registered in an organization");
            }
            return registration(view);
        });
    }

    @PUT
    @Path(LOCKING)
    public Uni<Response> lock(@PathParam("kind") String kind, @PathParam("id") String id, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return locking(kind, id, key, ifMatch, true);
    }

    @DELETE
    @Path(LOCKING)
    public Uni<Response> unlock(@PathParam("kind") String kind, @PathParam("id") String id, @PathParam("key") String key,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return locking(kind, id, key, ifMatch, false);
    }

    private Uni<Response> locking(String kind, String id, String named, String ifMatch, boolean lock) {
        Scope scope = ScopeOptionsResource.scope(kind, id);
        String key = service.key(named);
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return writes.allowed(scope, Channel.LOCK).chain(() -> service.update(scope, precondition, (current, staging) -> {
            if (lock) {
                staging.lock(key);
            } else {
                staging.unlock(key);
            }
        })).map(view -> Documents.scope(view, false));
    }

    /** The organization a registration's body names: {@code {"organization": <identifier>}} and nothing else. */
    private static long organizationOf(byte[] body) {
        JsonNode organization = Bodies.onlyMember(body, "organization", "{\"organization\": <identifier>}");
        if (!organization.isIntegralNumber() || organization.bigIntegerValue().signum() < 1
                || organization.bigIntegerValue().compareTo(BigInteger.valueOf(Long.MAX_VALUE)) > 0) {
            throw new ProblemException(ProblemType.INVALID_IDENTIFIER, "organization must be an integer from 1 to 9223372036854775807");
        }
        return organization.longValue();
    }

    private static Response registration(ScopeView view) {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("project", view.scope().ids().get(0));
        document.put("organization", view.organization());
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, Conditional.etag(view.version()))
                .build();
    }
}
