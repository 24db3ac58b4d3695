package dev.options.rest;

import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.option.Channel;
import dev.options.option.IfMatch;
import dev.options.option.OptionService;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import dev.options.security.Access;
import dev.options.store.HistoryStore;
import dev.options.value.OptionJson;
import io.smallrye.mutiny.Uni;

/**
 * A scope's history and the revert to an earlier version, under the scope's base path {@code {B}}
 * ({@code {S}} without {@code /options}): {@code GET {B}/history}, {@code POST {B}/revert}.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class HistoryResource {

    private static final String BASE = "{kind: organizations|projects|users}/{id}";
    private static final String NARROWED = "users/{userId}/{narrowing: projects|organizations}/{narrowedId}";
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;

    private final OptionService service;
    private final Access access;
    private final Writes writes;

    public HistoryResource(OptionService service, Access access, Writes writes) {
        this.service = service;
        this.access = access;
        this.writes = writes;
    }

    @GET
    @Path(BASE + "/history")
    public Uni<Response> history(@PathParam("kind") String kind, @PathParam("id") String id,
            @QueryParam("key") String key,
            @QueryParam("before") String before,
            @QueryParam("limit") String limit) {
        return history(ScopeOptionsResource.scope(kind, id), key, before, limit);
    }

    @GET
    @Path(NARROWED + "/history")
    public Uni<Response> historyNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId,
            @QueryParam("key") String key,
            @QueryParam("before") String before,
            @QueryParam("limit") String limit) {
        return history(ScopeOptionsResource.narrowed(userId, narrowing, narrowedId), key, before, limit);
    }

    @POST
    @Path(BASE + "/revert")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> revert(@PathParam("kind") String kind, @PathParam("id") String id,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        return revert(ScopeOptionsResource.scope(kind, id), ifMatch, contentType, body);
    }

    @POST
    @Path(NARROWED + "/revert")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> revertNarrowed(@PathParam("userId") String userId, @PathParam("narrowing") String narrowing,
            @PathParam("narrowedId") String narrowedId, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        return revert(ScopeOptionsResource.narrowed(userId, narrowing, narrowedId), ifMatch, contentType, body);
    }

    private Uni<Response> history(Scope scope, String named, String before, String limit) {
        String key = named == null ? null : service.key(named);
        Long below = before == null ? null : Ids.parse("before", before);
        int count = limit == null ? DEFAULT_LIMIT : limit(limit);
        return access.read(scope).chain(() -> service.history(scope, key, below, count)).map(page -> {
            ObjectNode document = OptionJson.MAPPER.createObjectNode();
            ArrayNode entries = document.putArray("entries");
            page.entries().forEach(entry -> entries.add(entry(entry)));
            if (page.next() == null) {
                document.putNull("next");
            } else {
                document.put("next", String.valueOf(page.next()));
            }
            return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build();
        });
    }

    private static int limit(String text) {
        if (text.matches("[0-9]{1,4}")) {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        }
        throw new ProblemException(ProblemType.INVALID_PARAMETER, "limit must be an integer from 1 to " + MAX_LIMIT);
    }

    private static ObjectNode entry(HistoryStore.Recorded recorded) {
        ObjectNode entry = OptionJson.MAPPER.createObjectNode();
        entry.put("version", recorded.version());
        entry.put("at", DateTimeFormatter.ISO_INSTANT.format(recorded.at().toInstant().truncatedTo(ChronoUnit.MILLIS)));
        if (recorded.actor() != null) {
            entry.put("actor", recorded.actor());
        }
        entry.put("channel", recorded.channel());
        entry.set("changes", recorded.changes());
        return entry;
    }

    private Uni<Response> revert(Scope scope, String ifMatch, String contentType, byte[] body) {
        Bodies.requireMediaType(contentType, "send the body as application/json");
        IfMatch precondition = Conditional.ifMatch(ifMatch);
        return writes.allowed(scope, Channel.API).map(allowed -> versionOf(body))
                .chain(version -> service.revert(scope, version, precondition))
                .map(view -> Documents.scope(view, false));
    }

    /** The version a revert's body names: {@code {"version": <0 or more>}} and nothing else. */
    private static long versionOf(byte[] body) {
        String shape = "{\"version\": <a version, 0 or more>}";
        JsonNode version = Bodies.onlyMember(body, "version", shape);
        if (!version.canConvertToLong() || !version.isIntegralNumber() || version.longValue() < 0) {
            throw new ProblemException(ProblemType.INVALID_VALUE, "the body must be " + shape);
        }
        return version.longValue();
    }
}
