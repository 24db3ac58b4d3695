package dev.options.store;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

/** What one save changes in one scope's stored rows: keys to insert or update, keys to delete. */
public record Changes(Map<String, JsonNode> upserts, Set<String> deletes) {

    public Changes {
        upserts = Collections.unmodifiableMap(new TreeMap<>(upserts));
        deletes = Collections.unmodifiableSortedSet(new TreeSet<>(deletes));
        if (upserts.keySet().stream().anyMatch(deletes::contains)) {
            throw new IllegalArgumentException("a key is both upserted and deleted");
        }
    }

    public boolean isEmpty() {
        return upserts.isEmpty() && deletes.isEmpty();
    }

    /** Every changed key, sorted: what the change event names. */
    public SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>(upserts.keySet());
        keys.addAll(deletes);
        return keys;
    }

    /** {@code before} with these changes applied, at {@code version}. */
    public StoredScope applyTo(StoredScope before, long version) {
        Map<String, JsonNode> after = new TreeMap<>(before.options());
        deletes.forEach(after::remove);
        after.putAll(upserts);
        return new StoredScope(version, after);
    }
}
