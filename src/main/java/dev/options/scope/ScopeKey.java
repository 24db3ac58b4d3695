package dev.options.scope;

import java.util.Objects;

/**
 * The key of a scope, {@code <table>:<ids>}: unique across all models, and the one name of a scope in
 * the request cache, the shared caches and change events.
 */
public record ScopeKey(String value) implements Comparable<ScopeKey> {

    public ScopeKey {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public int compareTo(ScopeKey other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
