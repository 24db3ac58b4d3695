package dev.options.rest;

import java.util.Map;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.option.OptionService;
import dev.options.option.ScopeView;
import dev.options.value.OptionJson;

/** The service's JSON answers, serialized by hand so that numbers keep their exact text. */
final class Documents {

    private Documents() {
    }

    /** {@code 200} with the scope document and its version as {@code ETag}. */
    static Response scope(ScopeView view, boolean excludeDefaults) {
        byte[] body = excludeDefaults
                ? OptionJson.scopeDocument(view.version(), view.stored())
                : view.documentBytes();
        return json(body, view.version());
    }

    /** {@code 200} with a scope document already serialized. */
    static Response document(OptionService.Document document) {
        return json(document.bytes(), document.version());
    }

    /** {@code 200} with one bare option value and the scope's version as {@code ETag}. */
    static Response value(JsonNode value, long version) {
        return json(OptionJson.write(value), version);
    }

    /** {@code 304} for a read whose {@code If-None-Match} names the current entity tag. */
    static Response notModified(String etag) {
        return Response.notModified().header(HttpHeaders.ETAG, etag).build();
    }

    /**
     * The entity tag of an inherited view: the scope's version, and for a narrowed user scope also
     * the user scope's ({@code "3.5"}), since a change to either changes the view.
     */
    static String inheritedEtag(OptionService.InheritedView view) {
        return view.parent()
                .map(user -> "\"" + view.own().version() + "." + user.version() + "\"")
                .orElse(Conditional.etag(view.own().version()));
    }

    /** {@code 200} with the options in force and where each comes from. */
    static Response inherited(OptionService.InheritedView view, String etag) {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("version", view.own().version());
        document.set("options", OptionJson.object(view.options()));
        ObjectNode sources = document.putObject("sources");
        view.sources().forEach(sources::put);
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, etag)
                .build();
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
