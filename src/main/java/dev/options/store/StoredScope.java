package dev.options.store;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A scope as Postgres holds it at one version: its stored options only, no defaults. Immutable; the
 * version identifies the content exactly, since every change of a stored row bumps it. The options
 * iterate in key order and cannot be changed; they are held compactly ({@link StoredOptions}), since
 * the near cache keeps one per cached scope.
 */
public record StoredScope(long version, Map<String, JsonNode> options) {

    public StoredScope {
        options = StoredOptions.of(options);
    }

    /** A scope never written: version 0, nothing stored. */
    public static StoredScope empty() {
        return new StoredScope(0, Map.of());
    }
}
