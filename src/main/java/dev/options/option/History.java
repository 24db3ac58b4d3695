package dev.options.option;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.store.HistoryStore;
import dev.options.store.HistoryStore.Recorded;
import dev.options.store.StoredScope;
import io.smallrye.mutiny.Uni;

/**
 * A scope's history: its changes as the saves recorded them (each save writes its entry in its own
 * statement), the scope as it was at an earlier version (the scope now, with the changes since undone
 * one by one), and the revert to one, which is a save like any other.
 */
@ApplicationScoped
class History {

    /** Most changes undone to read a past version: a read or revert further back answers 400. */
    static final int MAX_UNDONE = 10_000;

    private final HistoryStore store;
    private final OptionRegistry registry;
    private final Saves saves;
    private final Validation validation;

    History(HistoryStore store, OptionRegistry registry, Saves saves, Validation validation) {
        this.store = store;
        this.registry = registry;
        this.saves = saves;
        this.validation = validation;
    }

    /** One page of a scope's history, newest first, and the {@code before} of the next page (null: no more). */
    Uni<OptionService.HistoryPage> page(Scope scope, String key, Long before, int limit) {
        List<String> keys = new ArrayList<>();
        if (key != null) {
            keys.add(key);
            keys.addAll(registry.oldNames(key));
        }
        return store.history(scope, keys, before, limit + 1).map(entries -> entries.size() > limit
                ? new OptionService.HistoryPage(entries.subList(0, limit), entries.get(limit - 1).version())
                : new OptionService.HistoryPage(entries, null));
    }

    /**
     * The scope as it was stored at {@code version} (its options, locks and organization), read from
     * the primary and its history.
     *
     * @throws ProblemException {@code 404 unknown-version} when the version is beyond the current one
     *     or the history no longer holds every change since
     */
    Uni<StoredScope> at(Scope scope, long version) {
        return store.since(scope, version, MAX_UNDONE).map(found -> {
            StoredScope now = found.getKey();
            List<Recorded> changes = found.getValue();
            if (version > now.version()) {
                throw new ProblemException(ProblemType.UNKNOWN_VERSION,
                        "the scope is at version " + now.version() + "; version " + version + " does not exist yet");
            }
            if (now.version() - version > MAX_UNDONE) {
                throw new ProblemException(ProblemType.INVALID_PARAMETER, "version " + version + " is more than " + MAX_UNDONE
                        + " versions before the current one (" + now.version() + "); go back in steps");
            }
            // the changes must be exactly now.version() down to version + 1, none missing
            long expected = now.version();
            for (Recorded change : changes) {
                if (change.version() != expected) {
                    break;
                }
                expected--;
            }
            if (expected != version) {
                throw new ProblemException(ProblemType.UNKNOWN_VERSION,
                        "the history no longer holds every change since version " + version);
            }
            return undo(now, changes, version);
        });
    }

    /** {@code now} with {@code changes} (newest first) undone: the scope at {@code version}. */
    private static StoredScope undo(StoredScope now, List<Recorded> changes, long version) {
        Map<String, JsonNode> options = new TreeMap<>(now.options());
        Set<String> locks = new TreeSet<>(now.locks());
        Long organization = now.organization();
        Integer epoch = now.epoch();
        for (Recorded change : changes) {
            for (JsonNode entry : change.changes()) {
                if (entry.has("organization")) {
                    JsonNode old = entry.get("organization").get("old");
                    organization = old == null ? null : old.longValue();
                } else if (entry.has("epoch")) {
                    JsonNode old = entry.get("epoch").get("old");
                    epoch = old == null ? null : old.intValue();
                } else if (entry.has("lock")) {
                    if (entry.get("lock").booleanValue()) {
                        locks.remove(entry.get("key").asText());
                    } else {
                        locks.add(entry.get("key").asText());
                    }
                } else if (entry.has("old")) {
                    options.put(entry.get("key").asText(), entry.get("old"));
                } else {
                    options.remove(entry.get("key").asText());
                }
            }
        }
        return new StoredScope(version, options, StoredScope.locks(locks), organization, epoch);
    }

    /**
     * A new version of the scope whose stored options equal those of {@code version}, checked against
     * today's definitions and the locks above like any write (so, as with any write, a value equal to
     * today's default is not stored, unless its key pins defaults), recorded through the {@code revert}
     * channel; none when the scope already stores exactly that.
     */
    Uni<ScopeView> revert(Scope scope, long version, IfMatch ifMatch) {
        return at(scope, version).chain(then -> {
            Map<String, JsonNode> values = validation.validatedAll(scope.kind(), registry.canonicalOptions(then.options()));
            UnitOfWork unit = RequestCache.unitOfWork();
            Channel before = unit.channel();
            unit.attribute(unit.actor(), Channel.REVERT);
            return saves.update(scope, ifMatch, (current, staging) -> {
                staging.reset();
                values.forEach(staging::set);
            }).eventually(() -> unit.attribute(unit.actor(), before));
        });
    }

    /** The view of a scope at an earlier version: today's defaults of its epoch then, under what it stored then. */
    ScopeView view(Scope scope, StoredScope then) {
        ScopeEntry entry = new ScopeEntry(scope);
        entry.loaded(then, ReadFlag.LATEST);
        return entry.view(registry);
    }
}
