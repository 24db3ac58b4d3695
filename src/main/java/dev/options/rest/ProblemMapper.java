package dev.options.rest;

import java.util.Map;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.store.PostgresWaits;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.vertx.core.http.HttpServerRequest;

/**
 * Turns every failure into a problem document: a client's mistakes into their 4xx (not logged),
 * an unreachable database into 503 with {@code Retry-After}, anything else into a bare 500 logged
 * once with its context. No stack trace, class name or SQL ever reaches a response.
 */
public class ProblemMapper {

    private final OptionsConfig config;

    public ProblemMapper(OptionsConfig config) {
        this.config = config;
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e, HttpServerRequest request) {
        Response.ResponseBuilder response = respond(e.type(), e.type().status(), e.detail(), request, e.extensions());
        if (e.type() == ProblemType.UNAUTHORIZED) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        return response.build();
    }

    /** A token that is present but malformed, expired, wrongly signed or meant for another issuer or audience. */
    @ServerExceptionMapper
    public Response unauthenticated(AuthenticationFailedException e, HttpServerRequest request) {
        return respond(ProblemType.UNAUTHORIZED, 401, "the bearer token is not valid", request, Map.of())
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
                .build();
    }

    @ServerExceptionMapper
    public Response framework(WebApplicationException e, HttpServerRequest request) {
        int status = e.getResponse().getStatus();
        ProblemType type = ProblemType.forStatus(status);
        if (status >= 500) {
            Log.errorf(e, "%s %s failed", request.method(), request.path());
        }
        Response.ResponseBuilder response = respond(type, status, detail(type), request, Map.of());
        String allow = e.getResponse().getHeaderString(HttpHeaders.ALLOW);
        if (allow != null) {
            response.header(HttpHeaders.ALLOW, allow);
        }
        return response.build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, HttpServerRequest request) {
        ProblemException answer = DatabaseFailures.problemAmong(e);
        if (answer != null) {
            // a refusal (a 412, say) whose transaction's rollback then failed on a lost connection:
            // nothing was written either way, and the refusal is the answer
            return problem(answer, request);
        }
        if (DatabaseFailures.unavailable(e)) {
            Log.errorf("%s %s: database unavailable: %s", request.method(), request.path(), e.getMessage());
            return respond(ProblemType.DATABASE_UNAVAILABLE, 503,
                    "the database cannot be reached; nothing was written, retry later", request, Map.of())
                    .header(HttpHeaders.RETRY_AFTER, config.retryAfterSeconds())
                    .build();
        }
        String state = PostgresWaits.sqlState(e);
        if (state != null && state.startsWith("22")) {
            // a data exception means a value got past validation that Postgres cannot store
            Log.warnf("%s %s: value refused by the database (SQLSTATE %s)", request.method(), request.path(), state);
            return respond(ProblemType.UNSTORABLE_VALUE, 422, "the value cannot be stored", request, Map.of()).build();
        }
        Log.errorf(e, "%s %s failed", request.method(), request.path());
        return respond(ProblemType.INTERNAL, 500, "the request failed; it has been logged", request, Map.of()).build();
    }

    private static String detail(ProblemType type) {
        return switch (type) {
            case NOT_FOUND -> "no resource at this path";
            case METHOD_NOT_ALLOWED -> "this method is not allowed here";
            case NOT_ACCEPTABLE -> "the service answers application/json";
            case UNSUPPORTED_MEDIA_TYPE -> "send application/json (or application/merge-patch+json to PATCH)";
            case BODY_TOO_LARGE -> "the request body is too large";
            default -> null;
        };
    }

    private static Response.ResponseBuilder respond(ProblemType type, int status, String detail,
            HttpServerRequest request, Map<String, Object> extensions) {
        return Response.status(status)
                .type(Problems.MEDIA_TYPE)
                .entity(Problems.body(type, status, detail, request.path(), extensions));
    }
}
