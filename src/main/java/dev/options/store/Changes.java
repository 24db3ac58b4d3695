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
 * {@code organization} (null: unchanged), the scope's new {@code epoch} of defaults (null: unchanged)
 * and the keys whose default that move changes ({@code defaultChanges}); and for its history, the
 * values the changed keys had ({@code previous}, only those that were stored), the organization and
 * the epoch before; and {@code current}, the registry's epoch, which a scope's first write fixes as its own.
 */
public record Changes(Map<String, JsonNode> upserts, Set<String> deletes, SortedSet<String> locks,
        Set<String> lockChanges, Long organization, Map<String, JsonNode> previous, Long previousOrganization,
        Integer epoch, Set<String> defaultChanges, Integer previousEpoch, int current) {

    public Changes {
        upserts = Collections.unmodifiableMap(new TreeMap<>(upserts));
        previous = Collections.unmodifiableMap(new TreeMap<>(previous));
        deletes = Collections.unmodifiableSortedSet(new TreeSet<>(deletes));
        locks = locks == null ? null : StoredScope.locks(locks);
        lockChanges = Collections.unmodifiableSortedSet(new TreeSet<>(lockChanges));
        defaultChanges = Collections.unmodifiableSortedSet(new TreeSet<>(defaultChanges));
        if (upserts.keySet().stream().anyMatch(deletes::contains)) {
            throw new IllegalArgumentException("a key is both upserted and deleted");
        }
    }

    /** Changes of stored options only, made under epoch {@code current} of defaults. */
    public Changes(Map<String, JsonNode> upserts, Set<String> deletes, int current) {
        this(upserts, deletes, null, Set.of(), null, Map.of(), null, null, Set.of(), null, current);
    }

    public boolean isEmpty() {
        return upserts.isEmpty() && deletes.isEmpty() && locks == null && organization == null && epoch == null;
    }

    /**
     * Every changed key, sorted, those locked or unlocked and those whose default an epoch's move
     * changes included: what the change event names.
     */
    public SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>(upserts.keySet());
        keys.addAll(deletes);
        keys.addAll(lockChanges);
        keys.addAll(defaultChanges);
        return keys;
    }

    /**
     * The changes of the state beside the options as one JSON text for the save's statement:
     * {@code "locks"} when they change, {@code "organization"} when it does, {@code "epoch"} when it
     * moves, and always {@code "current"}, the registry's epoch, fixed as the scope's own by its first
     * write.
     */
    String stateJson() {
        ObjectNode state = OptionJson.MAPPER.createObjectNode();
        state.put("current", current);
        if (epoch != null) {
            state.put("epoch", epoch.intValue());
        }
        if (locks != null) {
            ArrayNode array = state.putArray("locks");
            locks.forEach(array::add);
        }
        if (organization != null) {
            state.put("organization", organization.longValue());
        }
        return OptionJson.text(state);
    }

    /**
     * The change as its history keeps it: {@code [{"key": k, "old": v, "new": v}, ...]} by key ("old"
     * absent when the key was not stored, "new" absent when it is unset), then {@code {"key": k, "lock":
     * true|false}} for each lock changed, then {@code {"organization": {"old": o, "new": o}}} for a move
     * and {@code {"epoch": {"old": e, "new": e}}} for an epoch's.
     */
    String historyJson() {
        ArrayNode entries = OptionJson.MAPPER.createArrayNode();
        SortedSet<String> keys = new TreeSet<>(upserts.keySet());
        keys.addAll(deletes);
        for (String key : keys) {
            ObjectNode entry = entries.addObject();
            entry.put("key", key);
            JsonNode old = previous.get(key);
            if (old != null) {
                entry.set("old", old);
            }
            JsonNode now = upserts.get(key);
            if (now != null) {
                entry.set("new", now);
            }
        }
        for (String key : lockChanges) {
            entries.addObject().put("key", key).put("lock", locks != null && locks.contains(key));
        }
        if (organization != null) {
            ObjectNode move = entries.addObject().putObject("organization");
            if (previousOrganization != null) {
                move.put("old", previousOrganization.longValue());
            }
            move.put("new", organization.longValue());
        }
        if (epoch != null) {
            ObjectNode move = entries.addObject().putObject("epoch");
            if (previousEpoch != null) {
                move.put("old", previousEpoch.intValue());
            }
            move.put("new", epoch.intValue());
        }
        return OptionJson.text(entries);
    }

    /**
     * {@code before} with these changes applied, at {@code version}; its epoch fixed at {@code current}
     * if it had none, as the save's statement does.
     */
    public StoredScope applyTo(StoredScope before, long version) {
        Map<String, JsonNode> after = new TreeMap<>(before.options());
        deletes.forEach(after::remove);
        after.putAll(upserts);
        return new StoredScope(version, after, locks != null ? locks : before.locks(),
                organization != null ? organization : before.organization(),
                epoch != null ? epoch : before.epochOr(current));
    }
}
