package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;

/** The near cache's documents tier: what it answers, what it refuses, and its ring and index. */
class NearDocumentsTest {

    private static final long FOREVER = Long.MAX_VALUE / 2;
    private static final LongSupplier NONE_HEARD = () -> 0;
    private static final BooleanSupplier OPEN = () -> true;

    /** A scope document naming its own scope and version, so that an answer can be checked against its question. */
    private static byte[] document(int kind, long id, long version) {
        return ("{\"version\":" + version + ",\"options\":{\"kind\":" + kind + ",\"id\":" + id + "}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String text(NearDocuments.Held held) {
        return held == null ? null : new String(held.document(), StandardCharsets.UTF_8);
    }

    private static boolean offer(NearDocuments documents, int kind, long id, long version) {
        return documents.offer(kind, id, version, document(kind, id, version), FOREVER, NONE_HEARD, OPEN);
    }

    @Test
    void aDocumentComesBackAsItWentInFramedOrNot() {
        NearDocuments documents = new NearDocuments(1 << 20, 4096);
        byte[] framed = document(NearDocuments.PROJECT, 7, 1234567890123L);
        byte[] unframed = "{\"options\":{},\"version\":3}".getBytes(StandardCharsets.UTF_8);
        byte[] wrongVersion = document(NearDocuments.USER, 9, 5);

        assertThat(documents.offer(NearDocuments.PROJECT, 7, 1234567890123L, framed, FOREVER, NONE_HEARD, OPEN)).isTrue();
        assertThat(documents.offer(NearDocuments.ORGANIZATION, 7, 3, unframed, FOREVER, NONE_HEARD, OPEN)).isTrue();
        assertThat(documents.offer(NearDocuments.USER, 9, 6, wrongVersion, FOREVER, NONE_HEARD, OPEN)).isTrue();

        assertThat(documents.get(NearDocuments.PROJECT, 7, 0).document()).isEqualTo(framed);
        assertThat(documents.get(NearDocuments.PROJECT, 7, 0).version()).isEqualTo(1234567890123L);
        assertThat(documents.get(NearDocuments.ORGANIZATION, 7, 0).document()).isEqualTo(unframed);
        assertThat(documents.get(NearDocuments.USER, 9, 0).document()).as("a frame of another version is kept as it is")
                .isEqualTo(wrongVersion);
        assertThat(documents.get(NearDocuments.USER, 7, 0)).as("same id, another kind").isNull();
    }

    @Test
    void theFrameIsRecognizedOnlyWhenItIsExactlyTheScopeDocumentsOwn() {
        assertThat(NearDocuments.frame(12, document(0, 1, 12))).isEqualTo("{\"version\":12,\"options\":".length());
        assertThat(NearDocuments.frame(12, document(0, 1, 13))).isEqualTo(-1);
        assertThat(NearDocuments.frame(12, document(0, 1, 1))).isEqualTo(-1);
        assertThat(NearDocuments.frame(1, document(0, 1, 12))).isEqualTo(-1);
        assertThat(NearDocuments.frame(0, "{\"version\":0,\"options\":".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(NearDocuments.frame(0, "{\"version\":0,\"options\":{}]".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(NearDocuments.frame(0, "{\"version\":0,\"options\":{}}".getBytes(StandardCharsets.UTF_8))).isGreaterThan(0);
    }

    @Test
    void anOlderVersionNeverReplacesANewerOneNorLandsAfterANewerOneWasHeardOf() {
        NearDocuments documents = new NearDocuments(1 << 20, 4096);
        offer(documents, 1, 1, 5);
        assertThat(offer(documents, 1, 1, 4)).isFalse();
        assertThat(documents.get(1, 1, 0).version()).isEqualTo(5);
        assertThat(offer(documents, 1, 1, 6)).isTrue();
        assertThat(documents.get(1, 1, 0).version()).isEqualTo(6);
        assertThat(text(documents.get(1, 1, 0))).isEqualTo(new String(document(1, 1, 6), StandardCharsets.UTF_8));

        assertThat(documents.offer(1, 2, 3, document(1, 2, 3), FOREVER, () -> 4, OPEN)).as("version 4 was heard of").isFalse();
        assertThat(documents.get(1, 2, 0)).isNull();
        assertThat(documents.offer(1, 2, 4, document(1, 2, 4), FOREVER, () -> 4, OPEN)).isTrue();
    }

    @Test
    void anInvalidationRemovesOnlyOlderVersions() {
        NearDocuments documents = new NearDocuments(1 << 20, 4096);
        offer(documents, 0, 1, 3);
        documents.invalidate(0, 1, 3);
        assertThat(documents.get(0, 1, 0).version()).isEqualTo(3);
        documents.invalidate(0, 1, 4);
        assertThat(documents.get(0, 1, 0)).isNull();
        assertThat(documents.size()).as("nothing left in the index").isZero();
    }

    @Test
    void aDocumentExpiresAndTheSameVersionAgainStartsItsLifeAgain() {
        NearDocuments documents = new NearDocuments(1 << 20, 4096);
        documents.offer(0, 1, 1, document(0, 1, 1), 100, NONE_HEARD, OPEN);
        assertThat(documents.get(0, 1, 99).expiresAt()).isEqualTo(100);
        assertThat(documents.get(0, 1, 100)).isNull();

        assertThat(documents.offer(0, 1, 1, document(0, 1, 1), 200, NONE_HEARD, OPEN)).isTrue();
        assertThat(documents.get(0, 1, 150).version()).isEqualTo(1);
        assertThat(documents.get(0, 1, 200)).isNull();
    }

    @Test
    void whatDoesNotFitAPageIsNotHeldAndAnOlderVersionGoes() {
        NearDocuments documents = new NearDocuments(4096, 256);
        offer(documents, 0, 1, 1);
        byte[] large = ("{\"version\":2,\"options\":{\"text\":\"" + "x".repeat(300) + "\"}}").getBytes(StandardCharsets.UTF_8);
        assertThat(documents.offer(0, 1, 2, large, FOREVER, NONE_HEARD, OPEN)).isFalse();
        assertThat(documents.get(0, 1, 0)).as("version 1 is not answered once version 2 was offered").isNull();
    }

    @Test
    void closedOrClearedItHoldsNothing() {
        NearDocuments documents = new NearDocuments(1 << 20, 4096);
        offer(documents, 0, 1, 1);
        assertThat(documents.offer(0, 2, 1, document(0, 2, 1), FOREVER, NONE_HEARD, () -> false)).isFalse();
        documents.clear();
        assertThat(documents.get(0, 1, 0)).isNull();
        assertThat(documents.size()).isZero();
        assertThat(documents.allocatedBytes()).as("its pages went back to the heap").isZero();
        assertThat(offer(documents, 0, 1, 2)).isTrue();
        assertThat(documents.get(0, 1, 0).version()).isEqualTo(2);
    }

    @Test
    void whenTheRingComesRoundTheOldestPageIsForgottenAndEverythingElseStillAnswersItsOwnDocument() {
        // 8 pages of 512 bytes; a record is 29 + about 44 bytes, so a page takes 7
        NearDocuments documents = new NearDocuments(8 * 512, 512);
        int scopes = 200;
        for (int id = 1; id <= scopes; id++) {
            assertThat(offer(documents, 0, id, 1)).isTrue();
        }
        assertThat(documents.evicted()).isGreaterThan(0);
        assertThat(documents.allocatedBytes()).isEqualTo(8 * 512);
        assertThat(documents.get(0, 1, 0)).as("the first went with the first page").isNull();
        assertThat(documents.get(0, scopes, 0).version()).isEqualTo(1);
        int held = 0;
        for (int id = 1; id <= scopes; id++) {
            NearDocuments.Held found = documents.get(0, id, 0);
            if (found != null) {
                held++;
                assertThat(text(found)).isEqualTo(new String(document(0, id, 1), StandardCharsets.UTF_8));
            }
        }
        assertThat(held).isEqualTo(documents.size()).isGreaterThan(40).isLessThan(scopes);
        assertThat((long) held + documents.evicted()).isEqualTo(scopes);
    }

    @Test
    void aDocumentReadAllTheTimeMovesAwayFromThePagesRecycledNext() {
        NearDocuments documents = new NearDocuments(8 * 512, 512);
        offer(documents, 0, 1, 1);
        for (int id = 2; id <= 400; id++) {
            offer(documents, 0, id, 1);
            // its refresh: the same version again, in place while recent, appended anew once old
            assertThat(documents.offer(0, 1, 1, document(0, 1, 1), FOREVER, NONE_HEARD, OPEN)).isTrue();
        }
        assertThat(documents.get(0, 1, 0).version()).isEqualTo(1);
        assertThat(documents.get(0, 2, 0)).isNull();
    }

    /** Many scopes of every kind, many versions, invalidations and wraps: it always answers what a plain map says. */
    @Test
    void itAgreesWithAModelOfItsContracts() {
        Random random = new Random(42);
        NearDocuments documents = new NearDocuments(64 * 1024, 1024);
        Map<String, Long> offered = new HashMap<>();
        Map<String, Long> heard = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            int kind = random.nextInt(3);
            long id = 1 + random.nextInt(3000);
            String key = kind + ":" + id;
            long version = 1 + random.nextInt(20);
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    long newest = heard.getOrDefault(key, 0L);
                    boolean held = documents.offer(kind, id, version, document(kind, id, version), FOREVER, () -> newest, OPEN);
                    // every version offered was heard of, so what was heard of decides
                    assertThat(held).as("offer of %s at %d, %d heard of", key, version, newest).isEqualTo(version >= newest);
                    if (held) {
                        offered.put(key, version);
                    }
                    heard.merge(key, version, Math::max);
                }
                case 2 -> {
                    documents.invalidate(kind, id, version);
                    heard.merge(key, version, Math::max);
                    if (offered.getOrDefault(key, 0L) < version) {
                        offered.remove(key);
                    }
                }
                default -> {
                    NearDocuments.Held found = documents.get(kind, id, 0);
                    if (found != null) {
                        assertThat(found.version()).as(key).isEqualTo(offered.get(key));
                        assertThat(found.document()).isEqualTo(document(kind, id, found.version()));
                    }
                }
            }
        }
        assertThat(documents.evicted()).as("the ring came round").isGreaterThan(0);
        int held = 0;
        for (Map.Entry<String, Long> entry : offered.entrySet()) {
            String[] parts = entry.getKey().split(":");
            NearDocuments.Held found = documents.get(Integer.parseInt(parts[0]), Long.parseLong(parts[1]), 0);
            if (found != null) {
                held++;
                assertThat(found.version()).isEqualTo(entry.getValue());
            }
        }
        assertThat(held).isEqualTo(documents.size());
    }

    /** Readers, fillers and invalidations on several threads at once, the ring wrapping all along. */
    @Test
    void concurrentlyEveryAnswerIsItsOwnScopesAndNeverOlderThanAnInvalidationBeforeIt() throws Exception {
        NearDocuments documents = new NearDocuments(16 * 1024, 1024);
        int scopes = 500;
        // per scope: the newest version heard of, and that of the last invalidation done
        Map<Long, AtomicLong> heard = new ConcurrentHashMap<>();
        Map<Long, AtomicLong> invalidated = new ConcurrentHashMap<>();
        for (long id = 1; id <= scopes; id++) {
            heard.put(id, new AtomicLong());
            invalidated.put(id, new AtomicLong());
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        List<Future<Long>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int role = t;
            workers.add(threads.submit(() -> {
                start.await();
                long checked = 0;
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < until) {
                    long id = 1 + random.nextInt(scopes);
                    AtomicLong heardOf = heard.get(id);
                    if (role == 0) {
                        // an invalidation: raise what is heard of first, as the near cache does
                        long version = heardOf.get() + 1;
                        heardOf.accumulateAndGet(version, Math::max);
                        documents.invalidate(0, id, version);
                        invalidated.get(id).accumulateAndGet(version, Math::max);
                    } else if (role == 1) {
                        // a fill, perhaps of a load that began before the last invalidation
                        long version = Math.max(0, heardOf.get() - 1 + random.nextInt(3));
                        documents.offer(0, id, version, document(0, id, version), FOREVER, heardOf::get, OPEN);
                    } else {
                        long before = invalidated.get(id).get();
                        NearDocuments.Held found = documents.get(0, id, 0);
                        if (found != null) {
                            assertThat(found.document()).isEqualTo(document(0, id, found.version()));
                            assertThat(found.version()).as("never older than an invalidation before the read")
                                    .isGreaterThanOrEqualTo(before);
                            checked++;
                        }
                    }
                }
                return checked;
            }));
        }
        start.countDown();
        long checked = 0;
        for (Future<Long> worker : workers) {
            checked += worker.get(10, TimeUnit.SECONDS);
        }
        threads.shutdown();
        assertThat(checked).as("answers checked").isGreaterThan(1000);
        assertThat(documents.evicted()).isGreaterThan(0);
    }
}
