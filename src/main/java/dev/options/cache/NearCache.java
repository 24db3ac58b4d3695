package dev.options.cache;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;

import dev.options.config.OptionsConfig;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The per-instance cache of scopes, in two tiers bounded by bytes and by age: entries (version, stored
 * options and the pre-serialized document) for every read and write, and for the hot read the
 * documents alone of scopes of one identifier, held compactly ({@link NearDocuments}) so that far
 * more scopes fit. Every fill and invalidation goes to both. Its contracts, in each tier:
 * <ul>
 * <li>An entry is never replaced by an older version of its scope.</li>
 * <li>Per scope it remembers the newest version this instance has heard of (from the invalidation
 * feed, its own writes and its reads of the primary); a fill older than that is refused, so a load
 * that began before an invalidation cannot land its stale result after it.</li>
 * <li>While the invalidation feed is not connected it is not trusted: it answers nothing and takes
 * nothing, and it was flushed when the feed went away.</li>
 * </ul>
 * Time comes from an injectable ticker so tests control expiry.
 */
@ApplicationScoped
public class NearCache {

    /** A scope as the near cache holds it; the document is the scope's effective document, serialized. */
    public record Entry(StoredScope stored, byte[] document) {
        long version() {
            return stored.version();
        }
    }

    /** Scopes whose newest version heard of is remembered, at most (a power of two). */
    static final int HEARD_KEPT = 1 << 17;

    /** Recent misses remembered by the doorkeeper, at most (a power of two; an int each). */
    static final int MISSES_KEPT = 1 << 18;

    /** Bytes of a page of the documents tier. */
    static final int DOCUMENT_PAGE_BYTES = 1 << 20;

    /** A scope's document as the documents tier holds it, and whether it is due for a refresh. */
    public record Document(long version, byte[] bytes, boolean dueForRefresh) {
    }

    private final Cache<ScopeKey, Entry> entries;
    private final NearDocuments documents;
    private final Ticker ticker;
    private final long ttlNanos;
    private final Heard heard = new Heard(HEARD_KEPT);
    /** Hashes of scopes that missed, for {@link #offerRead}'s doorkeeper. */
    private final int[] misses = new int[MISSES_KEPT];
    private final Counter evictions;
    private final long refreshWithinNanos;
    private volatile boolean trusted;
    /** How many times the cache was distrusted (and flushed): an offer that saw it change meanwhile keeps nothing. */
    private final AtomicLong distrusts = new AtomicLong();

    @Inject
    public NearCache(OptionsConfig config, MeterRegistry meters) {
        this(config, meters, Ticker.systemTicker());
    }

    NearCache(OptionsConfig config, MeterRegistry meters, Ticker ticker) {
        this(config, meters, ticker, DOCUMENT_PAGE_BYTES);
    }

    NearCache(OptionsConfig config, MeterRegistry meters, Ticker ticker, int documentPageBytes) {
        this.evictions = Counter.builder("options.cache.evictions").description("Near-cache entries evicted")
                .tag("layer", "near").register(meters);
        this.ticker = ticker;
        this.ttlNanos = config.cache().nearTtl().toNanos();
        this.refreshWithinNanos = ttlNanos / 4;
        this.documents = new NearDocuments(config.cache().nearDocumentsMaxBytes(), documentPageBytes);
        FunctionCounter.builder("options.cache.evictions", documents, NearDocuments::evicted)
                .description("Near-cache entries evicted").tag("layer", "near-documents").register(meters);
        Gauge.builder("options.cache.near.documents", documents, NearDocuments::size)
                .description("Scopes whose documents the near cache's documents tier holds").register(meters);
        Gauge.builder("options.cache.near.documents.bytes", documents, NearDocuments::allocatedBytes)
                .description("Bytes of the pages the near cache's documents tier has allocated").baseUnit("bytes")
                .register(meters);
        // maintenance (evictions, expiry) runs on the thread that wrote, an event loop, in
        // microseconds: handing it to the common pool woke a thread per fill once the cache is full
        this.entries = Caffeine.newBuilder()
                .executor(Runnable::run)
                .ticker(ticker)
                .maximumWeight(config.cache().nearMaxWeight())
                .weigher((ScopeKey key, Entry entry) -> heapBytes(key, entry))
                .expireAfter(new SpreadExpiry(config.cache().nearTtl().toNanos()))
                .removalListener((ScopeKey key, Entry entry, RemovalCause cause) -> {
                    if (cause.wasEvicted() || cause == RemovalCause.EXPLICIT) {
                        evictions.increment();
                    }
                })
                .build();
    }

    /**
     * The newest version heard of per scope, for a bounded number of scopes: versions outlive entries,
     * so that a late fill is refused even after its entry's eviction. A table of {@code slots}
     * versions indexed by the scope key's hash: a scope is forgotten when another of the same slot is
     * heard of, so what is kept is what was heard of recently (a late fill lands milliseconds after
     * its invalidation). Three arrays of longs, allocated once, under striped locks: nothing is
     * allocated per version heard of (an object per version would leave old-generation garbage
     * behind every first read of a scope).
     * <p>
     * A slot names its scope by a 64-bit fingerprint of the key (two scopes of one slot mistaken for
     * each other: one chance in 2^64 per comparison). Forgetting must not let a stale fill in: a load
     * that began before an invalidation, whose slot another scope took meanwhile, would find nothing
     * heard of its scope and land. So each slot counts the times it changed hands from one scope to
     * another, and a load takes that count, its {@linkplain #ticket ticket}, before it reads: a fill
     * whose slot has since changed hands cannot know what it missed and is refused (a miss, at a
     * chance of a slot's changing hands during one load). An empty slot's first scope takes nothing
     * from another, so the loads that ticketed it meanwhile still hold.
     */
    static final class Heard {
        /** The answer for a fill whose slot changed hands since its ticket: newer than any version. */
        static final long FORGOTTEN = Long.MAX_VALUE;

        private static final int STRIPES = 256;

        /** Per slot: the fingerprint of the scope it holds (0 for none), its version, the scopes it has held. */
        private final long[] scopes;
        private final long[] versions;
        private final long[] holders;
        private final Object[] locks = new Object[STRIPES];

        Heard(int slots) {
            this.scopes = new long[slots];
            this.versions = new long[slots];
            this.holders = new long[slots];
            for (int i = 0; i < STRIPES; i++) {
                locks[i] = new Object();
            }
        }

        private int slot(ScopeKey key) {
            int hash = key.hashCode();
            return (hash ^ (hash >>> 16)) & (scopes.length - 1);
        }

        private Object lock(int slot) {
            return locks[slot & (STRIPES - 1)];
        }

        /** A 64-bit FNV-1a hash of the key, never 0 (which marks an empty slot). */
        static long fingerprint(ScopeKey key) {
            String value = key.value();
            long hash = 0xcbf29ce484222325L;
            for (int i = 0; i < value.length(); i++) {
                hash = (hash ^ value.charAt(i)) * 0x100000001b3L;
            }
            return hash == 0 ? 1 : hash;
        }

        long get(ScopeKey key) {
            int slot = slot(key);
            long scope = fingerprint(key);
            synchronized (lock(slot)) {
                return scopes[slot] == scope ? versions[slot] : 0;
            }
        }

        /** What a load of {@code key} takes before it reads, for {@link #since} and {@link #admit}. */
        long ticket(ScopeKey key) {
            int slot = slot(key);
            synchronized (lock(slot)) {
                return holders[slot];
            }
        }

        /**
         * The newest version of {@code key} heard of, as a fill that took {@code ticket} must respect:
         * {@link #FORGOTTEN} when its slot has changed hands since.
         */
        long since(ScopeKey key, long ticket) {
            int slot = slot(key);
            long scope = fingerprint(key);
            synchronized (lock(slot)) {
                if (holders[slot] != ticket) {
                    return FORGOTTEN;
                }
                return scopes[slot] == scope ? versions[slot] : 0;
            }
        }

        /**
         * Every ticket taken so far stops holding: each slot counts one more holder, under its lock,
         * so a load that began before now is refused when it offers (the versions heard of stay).
         */
        void forgetTickets() {
            for (int stripe = 0; stripe < STRIPES; stripe++) {
                synchronized (locks[stripe]) {
                    for (int slot = stripe; slot < holders.length; slot += STRIPES) {
                        holders[slot]++;
                    }
                }
            }
        }

        void raise(ScopeKey key, long version) {
            int slot = slot(key);
            long scope = fingerprint(key);
            synchronized (lock(slot)) {
                if (scopes[slot] == scope) {
                    versions[slot] = Math.max(versions[slot], version);
                } else {
                    take(slot, scope, version);
                }
            }
        }

        /**
         * A fill of {@code key} at {@code version} by a load that took {@code ticket}: refused (-1)
         * when its slot changed hands since or a newer version was heard of; else the version is
         * heard of, and the answer is the ticket that holds from now on (the slot's, which this
         * fill may have taken).
         */
        long admit(ScopeKey key, long version, long ticket) {
            int slot = slot(key);
            long scope = fingerprint(key);
            synchronized (lock(slot)) {
                if (holders[slot] != ticket) {
                    return -1;
                }
                if (scopes[slot] == scope) {
                    if (versions[slot] > version) {
                        return -1;
                    }
                    versions[slot] = version;
                } else {
                    take(slot, scope, version);
                }
                return holders[slot];
            }
        }

        /**
         * Gives the slot to {@code scope}, heard of at {@code version}; under the slot's lock. Taken
         * from another scope, the slot changes hands (its tickets stop holding); an empty one does not.
         */
        private void take(int slot, long scope, long version) {
            if (scopes[slot] != 0) {
                holders[slot]++;
            }
            scopes[slot] = scope;
            versions[slot] = version;
        }
    }

    /** A random three quarters to all of {@code ttlNanos}. */
    static long spreadLife(long ttlNanos) {
        return ttlNanos - ThreadLocalRandom.current().nextLong(ttlNanos / 4 + 1);
    }

    /**
     * An entry lives a random three quarters to all of {@code near-ttl} from its last write, so that
     * entries filled together (a warm-up, a restart's first minute) do not all expire together and
     * send their readers below the near cache at once. Reads do not extend a life.
     */
    static final class SpreadExpiry implements Expiry<ScopeKey, Entry> {
        private final long ttlNanos;

        SpreadExpiry(long ttlNanos) {
            this.ttlNanos = ttlNanos;
        }

        private long life() {
            return spreadLife(ttlNanos);
        }

        @Override
        public long expireAfterCreate(ScopeKey key, Entry entry, long currentTime) {
            return life();
        }

        @Override
        public long expireAfterUpdate(ScopeKey key, Entry entry, long currentTime, long currentDuration) {
            return life();
        }

        @Override
        public long expireAfterRead(ScopeKey key, Entry entry, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    /**
     * About how many heap bytes an entry takes, so that {@code near-max-weight} bounds the heap the
     * cache really uses, on a 64-bit JVM with compressed pointers: the cache's and its map's nodes
     * (about 104 bytes), the key (56 and its length), the entry, its stored scope and their option
     * arrays (104 and 8 an option), each option's value (about 32 and its text, for which the
     * document's length stands) and the document (16 and its length). Option keys are interned, so
     * they cost nothing per entry. A scope of one small option weighs about 430 bytes.
     */
    static int heapBytes(ScopeKey key, Entry entry) {
        return 280 + key.value().length() + 2 * entry.document().length + 40 * entry.stored().options().size();
    }

    /** The entry of {@code key}, when the cache is trusted and holds it. */
    public Optional<Entry> get(ScopeKey key) {
        if (!trusted) {
            return Optional.empty();
        }
        return Optional.ofNullable(entries.getIfPresent(key));
    }

    /**
     * The document of {@code scope} from the documents tier, null when the cache is untrusted, does
     * not hold it there, or it expired; due for a refresh in the last quarter of its life, as
     * {@link #dueForRefresh} says of entries.
     */
    public Document document(Scope scope) {
        if (!trusted) {
            return null;
        }
        int kind = documentKind(scope);
        if (kind < 0) {
            return null;
        }
        long now = ticker.read();
        NearDocuments.Held held = documents.get(kind, documentId(scope), now);
        return held == null ? null : new Document(held.version(), held.document(), held.expiresAt() - now < refreshWithinNanos);
    }

    /** The documents tier's code of the scope's kind, -1 for the kinds it does not hold. */
    private static int documentKind(Scope scope) {
        if (scope instanceof Scope.Organization) {
            return NearDocuments.ORGANIZATION;
        } else if (scope instanceof Scope.Project) {
            return NearDocuments.PROJECT;
        } else if (scope instanceof Scope.User) {
            return NearDocuments.USER;
        }
        return -1;
    }

    /** The identifier of a scope of a kind the documents tier holds. */
    private static long documentId(Scope scope) {
        if (scope instanceof Scope.Organization organization) {
            return organization.organizationId();
        } else if (scope instanceof Scope.Project project) {
            return project.projectId();
        }
        return ((Scope.User) scope).userId();
    }

    /** The scope of {@code key} when the documents tier holds its kind, else null. */
    private static Scope documentScope(ScopeKey key) {
        Scope scope;
        try {
            scope = Scope.parse(key);
        } catch (IllegalArgumentException notAScope) {
            return null;
        }
        return documentKind(scope) < 0 ? null : scope;
    }

    /**
     * Whether the entry of {@code key} is in the last quarter of {@code near-ttl} before it expires:
     * then a read that finds it reloads it in the background, so a scope read all the time never
     * expires under its readers (a fill of the same version starts its life again).
     */
    public boolean dueForRefresh(ScopeKey key) {
        OptionalLong left = entries.policy().expireVariably().orElseThrow().getExpiresAfter(key, TimeUnit.NANOSECONDS);
        return left.isPresent() && left.getAsLong() < refreshWithinNanos;
    }

    /**
     * A fill from a read: {@link #offer}ed, except that once the cache is nearly full a scope it does
     * not hold is kept only when it missed here before, recently (a doorkeeper, as in TinyLFU): a scope
     * read once in a long while is answered from below and leaves the cache as it was, instead of
     * displacing an entry (or being displaced soon after). Over many more scopes than the cache holds,
     * most near misses are such reads; filling them all made every miss an insertion, an eviction and
     * old-generation garbage. Its version is heard of either way.
     */
    public void offerRead(ScopeKey key, Entry entry, long ticket) {
        if (trusted && nearlyFull() && entries.policy().getIfPresentQuietly(key) == null && !missedBefore(key)) {
            long admitted = heard.admit(key, entry.version(), ticket);
            if (admitted >= 0) {
                offerDocument(key, entry, admitted);
            } else {
                refused(key, entry);
            }
            return;
        }
        offer(key, entry, ticket);
    }

    /** {@link #offerRead} of a value current when it is offered (tests). */
    void offerRead(ScopeKey key, Entry entry) {
        offerRead(key, entry, ticket(key));
    }

    private boolean nearlyFull() {
        Policy.Eviction<ScopeKey, Entry> bound = entries.policy().eviction().orElseThrow();
        return bound.weightedSize().orElse(0) >= bound.getMaximum() - bound.getMaximum() / 8;
    }

    /**
     * Whether a read of {@code key} missed recently, remembering this one: a table of key hashes, one
     * slot per hash's bits, lossy (a slot keeps the last scope that missed into it) and unlocked (an
     * int written by two loops at once is one or the other, and either answer is only a hint).
     */
    private boolean missedBefore(ScopeKey key) {
        int hash = key.hashCode() * 0x9E3779B9;
        int slot = (hash >>> 14) & (misses.length - 1);
        if (misses[slot] == hash) {
            return true;
        }
        misses[slot] = hash;
        return false;
    }

    /**
     * What a load of {@code key} takes before it reads (from Redis or Postgres), and a write before
     * its version is committed, to hand to {@link #offer} or {@link #offerRead} with its result.
     */
    public long ticket(ScopeKey key) {
        return heard.ticket(key);
    }

    /**
     * Keeps {@code entry}, read or written by work that took {@code ticket} before it began, unless
     * the cache is untrusted, holds a newer version, or heard of a newer one since (or cannot tell,
     * having forgotten the scope since: then it is refused).
     */
    public void offer(ScopeKey key, Entry entry, long ticket) {
        long distrustsBefore = distrusts.get();
        long admitted = heard.admit(key, entry.version(), ticket);
        if (admitted < 0) {
            refused(key, entry);
            return;
        }
        if (!trusted) {
            return;
        }
        offerDocument(key, entry, admitted);
        Entry present = entries.getIfPresent(key);
        if (present != null && present.version() > entry.version()) {
            // refused without a compute, which would start the newer entry's life again
            return;
        }
        // the same version again (a read of the primary) starts the entry's life again: it was just confirmed
        Entry kept = entries.asMap().compute(key, (k, current) -> {
            if (current != null && current.version() >= entry.version()) {
                return current;
            }
            return heard.since(k, admitted) > entry.version() ? current : entry;
        });
        if (kept == entry && (heard.since(key, admitted) > entry.version() || !trusted || distrusts.get() != distrustsBefore)) {
            // an invalidation raises the version heard of, then looks for an entry; this lands the entry,
            // then looks at the version heard of: one of the two sees the other, whatever their order
            // (and a flush, which distrust begins with, is looked for the same way)
            entries.asMap().remove(key, entry);
            Scope scope = documentScope(key);
            if (scope != null) {
                documents.invalidate(documentKind(scope), documentId(scope), entry.version() + 1);
            }
        }
    }

    /**
     * A fill that may not land (its slot changed hands since its ticket, or a newer version was heard
     * of) still names a version the scope has reached: it is heard of, and what either tier holds
     * older goes, so that a write or a primary read refused here never leaves this instance answering
     * a version older than it wrote or read.
     */
    private void refused(ScopeKey key, Entry entry) {
        invalidate(key, entry.version());
    }

    /** {@link #offer} of a value current when it is offered (tests). */
    void offer(ScopeKey key, Entry entry) {
        offer(key, entry, ticket(key));
    }

    /**
     * Holds the entry's document in the documents tier (when its kind is held there), unless a newer
     * version is held or heard of since {@code ticket}, which the tier checks under its lock: an
     * invalidation that raised the version heard of before it got there refuses it, one after it
     * removes it.
     */
    private void offerDocument(ScopeKey key, Entry entry, long ticket) {
        Scope scope = documentScope(key);
        if (scope != null) {
            documents.offer(documentKind(scope), documentId(scope), entry.version(), entry.document(),
                    ticker.read() + spreadLife(ttlNanos), () -> heard.since(key, ticket), () -> trusted);
        }
    }

    /** Scope {@code key} is at {@code version} or later: older entries go, older fills are refused. */
    public void invalidate(ScopeKey key, long version) {
        hear(key, version);
        Entry present = entries.policy().getIfPresentQuietly(key);
        // a compute that keeps the entry would start its life again: only one that removes it runs
        // (a fill older than the version, after this look, is refused by the version heard of)
        if (present != null && present.version() < version) {
            entries.asMap().computeIfPresent(key, (k, current) -> current.version() < version ? null : current);
        }
        Scope scope = documentScope(key);
        if (scope != null) {
            documents.invalidate(documentKind(scope), documentId(scope), version);
        }
    }

    /** The newest version of {@code key} this instance has heard of, 0 if none. */
    public long heardOf(ScopeKey key) {
        return heard.get(key);
    }

    /** Remembers that the scope has reached {@code version}. */
    private void hear(ScopeKey key, long version) {
        heard.raise(key, version);
    }

    /** Runs the pending maintenance (evictions) now, which Caffeine otherwise does soon after. */
    void cleanUp() {
        entries.cleanUp();
    }

    /** Forgets every entry, as an eviction would, and every document. */
    void flush() {
        entries.invalidateAll();
        documents.clear();
    }

    /** Whether the invalidation feed is connected, so that entries are kept and answered (and Redis is up). */
    public boolean trusted() {
        return trusted;
    }

    /** Called by the invalidation feed: trusted only while it is connected; losing it flushes everything. */
    public void trust(boolean connected) {
        if (!connected) {
            trusted = false;
            distrusts.incrementAndGet();
            // a load begun before this may hold what a lost invalidation would have taken away
            heard.forgetTickets();
            entries.invalidateAll();
            documents.clear();
        } else {
            trusted = true;
        }
    }
}
