package dev.options.option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.cache.CacheMetrics;
import dev.options.cache.NearCache;
import dev.options.cache.SharedCache;
import dev.options.config.OptionsConfig;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import dev.options.store.OptionManager;
import dev.options.store.StoredScope;
import dev.options.value.OptionKeys;
import io.smallrye.mutiny.Uni;

/** One key across many scopes of one kind: memory first, then Redis in one round trip, then one query. */
@ApplicationScoped
class BulkReads {

    private final OptionManager store;
    private final OptionRegistry registry;
    private final NearCache near;
    private final SharedCache shared;
    private final CacheMetrics metrics;
    private final boolean caches;

    BulkReads(OptionManager store, OptionRegistry registry, OptionsConfig config, NearCache near, SharedCache shared,
            CacheMetrics metrics) {
        this.store = store;
        this.registry = registry;
        this.near = near;
        this.shared = shared;
        this.metrics = metrics;
        this.caches = config.cache().enabled();
    }

    /**
     * The effective value of {@code key} in each scope of a single-identifier {@code kind}, in the
     * order of {@code ids} (null where neither stored nor defaulted). Scopes this unit of work or the
     * near cache holds are answered from memory, the rest from Redis in one round trip, and what is
     * left with one query.
     */
    Uni<Map<Long, JsonNode>> bulk(ScopeKind kind, String key, List<Long> ids) {
        OptionKeys.require(key);
        UnitOfWork work = RequestCache.unitOfWork();
        Map<Long, JsonNode> known = new LinkedHashMap<>();
        List<Long> misses = new ArrayList<>();
        for (Long id : new LinkedHashSet<>(ids)) {
            Scope scope = Scope.of(kind, id);
            Optional<ScopeEntry> held = work.find(scope).filter(entry -> entry.holds(ReadFlag.NORMAL));
            Optional<NearCache.Entry> near = held.isPresent() || !caches ? Optional.empty() : this.near.get(scope.key());
            if (held.isPresent()) {
                known.put(id, held.get().view(registry).options().get(key));
            } else if (near.isPresent()) {
                known.put(id, effectiveValue(kind, key, near.get().stored()));
            } else {
                misses.add(id);
            }
        }
        return fromShared(kind, key, misses, known)
                .chain(remaining -> remaining.isEmpty()
                        ? Uni.createFrom().item(Map.<Long, OptionManager.Stored>of())
                        : store.bulk(kind, key, registry.oldNames(key), remaining))
                .map(found -> {
                    Map<Long, JsonNode> values = new LinkedHashMap<>();
                    for (Long id : ids) {
                        if (known.containsKey(id)) {
                            values.put(id, known.get(id));
                            continue;
                        }
                        OptionManager.Stored stored = found.get(id);
                        values.put(id, stored.value() != null ? registry.normalizeStored(key, stored.value())
                                : fallback(kind, key, stored.epoch() != null ? stored.epoch() : registry.epoch()));
                    }
                    return values;
                });
    }

    /** Answers what Redis holds (no older than this instance has heard of) into {@code known}; the rest remain. */
    private Uni<List<Long>> fromShared(ScopeKind kind, String key, List<Long> misses, Map<Long, JsonNode> known) {
        if (misses.isEmpty() || !caches || !near.trusted()) {
            return Uni.createFrom().item(misses);
        }
        List<ScopeKey> keys = misses.stream().map(id -> Scope.of(kind, id).key()).toList();
        return shared.getAll(keys).map(found -> {
            List<Long> remaining = new ArrayList<>();
            for (int i = 0; i < misses.size(); i++) {
                StoredScope stored = found.get(keys.get(i));
                if (stored != null && stored.version() >= near.heardOf(keys.get(i))) {
                    metrics.hit(CacheMetrics.Layer.SHARED);
                    known.put(misses.get(i), effectiveValue(kind, key, stored));
                } else {
                    metrics.miss(CacheMetrics.Layer.SHARED);
                    remaining.add(misses.get(i));
                }
            }
            return remaining;
        });
    }

    private JsonNode effectiveValue(ScopeKind kind, String key, StoredScope stored) {
        JsonNode value = registry.storedValue(stored.options(), key);
        return value != null ? registry.normalizeStored(key, value) : fallback(kind, key, stored.epochOr(registry.epoch()));
    }

    /** The default of {@code key} in a scope of {@code kind} at {@code epoch}, or null. */
    private JsonNode fallback(ScopeKind kind, String key, int epoch) {
        return registry.defaultValue(kind, key, epoch).orElse(null);
    }
}
