package dev.options.store;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A scope as Postgres holds it at one version: its stored options only, no defaults. Immutable; the
 * version identifies the content exactly, since every change of a stored row bumps it.
 */
public record StoredScope(long version, Map<String, JsonNode> options) {

    public StoredScope {
        options = Collections.unmodifiableMap(new TreeMap<>(options));
    }

    /** A scope never written: version 0, nothing stored. */
    public static StoredScope empty() {
        return new StoredScope(0, Map.of());
    }
}
