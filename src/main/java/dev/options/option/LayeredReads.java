package dev.options.option;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Singleton;

import dev.options.cache.CacheMetrics;
import dev.options.cache.NearCache;
import dev.options.cache.SharedCache;
import dev.options.config.OptionsConfig;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.OptionManager;
import dev.options.store.StoredScope;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Reads through the layers: the unit of work, the near cache, one load per scope shared by the
 * concurrent readers of this instance (Redis, else Postgres, else a replica that is not behind),
 * filling each layer on the way back; a LOCKING read takes the scope's lock in the open transaction.
 */
@Singleton
class LayeredReads {

    /** Offers to Redis of what reads loaded from Postgres, in flight at most (see {@link #fillShared}). */
    static final int SHARED_FILLS_IN_FLIGHT = 64;
    private static final Duration SHARED_FILL_WAIT = Duration.ofSeconds(10);

    private final OptionManager store;
    private final OptionRegistry registry;
    private final NearCache near;
    private final SharedCache shared;
    private final CacheMetrics metrics;
    private final Vertx vertx;
    private final boolean caches;
    /** The loads in flight below the near cache, one a scope (package-private: tests plant one). */
    final ConcurrentMap<ScopeKey, Uni<NearCache.Entry>> loading = new ConcurrentHashMap<>();
    /** Scopes whose background refresh is scheduled or running. */
    private final Set<ScopeKey> refreshing = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sharedFills = new AtomicInteger();

    LayeredReads(OptionManager store, OptionRegistry registry, OptionsConfig config, NearCache near, SharedCache shared,
            CacheMetrics metrics, Vertx vertx) {
        this.store = store;
        this.registry = registry;
        this.near = near;
        this.shared = shared;
        this.metrics = metrics;
        this.vertx = vertx;
        this.caches = config.cache().enabled();
    }

    /** The unit of work's entry of {@code scope}, holding originals read with {@code flag} or stronger. */
    Uni<ScopeEntry> held(Scope scope, ReadFlag flag) {
        UnitOfWork work = RequestCache.unitOfWork();
        ScopeEntry entry = work.entry(scope);
        if (flag == ReadFlag.LOCKING) {
            if (!work.inTransaction()) {
                return Uni.createFrom().failure(new IllegalStateException("a LOCKING read needs a transaction"));
            }
            return lockAndLoad(entry).replaceWith(entry);
        }
        if (entry.holds(flag)) {
            metrics.hit(CacheMetrics.Layer.REQUEST);
            return Uni.createFrom().item(entry);
        }
        metrics.miss(CacheMetrics.Layer.REQUEST);
        if (flag == ReadFlag.NORMAL && caches) {
            return cached(scope).map(loaded -> {
                entry.loaded(loaded.stored(), flag, loaded.document());
                return entry;
            });
        }
        // in a transaction, on its connection; otherwise on a pooled connection of its own
        long ticket = near.ticket(scope.key());
        Uni<StoredScope> load = work.inTransaction() ? store.load(scope)
                : flag == ReadFlag.NORMAL ? loadNormal(scope) : store.loadDirect(scope);
        return load
                .map(stored -> {
                    entry.loaded(stored, flag);
                    if (caches) {
                        // what this instance answered, later NORMAL reads here never answer older; the
                        // document of what is stored, never of what this unit of work has staged
                        near.offer(scope.key(), nearEntry(scope, stored), ticket);
                    }
                    return entry;
                });
    }

    /**
     * Whether the near cache holds each of {@code scopes} at {@code versions}, as NORMAL reads in a
     * unit of work that has read none of them would find them (its documents tier, else its
     * entries); if so, each counts as a near hit (refreshed ahead when due), else nothing is counted.
     */
    boolean nearAt(List<Scope> scopes, long[] versions) {
        if (!caches) {
            return false;
        }
        boolean[] due = new boolean[scopes.size()];
        for (int i = 0; i < due.length; i++) {
            Scope scope = scopes.get(i);
            NearCache.Document held = near.document(scope);
            if (held != null) {
                if (held.version() != versions[i]) {
                    return false;
                }
                due[i] = held.dueForRefresh();
                continue;
            }
            Optional<NearCache.Entry> entry = near.get(scope.key());
            if (entry.isEmpty() || entry.get().stored().version() != versions[i]) {
                return false;
            }
            due[i] = near.dueForRefresh(scope.key());
        }
        for (int i = 0; i < due.length; i++) {
            metrics.hit(CacheMetrics.Layer.NEAR);
            if (due[i]) {
                refreshAhead(scopes.get(i));
            }
        }
        return true;
    }

    /**
     * A NORMAL read below the request cache: the near cache, else one load per scope shared by
     * every concurrent reader on this instance (Redis, else Postgres), each reader resuming on its
     * own Vert.x context.
     */
    Uni<NearCache.Entry> cached(Scope scope) {
        ScopeKey key = scope.key();
        Optional<NearCache.Entry> hit = near.get(key);
        if (hit.isPresent()) {
            metrics.hit(CacheMetrics.Layer.NEAR);
            if (near.dueForRefresh(key)) {
                refreshAhead(scope);
            }
            return Uni.createFrom().item(hit.get());
        }
        metrics.miss(CacheMetrics.Layer.NEAR);
        Context caller = Vertx.currentContext();
        InFlight inFlight = loadOnce(scope);
        // each reader goes on on its own context, whoever's load it joined
        Uni<NearCache.Entry> load = caller == null ? inFlight.load()
                : inFlight.load().emitOn(command -> caller.runOnContext(ignored -> command.run()));
        if (!inFlight.started()) {
            metrics.sharedLoad();
            // a load joined in flight may have begun before a version this instance has since written
            // or heard of: then this reader loads again (on its own context, counted as its own),
            // never answering older than what it knows
            load = load.chain(joined -> joined.stored().version() >= near.heardOf(key)
                    ? Uni.createFrom().item(joined)
                    : loadBelowNear(scope));
        }
        return load;
    }

    /** A load below the near cache, and whether this reader started it or joined one in flight. */
    private record InFlight(Uni<NearCache.Entry> load, boolean started) {
    }

    /**
     * The load of {@code scope} below the near cache that is in flight on this instance, started when
     * none is. Memoization, not waiting: the load runs once and every concurrent reader gets its result.
     */
    private InFlight loadOnce(Scope scope) {
        Uni<NearCache.Entry> joined = loading.get(scope.key());
        if (joined != null) {
            return new InFlight(joined, false);
        }
        Uni<NearCache.Entry> started = loadBelowNear(scope)
                .onTermination().invoke(() -> loading.remove(scope.key()))
                .memoize().indefinitely();
        Uni<NearCache.Entry> raced = loading.putIfAbsent(scope.key(), started);
        return raced == null ? new InFlight(started, true) : new InFlight(raced, false);
    }

    /**
     * Reloads a near-cache entry near the end of its life, in the background (once however many
     * readers find it so), on a context of its own whose statements count as background work: its
     * readers go on being answered from the near cache meanwhile, instead of missing it all at once
     * when it expires.
     */
    void refreshAhead(Scope scope) {
        ScopeKey key = scope.key();
        // the readers that find the entry due before its refresh has started schedule nothing more
        if (loading.containsKey(key) || !refreshing.add(key)) {
            return;
        }
        OptionManager.inBackground(vertx, () -> {
            InFlight inFlight = loadOnce(scope);
            if (!inFlight.started()) {
                refreshing.remove(key);
                return;
            }
            metrics.refresh();
            inFlight.load().onTermination().invoke(() -> refreshing.remove(key))
                    .subscribe().with(refreshed -> { }, failure -> Log.debugf("refresh of %s failed: %s", key, failure.getMessage()));
        });
    }

    private Uni<NearCache.Entry> loadBelowNear(Scope scope) {
        ScopeKey key = scope.key();
        long ticket = near.ticket(key);
        if (!near.trusted()) {
            // the feed is down, so Redis almost surely is: Postgres at once, without waiting for its timeout
            metrics.load();
            return loadNormal(scope).map(stored -> remember(scope, stored, ticket));
        }
        return shared.get(key).chain(found -> {
            if (found.isPresent() && found.get().version() >= near.heardOf(key)) {
                metrics.hit(CacheMetrics.Layer.SHARED);
                return Uni.createFrom().item(remember(scope, found.get(), ticket));
            }
            metrics.miss(CacheMetrics.Layer.SHARED);
            metrics.load();
            return loadNormal(scope)
                    .invoke(stored -> fillShared(key, stored))
                    .map(stored -> remember(scope, stored, ticket));
        });
    }

    /**
     * Offers what a read loaded from Postgres to Redis, for the other instances, without waiting for
     * it: the reader is answered meanwhile. Redis keeps only a version newer than it holds, so a late
     * fill never undoes a write; one that fails leaves Redis to the next read. At most
     * {@link #SHARED_FILLS_IN_FLIGHT} at once: when Redis is slow, cold reads would otherwise queue
     * offers without bound on the Redis pool, whose wait queue, once full, fails every command, the
     * writers' publishing too; a fill beyond the bound is dropped (and counted). A fill counts until
     * Redis answers it, or for {@link #SHARED_FILL_WAIT} at most (no reader waits for it; the read
     * timeout would free its place while its command still queued).
     */
    private void fillShared(ScopeKey key, StoredScope stored) {
        if (sharedFills.incrementAndGet() > SHARED_FILLS_IN_FLIGHT) {
            sharedFills.decrementAndGet();
            metrics.sharedFillDropped();
            return;
        }
        shared.offer(key, stored, SHARED_FILL_WAIT)
                .onTermination().invoke(sharedFills::decrementAndGet)
                .subscribe().with(done -> { },
                        failure -> Log.debugf("shared cache fill of %s failed: %s", key, failure.getMessage()));
    }

    /**
     * A NORMAL read of Postgres: the read replica when there is one, unless it fails or lags behind a
     * version this instance has already heard of (then the primary, so no instance ever answers an
     * older version than one it answered or wrote).
     */
    private Uni<StoredScope> loadNormal(Scope scope) {
        Uni<StoredScope> primary = store.loadBatched(scope);
        if (!store.hasReplica()) {
            return primary;
        }
        long heard = near.heardOf(scope.key());
        return store.loadFromReplica(scope)
                .onFailure().recoverWithNull()
                .chain(stored -> stored != null && stored.version() >= heard ? Uni.createFrom().item(stored) : primary);
    }

    /**
     * The near-cache entry of {@code stored}: its effective document serialized once, offered to the
     * near cache as the fill of a read that took {@code ticket}.
     */
    private NearCache.Entry remember(Scope scope, StoredScope stored, long ticket) {
        NearCache.Entry entry = nearEntry(scope, stored);
        near.offerRead(scope.key(), entry, ticket);
        return entry;
    }

    /** The near-cache entry of what the scope stores: its effective document serialized once. */
    private NearCache.Entry nearEntry(Scope scope, StoredScope stored) {
        ScopeEntry fresh = new ScopeEntry(scope);
        fresh.loaded(stored, ReadFlag.NORMAL);
        return new NearCache.Entry(stored, fresh.document(registry));
    }

    /**
     * Holds the scope's lock and its current originals. Costs nothing when this transaction already
     * read the scope with LOCKING; reads no rows when the unit of work or the near cache holds the
     * locked version.
     */
    Uni<Long> lockAndLoad(ScopeEntry entry) {
        if (entry.holds(ReadFlag.LOCKING)) {
            return Uni.createFrom().item(entry.originals().version());
        }
        return store.lock(entry.scope()).chain(version -> {
            if (entry.holdsVersion(version)) {
                entry.locked();
                return Uni.createFrom().item(version);
            }
            // a version names its content exactly, so the near cache's copy of it is as good as a read
            Optional<NearCache.Entry> cached = near.get(entry.scope().key()).filter(hit -> hit.stored().version() == version);
            if (cached.isPresent()) {
                entry.loaded(cached.get().stored(), ReadFlag.LOCKING, cached.get().document());
                return Uni.createFrom().item(version);
            }
            return store.load(entry.scope()).map(stored -> {
                entry.loaded(stored, ReadFlag.LOCKING);
                return stored.version();
            });
        });
    }
}
