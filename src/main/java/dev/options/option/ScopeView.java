package dev.options.option;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.scope.Scope;

/**
 * A scope as one unit of work sees it: the version read or written, and the options sorted by key,
 * both effective (defaults overlaid with stored values and staged modifications) and stored only.
 */
public record ScopeView(Scope scope, long version, Map<String, JsonNode> options, Map<String, JsonNode> stored) {

    public ScopeView {
        options = sortedCopy(options);
        stored = sortedCopy(stored);
    }

    private static Map<String, JsonNode> sortedCopy(Map<String, JsonNode> map) {
        return Collections.unmodifiableMap(new TreeMap<>(map));
    }
}
