package dev.options.rest;

import java.util.Map;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.option.OptionJson;
import dev.options.option.ScopeView;

/** The service's JSON answers, serialized by hand so that numbers keep their exact text. */
final class Documents {

    private Documents() {
    }

    /** {@code 200} with the scope document and its version as {@code ETag}. */
    static Response scope(ScopeView view, boolean excludeDefaults) {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("version", view.version());
        document.set("options", OptionJson.object(excludeDefaults ? view.stored() : view.options()));
        return json(OptionJson.write(document), view.version());
    }

    /** {@code 200} with one bare option value and the scope's version as {@code ETag}. */
    static Response value(JsonNode value, long version) {
        return json(OptionJson.write(value), version);
    }

    /** {@code 304} for a read whose {@code If-None-Match} names the current version. */
    static Response notModified(long version) {
        return Response.notModified().header(HttpHeaders.ETAG, Conditional.etag(version)).build();
    }

    /** {@code 200} with one key's effective value in many scopes, by identifier. */
    static Response bulk(String key, Map<Long, JsonNode> values) {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("key", key);
        ObjectNode members = document.putObject("values");
        values.forEach((id, value) -> members.set(String.valueOf(id), value));
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE).build();
    }

    private static Response json(byte[] body, long version) {
        return Response.ok(body, MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, Conditional.etag(version))
                .build();
    }
}
