package dev.options.rest;

import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.option.OptionService;
import dev.options.option.ScopeView;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;

/** The service's JSON answers, serialized by hand so that numbers keep their exact text. */
final class Documents {

    private Documents() {
    }

    /** {@code 200} with the scope document and its version as {@code ETag}. */
    static Response scope(ScopeView view, boolean excludeDefaults) {
        byte[] body = excludeDefaults
                ? OptionJson.scopeDocument(view.version(), view.stored(), view.locks())
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
     * The entity tag of values in force: the version of every scope of the chain, narrowest first,
     * joined by dots ({@code "3.0.5.9"}), since a change to any of them can change them.
     */
    static String inheritedEtag(OptionService.InheritedView view) {
        return "\"" + view.versions() + "\"";
    }

    /** {@code 200} with the options in force, where each comes from, and which are locked above the scope. */
    static Response inherited(OptionService.InheritedView view, String etag) {
        return Response.ok(view.document(), MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, etag)
                .build();
    }

    /**
     * {@code 200} with why {@code key} has its value in force: the chain narrowest first, each scope's
     * version and stored value, the lock that enforces it, the default last (with the scope's epoch of defaults). A layer of a kind the
     * key's definition excludes says {@code "applies": false}.
     */
    static Response explain(String key, OptionService.InheritedView view, Optional<JsonNode> defaultValue,
            Predicate<ScopeKind> applies) {
        ObjectNode document = OptionJson.MAPPER.createObjectNode();
        document.put("key", key);
        JsonNode value = view.options().get(key);
        if (value != null) {
            document.set("value", value);
        }
        ScopeKey lockedBy = view.lockedBy().get(key);
        String source = view.sources().get(key);
        if (lockedBy != null) {
            document.put("source", lockedBy.value());
        } else if (source != null) {
            document.put("source", source.equals("default") ? "default" : sourceScope(view, key).value());
        }
        document.put("locked", lockedBy != null);
        ArrayNode chain = document.putArray("chain");
        for (int i = view.layers().size() - 1; i >= 0; i--) {
            ScopeView layer = view.layers().get(i);
            ObjectNode link = chain.addObject();
            link.put("scope", layer.scope().key().value());
            link.put("version", layer.version());
            JsonNode stored = layer.stored().get(key);
            if (stored != null) {
                link.set("value", stored);
            }
            if (layer.locks().contains(key)) {
                link.put("lock", true);
            }
            if (!applies.test(layer.scope().kind())) {
                // the key's definition excludes this layer's kind: what it stores is not in force
                link.put("applies", false);
            }
        }
        ObjectNode fallback = chain.addObject();
        fallback.put("scope", "default");
        fallback.put("epoch", view.own().epoch());
        defaultValue.ifPresent(found -> fallback.set("value", found));
        return Response.ok(OptionJson.write(document), MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.ETAG, inheritedEtag(view))
                .build();
    }

    /** The scope of the narrowest layer a key's value in force comes from (not a default, not a lock). */
    private static ScopeKey sourceScope(OptionService.InheritedView view, String key) {
        String source = view.sources().get(key);
        for (int i = view.layers().size() - 1; i >= 0; i--) {
            ScopeView layer = view.layers().get(i);
            if (layer.scope().kind().label().equals(source) && layer.stored().containsKey(key)) {
                return layer.scope().key();
            }
        }
        return view.own().scope().key();
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
