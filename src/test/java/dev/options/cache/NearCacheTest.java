package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.config.OptionsConfig;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The near cache's contracts, with a ticker the test controls. */
class NearCacheTest {

    private static final ScopeKey KEY = new ScopeKey("project_options:1");

    private final AtomicLong nanos = new AtomicLong();
    private NearCache cache;

    @BeforeEach
    void setUp() {
        cache = trustedCache(Map.of("options.cache.near-ttl", "PT60S"));
    }

    /** A near cache of {@code settings} on the test's ticker, trusted (its feed connected). */
    private NearCache trustedCache(Map<String, String> settings) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(OptionsConfig.class)
                .withSources(new PropertiesConfigSource(settings, "test", 100))
                .build();
        NearCache created = new NearCache(config.getConfigMapping(OptionsConfig.class), new SimpleMeterRegistry(), nanos::get);
        created.trust(true);
        return created;
    }

    private static NearCache.Entry entry(long version) {
        return new NearCache.Entry(new StoredScope(version, Map.of("a", IntNode.valueOf((int) version))), new byte[] { 1 });
    }

    private long cachedVersion() {
        return cache.get(KEY).map(e -> e.stored().version()).orElse(-1L);
    }

    @Test
    void aLoadThatBeganBeforeAnInvalidationNeverLandsItsStaleResult() {
        cache.offer(KEY, entry(1));
        // a reader misses after an eviction and starts loading; Postgres answers version 1 ...
        cache.flush();
        NearCache.Entry loadedBeforeTheWrite = entry(1);
        // ... while another instance commits version 2, whose event arrives before the load ends
        cache.invalidate(KEY, 2);
        cache.offer(KEY, loadedBeforeTheWrite);

        assertThat(cache.get(KEY)).as("the stale load was refused").isEmpty();
        cache.offer(KEY, entry(2));
        assertThat(cachedVersion()).isEqualTo(2);
    }

    @Test
    void aLoadWhoseScopeWasForgottenMeanwhileIsRefusedNotLandedStale() {
        Scope project = Scope.project(1);
        cache.offer(KEY, entry(1));
        cache.flush();
        // a reader misses and starts loading; Postgres answers version 1 ...
        long ticket = cache.ticket(KEY);
        // ... while version 2's event arrives, and then another scope of the same slot is heard of,
        // which makes the cache forget version 2
        cache.invalidate(KEY, 2);
        scopeOfTheSameSlot(KEY, 2);
        assertThat(cache.heardOf(KEY)).as("forgotten").isZero();
        cache.offer(KEY, entry(1), ticket);

        assertThat(cache.get(KEY)).as("the load cannot tell what it missed: refused").isEmpty();
        assertThat(cache.document(project)).isNull();
        cache.offer(KEY, entry(2), cache.ticket(KEY));
        assertThat(cachedVersion()).as("a load begun after it lands").isEqualTo(2);
        assertThat(cache.document(project).version()).isEqualTo(2);
    }

    @Test
    void aWriteRefusedBecauseItsSlotChangedHandsStillTakesTheOlderVersionAway() {
        Scope project = Scope.project(1);
        cache.offer(KEY, entry(1));
        // this instance writes version 2, taking its ticket before the commit ...
        long ticket = cache.ticket(KEY);
        // ... and another scope of the same slot is heard of before the write offers its result
        scopeOfTheSameSlot(KEY, 1);
        cache.offer(KEY, entry(2), ticket);

        assertThat(cache.get(KEY)).as("refused, and version 1 is gone: never older than this instance wrote").isEmpty();
        assertThat(cache.document(project)).isNull();
        assertThat(cache.heardOf(KEY)).as("version 2 is heard of").isEqualTo(2);
        cache.offer(KEY, entry(1), cache.ticket(KEY));
        assertThat(cache.get(KEY)).as("so an older fill is refused").isEmpty();
    }

    @Test
    void aLoadWhoseSlotOtherScopesLeftAloneLandsThoughTheCacheHeardOfThem() {
        long ticket = cache.ticket(KEY);
        for (int i = 2; i < 1_000; i++) {
            ScopeKey other = new ScopeKey("project_options:" + i);
            long before = cache.ticket(KEY);
            cache.invalidate(other, 1);
            if (cache.ticket(KEY) != before) {
                // that one took the slot; the rest of this test needs it untouched
                ticket = cache.ticket(KEY);
            }
        }
        cache.offer(KEY, entry(1), ticket);
        assertThat(cachedVersion()).isEqualTo(1);
        assertThat(cache.document(Scope.project(1)).version()).isEqualTo(1);
    }

    /** A scope whose version heard of, here {@code version}, takes {@code key}'s slot from it. */
    private ScopeKey scopeOfTheSameSlot(ScopeKey key, long version) {
        long known = cache.heardOf(key);
        for (int i = 1_000_000;; i++) {
            ScopeKey candidate = new ScopeKey("organization_options:" + i);
            cache.invalidate(candidate, version);
            if (cache.heardOf(key) != known) {
                return candidate;
            }
        }
    }

    @Test
    void theNewerOfTwoFillsOfAScopeNeverHeardOfLandsThoughBothTookTheirTicketsFirst() {
        ScopeKey fresh = new ScopeKey("project_options:2");
        long older = cache.ticket(fresh);
        long newer = cache.ticket(fresh);
        cache.offer(fresh, entry(3), older);
        cache.offer(fresh, entry(4), newer);
        assertThat(cache.get(fresh).map(e -> e.stored().version())).as("the first fill took an empty slot: nothing was forgotten")
                .contains(4L);
        assertThat(cache.document(Scope.project(2)).version()).isEqualTo(4);
    }

    @Test
    void anEntryIsNeverReplacedByAnOlderVersion() {
        cache.offer(KEY, entry(5));
        cache.offer(KEY, entry(4));
        assertThat(cachedVersion()).isEqualTo(5);
        cache.offer(KEY, entry(6));
        assertThat(cachedVersion()).isEqualTo(6);
    }

    @Test
    void anInvalidationEvictsOnlyOlderVersions() {
        cache.offer(KEY, entry(3));
        cache.invalidate(KEY, 3);
        assertThat(cachedVersion()).as("the event of the version held").isEqualTo(3);
        cache.invalidate(KEY, 4);
        assertThat(cache.get(KEY)).isEmpty();
        assertThat(cache.heardOf(KEY)).isEqualTo(4);
    }

    @Test
    void withoutTheFeedTheCacheAnswersNothingTakesNothingAndForgetsWhatItHad() {
        cache.offer(KEY, entry(1));
        cache.trust(false);
        assertThat(cache.get(KEY)).isEmpty();
        cache.offer(KEY, entry(2));
        cache.trust(true);
        assertThat(cache.get(KEY)).as("nothing survives an outage of the feed").isEmpty();
        assertThat(cache.heardOf(KEY)).as("but versions heard of still count").isEqualTo(2);
    }

    @Test
    void entriesExpireAfterTheirTtlAsABackstopAgainstALostInvalidation() {
        cache.offer(KEY, entry(1));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(44));
        assertThat(cache.get(KEY)).as("three quarters of the TTL at least").isPresent();
        nanos.addAndGet(Duration.ofSeconds(17).toNanos());
        assertThat(cache.get(KEY)).as("never longer than the TTL").isEqualTo(Optional.empty());
    }

    @Test
    void anOfferOfAnOlderVersionDoesNotLengthenTheEntrysLife() {
        cache.offer(KEY, entry(2));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(40));
        cache.offer(KEY, entry(1));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(21));
        assertThat(cache.get(KEY)).as("still the first fill's life").isEqualTo(Optional.empty());
    }

    @Test
    void anEntryIsDueForRefreshInTheLastQuarterOfTheTtl() {
        cache.offer(KEY, entry(1));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(30));
        assertThat(cache.dueForRefresh(KEY)).isFalse();
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(15));
        assertThat(cache.get(KEY)).isPresent();
        assertThat(cache.dueForRefresh(KEY)).isTrue();
        cache.offer(KEY, entry(1));
        assertThat(cache.dueForRefresh(KEY)).as("a fill of the same version starts a new life").isFalse();
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(44));
        assertThat(cache.get(KEY)).isPresent();
        assertThat(cache.dueForRefresh(new ScopeKey("project_options:404"))).as("absent: nothing to refresh").isFalse();
    }

    @Test
    void entriesFilledTogetherDoNotAllExpireTogether() {
        List<ScopeKey> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            keys.add(new ScopeKey("project_options:" + (1000 + i)));
            cache.offer(keys.get(i), entry(1));
        }
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(52));
        long left = keys.stream().filter(key -> cache.get(key).isPresent()).count();
        assertThat(left).as("of 200 entries filled at once, some gone and some left between 45 s and 60 s")
                .isBetween(20L, 180L);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(9));
        assertThat(keys.stream().filter(key -> cache.get(key).isPresent()).count()).isZero();
    }

    @Test
    void itsWeightBoundsTheHeapItsEntriesTakeOptionsIncluded() {
        NearCache small = trustedCache(Map.of("options.cache.near-max-weight", "1000000"));
        Map<String, com.fasterxml.jackson.databind.JsonNode> tenOptions = new java.util.HashMap<>();
        for (int k = 0; k < 10; k++) {
            tenOptions.put("k" + k, IntNode.valueOf(k));
        }
        byte[] document = new byte[120];
        for (int i = 1; i <= 5000; i++) {
            small.offer(new ScopeKey("project_options:" + i), new NearCache.Entry(new StoredScope(1, tenOptions), document));
        }
        small.cleanUp();
        long held = 0;
        for (int i = 1; i <= 5000; i++) {
            held += small.get(new ScopeKey("project_options:" + i)).isPresent() ? 1 : 0;
        }
        // ten options and their document weigh about 940 bytes: a million weighed bytes hold about
        // 1,060 such entries, not the 1,850 the entry without its options would allow, nor the eight
        // thousand of the documents alone
        assertThat(held).isPositive().isLessThanOrEqualTo(1100);
    }

    @Test
    void versionsHeardOfAreKeptForABoundedNumberOfScopes() {
        for (int i = 0; i < NearCache.HEARD_KEPT * 2; i++) {
            cache.invalidate(new ScopeKey("project_options:" + i), 2);
        }
        cache.cleanUp();
        long remembered = 0;
        for (int i = 0; i < NearCache.HEARD_KEPT * 2; i++) {
            remembered += cache.heardOf(new ScopeKey("project_options:" + i)) > 0 ? 1 : 0;
        }
        assertThat(remembered).as("bounded, so a million scopes cannot fill the heap").isLessThanOrEqualTo(NearCache.HEARD_KEPT);
    }

    @Test
    void aVersionHeardOfOnlyRisesAndIsNeverTakenForAnotherScopesOfTheSameSlot() {
        NearCache.Heard heard = new NearCache.Heard(16);
        ScopeKey first = new ScopeKey("project_options:1");
        heard.raise(first, 5);
        heard.raise(first, 3);
        assertThat(heard.get(first)).isEqualTo(5);
        ScopeKey sameSlot = null;
        for (int i = 2; sameSlot == null; i++) {
            ScopeKey candidate = new ScopeKey("project_options:" + i);
            heard.raise(candidate, 0);
            if (heard.get(first) == 0) {
                sameSlot = candidate;
            } else {
                assertThat(heard.get(first)).isEqualTo(5);
            }
        }
        // the other scope took the slot: the first is forgotten (as an eviction would), never answered
        // with the other's version
        heard.raise(sameSlot, 9);
        assertThat(heard.get(first)).isZero();
        assertThat(heard.get(sameSlot)).isEqualTo(9);

        // a fill of the first by a load that began before the slot changed hands is refused; a
        // load's ticket taken now admits it, and then holds against any newer version heard of
        long before = heard.ticket(first);
        heard.raise(first, 1);
        assertThat(heard.admit(first, 1, before)).isNegative();
        assertThat(heard.since(first, before)).isEqualTo(NearCache.Heard.FORGOTTEN);
        long now = heard.ticket(first);
        heard.raise(first, 4);
        assertThat(heard.admit(first, 3, now)).as("older than heard of").isNegative();
        assertThat(heard.admit(first, 4, now)).isEqualTo(now);
        assertThat(heard.since(first, now)).isEqualTo(4);
    }

    @Test
    void onceNearlyFullAReadsFillIsKeptOnlyForAScopeThatMissedBeforeOrIsHeld() {
        NearCache small = trustedCache(Map.of("options.cache.near-max-weight", "100000",
                        "options.cache.near-ttl", "PT60S"));
        ScopeKey first = new ScopeKey("project_options:1");
        small.offerRead(first, entry(1));
        assertThat(small.get(first)).as("room left: a first read is kept").isPresent();
        for (int i = 2; i <= 400; i++) {
            small.offerRead(new ScopeKey("project_options:" + i), entry(1));
        }
        small.cleanUp();
        ScopeKey once = new ScopeKey("user_options:7");
        small.offerRead(once, entry(3));
        assertThat(small.get(once)).as("nearly full: read once, not kept").isEmpty();
        assertThat(small.heardOf(once)).as("but its version was heard of").isEqualTo(3);
        small.offerRead(once, entry(3));
        assertThat(small.get(once)).as("read again soon after: kept").isPresent();
        // a held entry's refresh (a read of the same version) is taken and starts its life again
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(40));
        small.offerRead(once, entry(3));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(40));
        assertThat(small.get(once)).isPresent();
    }

    @Test
    void theDocumentsTierKeepsTheSameContracts() {
        Scope project = Scope.project(1);
        cache.offer(KEY, entry(2));
        assertThat(cache.document(project).version()).isEqualTo(2);
        assertThat(cache.document(project).bytes()).containsExactly(1);
        cache.offer(KEY, entry(1));
        assertThat(cache.document(project).version()).as("never an older version").isEqualTo(2);
        cache.invalidate(KEY, 3);
        assertThat(cache.document(project)).as("an event of a newer version removes it").isNull();
        cache.offer(KEY, entry(2));
        assertThat(cache.document(project)).as("a load that began before that event does not land").isNull();
        cache.offer(KEY, entry(3));
        assertThat(cache.document(project).version()).isEqualTo(3);
        assertThat(cache.document(Scope.organization(1))).as("another kind, the same id").isNull();

        cache.trust(false);
        assertThat(cache.document(project)).isNull();
        cache.offer(KEY, entry(4));
        cache.trust(true);
        assertThat(cache.document(project)).as("nothing survives an outage of the feed").isNull();

        Scope narrowed = Scope.userInProject(1, 2);
        cache.offer(narrowed.key(), entry(1));
        assertThat(cache.document(narrowed)).as("scopes of two identifiers are not held there").isNull();
        assertThat(cache.get(narrowed.key())).isPresent();
        cache.offer(Scope.user(5).key(), entry(1));
        assertThat(cache.document(Scope.user(5)).version()).isEqualTo(1);
    }

    @Test
    void aDocumentExpiresAndIsDueForRefreshAsAnEntryIs() {
        Scope project = Scope.project(1);
        cache.offer(KEY, entry(1));
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(30));
        assertThat(cache.document(project).dueForRefresh()).isFalse();
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(15));
        assertThat(cache.document(project).dueForRefresh()).isTrue();
        cache.offerRead(KEY, entry(1));
        assertThat(cache.document(project).dueForRefresh()).as("a fill of the same version starts a new life").isFalse();
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(61));
        assertThat(cache.document(project)).as("never longer than the TTL").isNull();
    }

    @Test
    void onceTheEntriesAreNearlyFullAReadsFillStillGoesToTheDocumentsTier() {
        NearCache small = trustedCache(Map.of("options.cache.near-max-weight", "100000"));
        for (int i = 1; i <= 400; i++) {
            small.offerRead(new ScopeKey("project_options:" + i), entry(1));
        }
        small.cleanUp();
        Scope once = Scope.organization(7);
        small.offerRead(once.key(), entry(3));
        assertThat(small.get(once.key())).as("read once: no entry").isEmpty();
        assertThat(small.document(once).version()).as("but its document is held").isEqualTo(3);
        assertThat(small.document(Scope.project(1)).version()).isEqualTo(1);
    }

    /**
     * Runs {@code first} and {@code second} on two threads released together, {@code rounds} times
     * (or until {@code limit} passes), checking {@code after} once both are done each round.
     */
    private static void race(int rounds, Duration limit, java.util.function.IntConsumer setUp, java.util.function.IntConsumer first,
            java.util.function.IntConsumer second, java.util.function.IntConsumer after) throws Exception {
        java.util.concurrent.atomic.AtomicInteger go = new java.util.concurrent.atomic.AtomicInteger(-1);
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger(-1);
        java.util.concurrent.atomic.AtomicInteger rounds2 = new java.util.concurrent.atomic.AtomicInteger(rounds);
        Thread helper = new Thread(() -> {
            for (int round = 0; round < rounds2.get(); round++) {
                while (go.get() < round) {
                    Thread.onSpinWait();
                }
                second.accept(round);
                done.set(round);
            }
        });
        helper.setDaemon(true);
        helper.start();
        long deadline = System.nanoTime() + limit.toNanos();
        int round = 0;
        try {
            for (; round < rounds && System.nanoTime() < deadline; round++) {
                setUp.accept(round);
                go.set(round);
                first.accept(round);
                while (done.get() < round) {
                    Thread.onSpinWait();
                }
                after.accept(round);
            }
        } finally {
            rounds2.set(round);
            go.set(Integer.MAX_VALUE);
            helper.join(10_000);
        }
    }

    @Test
    void aFillRacingAnInvalidationNeverLeavesTheOlderVersionHeld() throws Exception {
        // user-in-project scopes live in the entries tier alone, whose compute an invalidation cannot see in progress
        long[] tickets = new long[1];
        NearCache.Entry[] fills = new NearCache.Entry[1];
        race(400_000, Duration.ofSeconds(20),
                round -> {
                    ScopeKey key = new ScopeKey("user_options:1:project:" + (round + 1));
                    tickets[0] = cache.ticket(key);
                    fills[0] = entry(1);
                },
                round -> cache.offer(new ScopeKey("user_options:1:project:" + (round + 1)), fills[0], tickets[0]),
                round -> cache.invalidate(new ScopeKey("user_options:1:project:" + (round + 1)), 2),
                round -> {
                    ScopeKey key = new ScopeKey("user_options:1:project:" + (round + 1));
                    assertThat(cache.get(key).map(e -> e.stored().version()).orElse(2L))
                            .as("round %d: held after an invalidation to version 2", round).isGreaterThanOrEqualTo(2L);
                    cache.invalidate(key, Long.MAX_VALUE);
                });
    }

    @Test
    void aFillRacingADistrustIsNeverServedOnceTrustedAgain() throws Exception {
        long[] tickets = new long[1];
        race(200_000, Duration.ofSeconds(20),
                round -> {
                    cache.trust(true);
                    tickets[0] = cache.ticket(new ScopeKey("user_options:2:project:" + (round + 1)));
                },
                round -> cache.offer(new ScopeKey("user_options:2:project:" + (round + 1)), entry(1), tickets[0]),
                round -> cache.trust(false),
                round -> {
                    // the feed is back: whatever the outage flushed must stay gone
                    cache.trust(true);
                    assertThat(cache.get(new ScopeKey("user_options:2:project:" + (round + 1))))
                            .as("round %d: a fill that raced a flush", round).isEmpty();
                });
    }

    @Test
    void aLoadBegunBeforeADistrustIsRefusedInBothTiersAfterIt() {
        // a gap check flushes and trusts again at once: a load that read before it must not land after it
        long ticket = cache.ticket(KEY);
        cache.trust(false);
        cache.trust(true);
        cache.offerRead(KEY, entry(1), ticket);
        assertThat(cache.get(KEY)).as("entries").isEmpty();
        assertThat(cache.document(Scope.project(1))).as("documents").isNull();
        cache.offerRead(KEY, entry(1), cache.ticket(KEY));
        assertThat(cachedVersion()).as("a load begun after it lands").isEqualTo(1);
    }
}
