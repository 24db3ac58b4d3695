package dev.options.option;

import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.scope.Scope;
import dev.options.value.OptionJson;

/**
 * A scope as one unit of work sees it: the version read or written, and the options sorted by key,
 * both effective (defaults overlaid with stored values and staged modifications) and stored only,
 * the keys it locks for the scopes below it, a project's organization (null when not registered), the
 * epoch whose defaults apply to it, and the effective document serialized, when it is known without staged modifications.
 */
public record ScopeView(Scope scope, long version, Map<String, JsonNode> options, Map<String, JsonNode> stored,
        SortedSet<String> locks, Long organization, int epoch, byte[] document) {

    public ScopeView {
        options = sortedCopy(options);
        stored = sortedCopy(stored);
    }

    /** The serialized scope document (effective options): pre-serialized when the originals came with it. */
    public byte[] documentBytes() {
        return document != null ? document : OptionJson.scopeDocument(version, options, locks);
    }

    private static Map<String, JsonNode> sortedCopy(Map<String, JsonNode> map) {
        return Collections.unmodifiableMap(new TreeMap<>(map));
    }
}
