package dev.options.rest;

import java.util.Map;

import jakarta.ws.rs.Consumes;
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
 * A scope's epoch of defaults under its base path {@code {B}}: {@code GET {B}/epoch} and
 * {@code PUT {B}/epoch}, which moves the scope to a later epoch (not above the registry's) as a write
 * of the scope: a new version, an event naming the keys whose default changes, a history entry.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class EpochResource {

    private static final String BASE = "{kind: organizations|projects|users}/{id}/epoch";
    private static final String NARROWED = "users/{userId}/{narrowing: projects|organizations}/{narrowedId}/epoch";

    private final OptionService service;
    private final Access access;
    private final Writes writes;

    public EpochResource(OptionService service, Access access, Writes writes) {
        this.service = service;
        this.access = access;
        this.writes = writes;
    }

    @GET
    @Path(BASE)
    public Uni<Response> read(@PathParam("kind") String kind, @PathParam("id") String id,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma) {
        return read(ScopeOptionsResource.scope(kind, id), cacheControl, pragma);
    }

    @GET
    @Path(NARROWED)
    public Uni<Response> readNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId,
            @HeaderParam(HttpHeaders.CACHE_CONTROL) String cacheControl, @HeaderParam("Pragma") String pragma) {
        return read(ScopeOptionsResource.narrowed(userId, narrowing, narrowedId), cacheControl, pragma);
    }

    @PUT
    @Path(BASE)
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> move(@PathParam("kind") String kind, @PathParam("id") String id,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        return move(ScopeOptionsResource.scope(kind, id), ifMatch, contentType, body);
    }

    @PUT
    @Path(NARROWED)
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> moveNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        return move(ScopeOptionsResource.narrowed(userId, narrowing, narrowedId), ifMatch, contentType, body);
    }

    private Uni<Response> read(Scope scope, String cacheControl, String pragma) {
        ReadFlag flag = Conditional.readFlag(cacheControl, pragma);
        return access.read(scope).chain(() -> service.read(scope, flag)).map(this::epoch);
    }

    private Uni<Response> move(Scope scope, String ifMatch, String contentType, byte[] body) {
        Bodies.requireMediaType(contentType, "send the body as application/json");
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return writes.allowed(scope, Channel.API).map(allowed -> epochOf(body))
                .chain(epoch -> service.update(scope, precondition, (current, staging) -> {
                    if (epoch < current.epoch()) {
                        throw new ProblemException(ProblemType.INVALID_EPOCH, "the scope is at epoch " + current.epoch()
                                + "; a scope moves only to a later epoch", Map.<String, Object>of("epoch", current.epoch()));
                    }
                    if (epoch != current.epoch()) {
                        staging.moveToEpoch(epoch);
                    }
                }))
                .map(this::epoch);
    }

    /** The epoch a move's body names: {@code {"epoch": <1 or more>}} and nothing else, not above the registry's. */
    private int epochOf(byte[] body) {
        String shape = "{\"epoch\": <an epoch, 1 or more>}";
        JsonNode epoch = Bodies.onlyMember(body, "epoch", shape);
        if (!epoch.isIntegralNumber() || !epoch.canConvertToInt() || epoch.intValue() < 1) {
            throw new ProblemException(ProblemType.INVALID_VALUE, "the body must be " + shape);
        }
        if (epoch.intValue() > service.currentEpoch()) {
            throw new ProblemException(ProblemType.INVALID_EPOCH, "the registry's current epoch is " + service.currentEpoch()
                    + "; a scope moves at most to it", Map.<String, Object>of("current", service.currentEpoch()));
        }
        return epoch.intValue();
    }

    private Response epoch(ScopeView view) {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("epoch", view.epoch());
        document.put("current", service.currentEpoch());
        document.put("version", view.version());
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, Conditional.etag(view.version()))
                .build();
    }
}
