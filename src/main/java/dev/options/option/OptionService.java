package dev.options.option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.options.cache.CacheMetrics;
import dev.options.cache.NearCache;
import dev.options.cache.SharedCache;
import dev.options.config.OptionsConfig;
import dev.options.events.ChangePublisher;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import dev.options.store.Changes;
import dev.options.store.OptionStore;
import dev.options.store.StoredScope;
import dev.options.value.OptionJson;
import dev.options.value.OptionKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Reads, stages and saves the options of every scope kind; the one entry point for HTTP resources
 * and for code that uses the service directly. Every method must run on a Vert.x duplicated context
 * (an HTTP request, or {@code VertxContextSupport} elsewhere), which carries the request cache; the
 * methods of one unit of work are used in sequence, as its database session is.
 *
 * <p>Within a unit of work a scope is read from Postgres at most once per read flag: later reads
 * with the same or a weaker flag are served from the request cache, with staged modifications merged
 * in. {@link #update} is the save of the write path: locking, or one conditional statement.
 */
@ApplicationScoped
public class OptionService {

    private final OptionStore store;
    private final OptionRegistry registry;
    private final OptionsConfig config;
    private final NearCache near;
    private final SharedCache shared;
    private final ChangePublisher publisher;
    private final CacheMetrics metrics;
    private final boolean caches;
    private final ConcurrentMap<ScopeKey, Uni<NearCache.Entry>> loading = new ConcurrentHashMap<>();
    /** Scopes whose background refresh is scheduled or running. */
    private final Set<ScopeKey> refreshing = ConcurrentHashMap.newKeySet();
    /** Offers to Redis of what reads loaded from Postgres, in flight at most (see {@link #fillShared}). */
    static final int SHARED_FILLS_IN_FLIGHT = 64;
    private static final Duration SHARED_FILL_WAIT = Duration.ofSeconds(10);
    private final AtomicInteger sharedFills = new AtomicInteger();
    /** Scopes whose one-statement save lost a race lately: their saves lock first, as contention wants. */
    private final Cache<ScopeKey, Boolean> contended = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(1)).build();
    private final Counter conditionalSaves;
    private final Counter lockedSaves;
    private final Counter conflicts;
    private final ScopeWriters writers = new ScopeWriters();
    private final Vertx vertx;
    private final boolean serializeSaves;

    public OptionService(OptionStore store, OptionRegistry registry, OptionsConfig config, NearCache near,
            SharedCache shared, ChangePublisher publisher, CacheMetrics metrics, MeterRegistry meters, Vertx vertx) {
        this.vertx = vertx;
        this.conditionalSaves = saves(meters, "conditional");
        this.lockedSaves = saves(meters, "locking");
        this.conflicts = Counter.builder("options.saves.conflicts")
                .description("One-statement saves another writer got ahead of (each then saved under the lock)")
                .register(meters);
        this.store = store;
        this.registry = registry;
        this.config = config;
        this.near = near;
        this.shared = shared;
        this.publisher = publisher;
        this.metrics = metrics;
        this.caches = config.cache().enabled();
        this.serializeSaves = config.saves().oneAtATime();
    }

    private static Counter saves(MeterRegistry meters, String path) {
        return Counter.builder("options.saves")
                .description("Saves completed (written, or found to change nothing), by path: the conditional"
                        + " statement, or a transaction holding the scope's lock")
                .tag("path", path)
                .register(meters);
    }

    /** A change to make under the scope's lock, given the scope as it is then. */
    @FunctionalInterface
    public interface Edit {
        void apply(ScopeView current, Staging staging);
    }

    /**
     * The scope as this unit of work sees it. {@link ReadFlag#LOCKING} locks the scope until the
     * transaction ends, so it needs one ({@link #inTransaction}).
     */
    public Uni<ScopeView> read(Scope scope, ReadFlag flag) {
        return held(scope, flag).map(entry -> entry.view(registry));
    }

    /** A scope's document as {@link #read} would serialize it, without building its maps when it is at hand. */
    public record Document(long version, byte[] bytes) {
    }

    /** The scope's version and effective document, serialized: the hot read, served pre-serialized. */
    public Uni<Document> readDocument(Scope scope, ReadFlag flag) {
        return held(scope, flag).map(entry -> new Document(entry.originals().version(), entry.document(registry)));
    }

    /**
     * The hot read's document, {@link #readDocument} with {@link ReadFlag#NORMAL}, from the near
     * cache's documents tier when it holds the scope. For a request that reads nothing else of the
     * scope: a document from that tier does not enter the request's unit of work.
     */
    public Uni<Document> readHotDocument(Scope scope) {
        if (caches) {
            NearCache.Document held = near.document(scope);
            if (held != null) {
                metrics.hit(CacheMetrics.Layer.NEAR);
                if (held.dueForRefresh()) {
                    refreshAhead(scope);
                }
                return Uni.createFrom().item(new Document(held.version(), held.bytes()));
            }
        }
        return readDocument(scope, ReadFlag.NORMAL);
    }

    /** The unit of work's entry of {@code scope}, holding originals read with {@code flag} or stronger. */
    private Uni<ScopeEntry> held(Scope scope, ReadFlag flag) {
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
                : flag == ReadFlag.NORMAL ? loadNormal(scope) : uncancellable(store.loadDirect(scope));
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
     * A NORMAL read below the request cache: the near cache, else one load per scope shared by
     * every concurrent reader on this instance (Redis, else Postgres), each reader resuming on its
     * own Vert.x context.
     */
    private Uni<NearCache.Entry> cached(Scope scope) {
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
        boolean[] started = { false };
        Uni<NearCache.Entry> load = loadOnce(scope, started);
        if (!started[0]) {
            metrics.sharedLoad();
            // a load joined in flight may have begun before a version this instance has since written
            // or heard of: then this reader loads again, never answering older than what it knows
            load = load.chain(joined -> joined.stored().version() >= near.newestKnown(key)
                    ? Uni.createFrom().item(joined)
                    : loadBelowNear(scope));
        }
        return caller == null ? load : load.emitOn(command -> caller.runOnContext(ignored -> command.run()));
    }

    /**
     * The load of {@code scope} below the near cache that is in flight on this instance, started when
     * none is ({@code started[0]} then true). Memoization, not waiting: the load runs once and every
     * concurrent reader gets its result.
     */
    private Uni<NearCache.Entry> loadOnce(Scope scope, boolean[] started) {
        return loading.computeIfAbsent(scope.key(), k -> {
            started[0] = true;
            return loadBelowNear(scope)
                    .onTermination().invoke(() -> loading.remove(k))
                    .memoize().indefinitely();
        });
    }

    /**
     * Reloads a near-cache entry near the end of its life, in the background (once however many
     * readers find it so), on a context of its own whose statements count as background work: its
     * readers go on being answered from the near cache meanwhile, instead of missing it all at once
     * when it expires.
     */
    private void refreshAhead(Scope scope) {
        ScopeKey key = scope.key();
        // the readers that find the entry due before its refresh has started schedule nothing more
        if (loading.containsKey(key) || !refreshing.add(key)) {
            return;
        }
        OptionStore.inBackground(vertx, () -> {
            boolean[] started = { false };
            Uni<NearCache.Entry> load = loadOnce(scope, started);
            if (!started[0]) {
                refreshing.remove(key);
                return;
            }
            metrics.refresh();
            load.onTermination().invoke(() -> refreshing.remove(key))
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
            if (found.isPresent() && found.get().version() >= near.newestKnown(key)) {
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
        Uni<StoredScope> primary = uncancellable(store.loadBatched(scope));
        if (!store.hasReplica()) {
            return primary;
        }
        long floor = near.newestKnown(scope.key());
        return store.loadFromReplica(scope)
                .onFailure().recoverWithNull()
                .chain(stored -> stored != null && stored.version() >= floor ? Uni.createFrom().item(stored) : primary);
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

    /** The effective value of one option, empty when neither stored nor defaulted. */
    public Uni<Optional<JsonNode>> get(Scope scope, String key, ReadFlag flag) {
        OptionKeys.require(key);
        return read(scope, flag).map(view -> Optional.ofNullable(view.options().get(key)));
    }

    /** Stages {@code key = value} in this unit of work, checked and normalized; {@link #save} stores it. */
    public void set(Scope scope, String key, JsonNode value) {
        JsonNode checked = validated(scope.kind(), key, value);
        RequestCache.unitOfWork().entry(scope).set(key, checked);
    }

    /** Stages an unset of {@code key}; {@link #save} stores it. */
    public void unset(Scope scope, String key) {
        RequestCache.unitOfWork().entry(scope).unset(OptionKeys.require(key));
    }

    /** Stages an unset of every stored option of the scope; {@link #save} stores it. */
    public void reset(Scope scope) {
        RequestCache.unitOfWork().entry(scope).reset();
    }

    /** Forgets what is staged for the scope. */
    public void discard(Scope scope) {
        RequestCache.unitOfWork().find(scope).ifPresent(ScopeEntry::discardModifications);
    }

    /**
     * A value fit to store in scopes of {@code kind}: see {@link #validatedAll}.
     */
    public JsonNode validated(ScopeKind kind, String key, JsonNode value) {
        return validatedAll(kind, Map.of(key, value)).get(key);
    }

    /**
     * Values fit to store in scopes of {@code kind}, normalized: valid keys, no JSON null, canonical
     * JSON, within the size limit, and satisfying their definitions.
     *
     * @throws ProblemException 400 for a bad key or a null, 413 for a value too large, 422
     *     {@code unstorable-value}, or 422 {@code invalid-option} listing every key that fails its
     *     definition (in {@code errors}, each with its reason)
     */
    public Map<String, JsonNode> validatedAll(ScopeKind kind, Map<String, JsonNode> values) {
        Map<String, JsonNode> result = new LinkedHashMap<>();
        List<Map<String, String>> errors = new ArrayList<>();
        int max = config.limits().maxValueBytes();
        for (Map.Entry<String, JsonNode> entry : values.entrySet()) {
            String key = OptionKeys.require(entry.getKey());
            JsonNode value = entry.getValue();
            if (value == null || value.isNull() || value.isMissingNode()) {
                throw new ProblemException(ProblemType.NULL_VALUE, "an option value may be any JSON value except null");
            }
            OptionRegistry.Checked checked = registry.check(kind, key, OptionJson.canonical(value));
            if (!checked.valid()) {
                errors.add(Map.of("key", key, "reason", String.join("; ", checked.reasons())));
                continue;
            }
            int size = OptionJson.write(checked.value()).length;
            if (size > max) {
                throw new ProblemException(ProblemType.VALUE_TOO_LARGE,
                        "an option value may take at most " + max + " bytes as JSON; " + key + " takes " + size);
            }
            result.put(key, checked.value());
        }
        if (!errors.isEmpty()) {
            String keys = errors.stream().map(e -> e.get("key")).collect(Collectors.joining(", "));
            throw new ProblemException(ProblemType.INVALID_OPTION,
                    "options that fail their definitions: " + keys, Map.of("errors", errors));
        }
        return result;
    }

    /** Saves what is staged for the scope: {@link #update} with no further edit. */
    public Uni<ScopeView> save(Scope scope, IfMatch ifMatch) {
        return update(scope, ifMatch, (current, staging) -> {
        });
    }

    /**
     * The locking save. In one transaction: lock the scope (creating its row on first write); read
     * the originals under the lock unless this unit of work already holds the current version; check
     * {@code ifMatch}; apply {@code edit} to the scope as it is now; diff what is staged against the
     * originals; and when anything changed, write the changes, the version + 1 and an outbox row in
     * one statement. The request cache then holds the new originals without reading them again.
     *
     * <p>Outside a transaction, the same save is made in one autocommitted statement instead,
     * conditional on the version a NORMAL read finds ({@link #writeIfUnchanged}); whatever that cannot settle falls back to the
     * locking save, so the outcome is the same either way.
     *
     * @throws ProblemException {@code 412 version-mismatch} (with {@code currentVersion}) when
     *     {@code ifMatch} does not match, {@code 422 too-many-keys}; nothing is written then
     */
    public Uni<ScopeView> update(Scope scope, IfMatch ifMatch, Edit edit) {
        UnitOfWork work = RequestCache.unitOfWork();
        ScopeEntry entry = work.entry(scope);
        Uni<ScopeView> locking = Uni.createFrom().deferred(() -> inTransaction(() -> lockAndLoad(entry)
                .map(version -> stage(entry, ifMatch, edit))
                .chain(changes -> persist(entry, changes)))
                .invoke(() -> lockedSaves.increment()));
        if (work.inTransaction()) {
            return locking;
        }
        Supplier<Uni<ScopeView>> save = () -> contended.getIfPresent(scope.key()) != null ? locking
                : writeIfUnchanged(entry, ifMatch, edit).chain(view -> view != null ? Uni.createFrom().item(view) : locking);
        return serializeSaves ? writers.oneAtATime(scope.key(), save) : save.get();
    }

    /**
     * The save as one statement: stage and diff against the scope as a NORMAL read finds it (the near
     * cache, Redis, or Postgres), and write only if the scope is still at that version (the statement
     * takes the scope's row lock and checks the version under it, so it serializes with every other
     * writer exactly as the locking save does). Nothing to write is settled by one look at the
     * version. Answers null, having written nothing and staged nothing more, when the locking save
     * must decide instead: a scope never written (or, with the caches off, not read in this unit of
     * work), a precondition, an edit or a limit that fails against that version, or a scope that has
     * moved on (after a lost race it counts as contended for a while, and its saves lock at once).
     */
    private Uni<ScopeView> writeIfUnchanged(ScopeEntry entry, IfMatch ifMatch, Edit edit) {
        if (!caches) {
            return entry.holds(ReadFlag.NORMAL) ? writeIfAt(entry, ifMatch, edit) : Uni.createFrom().nullItem();
        }
        // the version to write against: the near cache's, else Redis's, else a read (as NORMAL reads do)
        return cached(entry.scope()).chain(held -> {
            if (!entry.holds(ReadFlag.NORMAL) || entry.originals().version() < held.stored().version()) {
                entry.loaded(held.stored(), ReadFlag.NORMAL, held.document());
            }
            return writeIfAt(entry, ifMatch, edit);
        });
    }

    private Uni<ScopeView> writeIfAt(ScopeEntry entry, IfMatch ifMatch, Edit edit) {
        Scope scope = entry.scope();
        if (entry.originals().version() < 1 || !ifMatch.matches(entry.originals().version())) {
            return Uni.createFrom().nullItem();
        }
        StoredScope before = entry.originals();
        ScopeEntry.Staged staged = entry.staged();
        Changes changes;
        try {
            edit.apply(entry.view(registry), entry);
            changes = entry.diff(registry, config.limits().maxKeysPerScope());
        } catch (RuntimeException judgedUnderTheLock) {
            entry.restore(staged);
            return Uni.createFrom().nullItem();
        }
        if (changes.isEmpty()) {
            // nothing to write if the scope is still at this version: one look at the version settles it
            return uncancellable(store.version(scope)).map(current -> {
                if (current != before.version()) {
                    entry.restore(staged);
                    return null;
                }
                conditionalSaves.increment();
                entry.discardModifications();
                return entry.view(registry);
            });
        }
        StoredScope after = changes.applyTo(before, before.version() + 1);
        // taken before the version can be committed: a newer one's invalidation can only come after
        long ticket = near.ticket(scope.key());
        return uncancellable(store.writeIfAt(scope, after.version(), changes).chain(outboxId -> {
            if (outboxId == null) {
                conflicts.increment();
                contended.put(scope.key(), Boolean.TRUE);
                entry.restore(staged);
                return Uni.createFrom().<ScopeView>nullItem();
            }
            conditionalSaves.increment();
            entry.written(after);
            return publisher.committed(scope, after, entry.document(registry), changes.keys(), outboxId, ticket)
                    .map(ignored -> entry.view(registry));
        }));
    }

    /**
     * Runs {@code work} in one Postgres transaction, or in the transaction this unit of work already
     * has open. Saves inside it are committed or rolled back together.
     */
    public <T> Uni<T> inTransaction(Supplier<Uni<T>> work) {
        UnitOfWork unit = RequestCache.unitOfWork();
        if (unit.inTransaction()) {
            return Uni.createFrom().deferred(work::get);
        }
        return uncancellable(Uni.createFrom().deferred(() -> {
                    unit.beginTransaction();
                    return store.inTransaction(work);
                })
                .onItemOrFailure().invoke((item, failure) -> unit.endTransaction(failure == null))
                .call(unit::runAfterCommit));
    }

    /**
     * Runs {@code work} to its end even when its subscriber goes away (a client that disconnects
     * cancels its request's pipeline): database work cut off between its statements would leave its
     * connection holding a live transaction, and the pool would run dry. The result of work whose
     * caller has gone is dropped; a transaction commits or rolls back as it would have.
     */
    static <T> Uni<T> uncancellable(Uni<T> work) {
        return Uni.createFrom().emitter(emitter -> work.subscribe().with(emitter::complete, emitter::fail));
    }

    /**
     * Holds the scope's lock and its current originals. Costs nothing when this transaction already
     * read the scope with LOCKING; reads no rows when the unit of work or the near cache holds the
     * locked version.
     */
    private Uni<Long> lockAndLoad(ScopeEntry entry) {
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

    private Changes stage(ScopeEntry entry, IfMatch ifMatch, Edit edit) {
        long current = entry.originals().version();
        if (!ifMatch.matches(current)) {
            throw new ProblemException(ProblemType.VERSION_MISMATCH,
                    "the scope is at version " + current + ", which If-Match does not name",
                    Map.of("currentVersion", current));
        }
        edit.apply(entry.view(registry), entry);
        return entry.diff(registry, config.limits().maxKeysPerScope());
    }

    private Uni<ScopeView> persist(ScopeEntry entry, Changes changes) {
        if (changes.isEmpty()) {
            entry.discardModifications();
            return Uni.createFrom().item(entry.view(registry));
        }
        StoredScope before = entry.originals();
        StoredScope after = changes.applyTo(before, before.version() + 1);
        UnitOfWork unit = RequestCache.unitOfWork();
        return store.write(entry.scope(), after.version(), changes)
                .map(outboxId -> {
                    entry.saved(after);
                    byte[] document = entry.document(registry);
                    // the scope is locked until the commit, so no newer version can be heard of before this
                    long ticket = near.ticket(entry.scope().key());
                    unit.afterCommit(() -> publisher.committed(entry.scope(), after, document, changes.keys(), outboxId, ticket));
                    return entry.view(registry);
                });
    }

    /**
     * The effective value of {@code key} in each scope of a single-identifier {@code kind}, in the
     * order of {@code ids} (null where neither stored nor defaulted). Scopes this unit of work or the
     * near cache holds are answered from memory, the rest from Redis in one round trip, and what is
     * left with one query.
     */
    public Uni<Map<Long, JsonNode>> bulk(ScopeKind kind, String key, List<Long> ids) {
        OptionKeys.require(key);
        UnitOfWork work = RequestCache.unitOfWork();
        JsonNode fallback = registry.defaultValue(kind, key).orElse(null);
        Map<Long, JsonNode> known = new LinkedHashMap<>();
        List<Long> misses = new ArrayList<>();
        for (Long id : new LinkedHashSet<>(ids)) {
            Scope scope = Scope.of(kind, id);
            Optional<ScopeEntry> held = work.find(scope).filter(entry -> entry.holds(ReadFlag.NORMAL));
            Optional<NearCache.Entry> near = held.isPresent() || !caches ? Optional.empty() : this.near.get(scope.key());
            if (held.isPresent()) {
                known.put(id, held.get().view(registry).options().get(key));
            } else if (near.isPresent()) {
                known.put(id, effectiveValue(key, near.get().stored(), fallback));
            } else {
                misses.add(id);
            }
        }
        return fromShared(kind, key, misses, fallback, known)
                .chain(remaining -> remaining.isEmpty()
                        ? Uni.createFrom().item(Map.<Long, JsonNode>of())
                        : uncancellable(store.bulk(kind, key, remaining)))
                .map(found -> {
                    Map<Long, JsonNode> values = new LinkedHashMap<>();
                    for (Long id : ids) {
                        JsonNode value = found.get(id);
                        values.put(id, known.containsKey(id) ? known.get(id)
                                : value != null ? registry.normalizeStored(key, value) : fallback);
                    }
                    return values;
                });
    }

    /** Answers what Redis holds (no older than this instance has heard of) into {@code known}; the rest remain. */
    private Uni<List<Long>> fromShared(ScopeKind kind, String key, List<Long> misses, JsonNode fallback,
            Map<Long, JsonNode> known) {
        if (misses.isEmpty() || !caches || !near.trusted()) {
            return Uni.createFrom().item(misses);
        }
        List<ScopeKey> keys = misses.stream().map(id -> Scope.of(kind, id).key()).toList();
        return shared.getAll(keys).map(found -> {
            List<Long> remaining = new ArrayList<>();
            for (int i = 0; i < misses.size(); i++) {
                StoredScope stored = found.get(keys.get(i));
                if (stored != null && stored.version() >= near.newestKnown(keys.get(i))) {
                    metrics.hit(CacheMetrics.Layer.SHARED);
                    known.put(misses.get(i), effectiveValue(key, stored, fallback));
                } else {
                    metrics.miss(CacheMetrics.Layer.SHARED);
                    remaining.add(misses.get(i));
                }
            }
            return remaining;
        });
    }

    private JsonNode effectiveValue(String key, StoredScope stored, JsonNode fallback) {
        JsonNode value = stored.options().get(key);
        return value != null ? registry.normalizeStored(key, value) : fallback;
    }

    /**
     * A scope with what it inherits, for a client that wants the options in force: defaults, under
     * the user's own scope (for a user narrowed to a project or an organization, keys that apply to
     * the narrowed kind), under the scope's own values; and where each value comes from.
     */
    public Uni<InheritedView> inherited(Scope scope, ReadFlag flag) {
        Optional<Scope> parent = parentOf(scope);
        return read(scope, flag).chain(own -> parent.isEmpty()
                ? Uni.createFrom().item(inherit(own, Optional.empty()))
                : read(parent.get(), flag).map(user -> inherit(own, Optional.of(user))));
    }

    /** A scope's options in force and their sources ({@code default}, {@code user}, {@code project}, {@code organization}). */
    public record InheritedView(ScopeView own, Optional<ScopeView> parent, Map<String, JsonNode> options,
            Map<String, String> sources) {
    }

    private InheritedView inherit(ScopeView own, Optional<ScopeView> parent) {
        ScopeKind kind = own.scope().kind();
        Map<String, JsonNode> options = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        registry.defaults(kind).forEach((key, value) -> {
            options.put(key, value);
            sources.put(key, "default");
        });
        parent.ifPresent(user -> user.stored().forEach((key, value) -> {
            if (registry.appliesTo(kind, key)) {
                options.put(key, value);
                sources.put(key, "user");
            }
        }));
        String ownSource = switch (kind) {
            case ORGANIZATION, USER_IN_ORGANIZATION -> "organization";
            case PROJECT, USER_IN_PROJECT -> "project";
            case USER -> "user";
        };
        own.stored().forEach((key, value) -> {
            options.put(key, value);
            sources.put(key, ownSource);
        });
        return new InheritedView(own, parent, options, sources);
    }

    private static Optional<Scope> parentOf(Scope scope) {
        return switch (scope.kind()) {
            case USER_IN_PROJECT, USER_IN_ORGANIZATION -> Optional.of(Scope.user(scope.ids().get(0)));
            default -> Optional.empty();
        };
    }
}
