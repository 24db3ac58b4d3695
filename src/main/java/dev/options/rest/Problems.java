package dev.options.rest;

import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.problem.ProblemType;
import dev.options.value.OptionJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** The one error shape: RFC 9457 problem details, {@code application/problem+json}. */
final class Problems {

    static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    static byte[] body(ProblemType type, int status, String detail, String instance, Map<String, Object> extensions) {
        ObjectNode problem = OptionJson.MAPPER.createObjectNode();
        problem.put("type", type.uri());
        problem.put("title", type.title());
        problem.put("status", status);
        if (detail != null) {
            problem.put("detail", detail);
        }
        if (instance != null) {
            problem.put("instance", instance);
        }
        extensions.forEach((name, value) -> problem.set(name, OptionJson.MAPPER.valueToTree(value)));
        return OptionJson.write(problem);
    }

    /**
     * Answers a request on a Vert.x route, ahead of the resources, with a problem of {@code type}
     * and {@code headers} besides its media type.
     */
    static void send(RoutingContext context, ProblemType type, String detail, Map<String, String> headers) {
        HttpServerResponse response = context.response()
                .setStatusCode(type.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, MEDIA_TYPE);
        headers.forEach(response::putHeader);
        response.end(Buffer.buffer(body(type, type.status(), detail, context.request().path(), Map.of())));
    }
}
