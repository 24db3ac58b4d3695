package dev.options.cache;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;

import dev.options.config.OptionsConfig;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The per-instance cache of scopes: version, stored options and the pre-serialized document, bounded
 * by bytes and by age. Its contracts:
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

    /** Scopes whose newest version heard of is remembered. */
    static final int NEWEST_KEPT = 100_000;

    private final Cache<ScopeKey, Entry> entries;
    private final Cache<ScopeKey, Long> newest;
    private final Counter evictions;
    private final long refreshWithinNanos;
    private volatile boolean trusted;

    @Inject
    public NearCache(OptionsConfig config, MeterRegistry meters) {
        this(config, meters, Ticker.systemTicker());
    }

    NearCache(OptionsConfig config, MeterRegistry meters, Ticker ticker) {
        this.evictions = Counter.builder("options.cache.evictions").description("Near-cache entries evicted")
                .tag("layer", "near").register(meters);
        this.refreshWithinNanos = config.cache().nearTtl().toNanos() / 4;
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
        // versions heard of outlive entries, so that a late fill is refused even after eviction; the
        // most recently heard of are kept (a late fill lands milliseconds after its invalidation),
        // about 200 bytes each
        this.newest = Caffeine.newBuilder()
                .executor(Runnable::run)
                .ticker(ticker)
                .maximumSize(NEWEST_KEPT)
                .expireAfterAccess(Math.max(config.cache().nearTtl().toNanos() * 10, TimeUnit.MINUTES.toNanos(10)),
                        TimeUnit.NANOSECONDS)
                .build();
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
            return ttlNanos - ThreadLocalRandom.current().nextLong(ttlNanos / 4 + 1);
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
     * cache really uses: the key and the document (Java strings and arrays), each stored option as a
     * map entry with its key and JSON tree, and the objects around them. Measured by what the
     * pieces cost on a 64-bit JVM with compressed pointers, rounded up.
     */
    static int heapBytes(ScopeKey key, Entry entry) {
        return 2 * key.value().length() + 2 * entry.document().length + 100 * entry.stored().options().size() + 300;
    }

    /** The entry of {@code key}, when the cache is trusted and holds it. */
    public Optional<Entry> get(ScopeKey key) {
        if (!trusted) {
            return Optional.empty();
        }
        return Optional.ofNullable(entries.getIfPresent(key));
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

    /** Keeps {@code entry} unless the cache is untrusted, holds a newer version, or heard of a newer one. */
    public void offer(ScopeKey key, Entry entry) {
        heard(key, entry.version());
        if (!trusted) {
            return;
        }
        Entry present = entries.getIfPresent(key);
        if (present != null && present.version() > entry.version()) {
            // refused without a compute, which would start the newer entry's life again
            return;
        }
        // the same version again (a read of the primary) starts the entry's life again: it was just confirmed
        entries.asMap().compute(key, (k, current) -> {
            if (current != null && current.version() >= entry.version()) {
                return current;
            }
            Long known = newest.getIfPresent(k);
            return known != null && known > entry.version() ? current : entry;
        });
    }

    /** Scope {@code key} is at {@code version} or later: older entries go, older fills are refused. */
    public void invalidate(ScopeKey key, long version) {
        heard(key, version);
        entries.asMap().computeIfPresent(key, (k, current) -> current.version() < version ? null : current);
    }

    /** The newest version of {@code key} this instance has heard of, 0 if none. */
    public long newestKnown(ScopeKey key) {
        Long known = newest.getIfPresent(key);
        return known == null ? 0 : known;
    }

    private void heard(ScopeKey key, long version) {
        newest.asMap().merge(key, version, Math::max);
    }

    /** Runs the pending maintenance (evictions) now, which Caffeine otherwise does soon after. */
    void cleanUp() {
        entries.cleanUp();
        newest.cleanUp();
    }

    /** Forgets every entry, as an eviction would. */
    void flush() {
        entries.invalidateAll();
    }

    /** Whether the invalidation feed is connected, so that entries are kept and answered (and Redis is up). */
    public boolean trusted() {
        return trusted;
    }

    /** Called by the invalidation feed: trusted only while it is connected; losing it flushes everything. */
    public void trust(boolean connected) {
        if (!connected) {
            trusted = false;
            entries.invalidateAll();
        } else {
            trusted = true;
        }
    }
}
