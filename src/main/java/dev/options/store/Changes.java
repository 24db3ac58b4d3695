package dev.options.store;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.value.OptionJson;

/**
 * What one save changes in one scope: keys to insert or update, keys to delete, and its state beside
 * them when that changes: the whole new set of {@code locks} (null: unchanged), the project's new
 * {@code organization} (null: unchanged).
 */
public record Changes(Map<String, JsonNode> upserts, Set<String> deletes, SortedSet<String> locks,
        Set<String> lockChanges, Long organization) {

    public Changes {
        upserts = Collections.unmodifiableMap(new TreeMap<>(upserts));
        deletes = Collections.unmodifiableSortedSet(new TreeSet<>(deletes));
        locks = locks == null ? null : StoredScope.locks(locks);
        lockChanges = Collections.unmodifiableSortedSet(new TreeSet<>(lockChanges));
        if (upserts.keySet().stream().anyMatch(deletes::contains)) {
            throw new IllegalArgumentException("a key is both upserted and deleted");
        }
    }

    /** Changes of stored options only. */
    public Changes(Map<String, JsonNode> upserts, Set<String> deletes) {
        this(upserts, deletes, null, Set.of(), null);
    }

    public boolean isEmpty() {
        return upserts.isEmpty() && deletes.isEmpty() && locks == null && organization == null;
    }

    /** Every changed key, sorted, those locked or unlocked included: what the change event names. */
    public SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>(upserts.keySet());
        keys.addAll(deletes);
        keys.addAll(lockChanges);
        return keys;
    }

    /**
     * The changes of the state beside the options as one JSON text for the save's statement:
     * {@code "locks"} when they change, {@code "organization"} when it does ({@code {}} for neither).
     */
    String stateJson() {
        ObjectNode state = OptionJson.MAPPER.createObjectNode();
        if (locks != null) {
            ArrayNode array = state.putArray("locks");
            locks.forEach(array::add);
        }
        if (organization != null) {
            state.put("organization", organization.longValue());
        }
        return OptionJson.text(state);
    }

    /** {@code before} with these changes applied, at {@code version}. */
    public StoredScope applyTo(StoredScope before, long version) {
        Map<String, JsonNode> after = new TreeMap<>(before.options());
        deletes.forEach(after::remove);
        after.putAll(upserts);
        return new StoredScope(version, after, locks != null ? locks : before.locks(),
                organization != null ? organization : before.organization());
    }
}
