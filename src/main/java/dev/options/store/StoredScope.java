package dev.options.store;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.value.OptionJson;

/**
 * A scope as Postgres holds it at one version: its stored options only, no defaults, and its state
 * beside them: the keys it locks for the scopes below it, and for a project the organization it
 * belongs to (null when never registered), and the epoch of defaults fixed at its first write (null
 * until then: the registry's current epoch applies). Immutable; the version identifies the content exactly,
 * since every change of a stored row, a lock or the organization bumps it. The options iterate in
 * key order and cannot be changed; they are held compactly ({@link StoredOptions}), since the near
 * cache keeps one per cached scope.
 */
public record StoredScope(long version, Map<String, JsonNode> options, SortedSet<String> locks, Long organization, Integer epoch) {

    private static final SortedSet<String> NO_LOCKS = Collections.unmodifiableSortedSet(new TreeSet<>());

    public StoredScope {
        options = StoredOptions.of(options);
        locks = locks == null || locks.isEmpty() ? NO_LOCKS : Collections.unmodifiableSortedSet(new TreeSet<>(locks));
    }

    /** A scope of options only: no locks, no organization, no epoch fixed. */
    public StoredScope(long version, Map<String, JsonNode> options) {
        this(version, options, NO_LOCKS, null, null);
    }

    /**
     * The epoch whose defaults apply to this scope: its own; for a scope written without one fixed
     * (by a release before epochs, during a rolling deploy) the first, 1; for a scope never written,
     * {@code current}.
     */
    public int epochOr(int current) {
        return epoch != null ? epoch : version > 0 ? 1 : current;
    }

    /** Locks given in any order. */
    public static SortedSet<String> locks(Set<String> keys) {
        return keys == null || keys.isEmpty() ? NO_LOCKS : Collections.unmodifiableSortedSet(new TreeSet<>(keys));
    }

    /** The locks of their column's text, a JSON array of keys ({@code ["theme"]}); none for null. */
    static SortedSet<String> parseLocks(String json) {
        if (json == null || json.equals("[]")) {
            return NO_LOCKS;
        }
        SortedSet<String> keys = new TreeSet<>();
        OptionJson.parseStored(json).forEach(key -> keys.add(key.asText()));
        return Collections.unmodifiableSortedSet(keys);
    }

    /** A scope never written: version 0, nothing stored. */
    public static StoredScope empty() {
        return new StoredScope(0, Map.of());
    }
}
