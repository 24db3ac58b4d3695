package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Events;
import dev.options.Fixtures;
import dev.options.RedisMonitor;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.redis.client.impl.types.ErrorType;

/**
 * Reads of Redis asked for together on an event loop go out as one MGET, and each reader gets its
 * own scope: a hit its own version, a miss nothing, whatever its place in the batch; so does each
 * scope of a bulk read. An offer and the command sent with it go out together, on one connection,
 * and the offers an event loop asks for together go out as one batch, each answered its own replies;
 * a command Redis refuses fails only the offer it was sent with, and the others, sent again, are
 * published once.
 */
@QuarkusTest
class SharedCacheBatchTest {

    @Inject
    SharedCache shared;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @Inject
    Vertx vertx;

    @ConfigProperty(name = "quarkus.redis.hosts")
    String hosts;

    /** How long the test's offers wait for Redis. */
    static final Duration OFFER_WAIT = Duration.ofSeconds(5);

    /** A stream of this test's own, for the command sent along with an offer. */
    static final String TEST_STREAM = "options:test:offer-with";

    @Test
    void readsAskedForTogetherGoOutInOneCommandAndEachGetsItsOwnScope() throws Exception {
        List<ScopeKey> keys = offerScopes(shared);
        long mgetsBefore = calls("mget");
        long getsBefore = calls("get");
        readTogetherEachGetsItsOwn(shared, vertx, keys);
        assertThat(calls("mget") - mgetsBefore).as("MGETs: one for 40 reads asked for in one event-loop task, one for the bulk read")
                .isEqualTo(2);
        assertThat(calls("get") - getsBefore).as("single GETs").isZero();
    }

    /** 40 new scopes, all but every third stored in Redis at versions of their own. */
    static List<ScopeKey> offerScopes(SharedCache shared) {
        List<ScopeKey> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ScopeKey key = Scope.organization(Fixtures.newId()).key();
            keys.add(key);
            if (i % 3 != 0) {
                shared.offer(key, new StoredScope(100 + i, Map.of("n", IntNode.valueOf(i))), OFFER_WAIT).await().indefinitely();
            }
        }
        return keys;
    }

    /**
     * Reads the scopes of {@link #offerScopes} in one event-loop task and in one
     * {@link SharedCache#getAll}, and checks that each read got its own scope.
     */
    static void readTogetherEachGetsItsOwn(SharedCache shared, Vertx vertx, List<ScopeKey> keys) throws Exception {
        Context loop = vertx.getOrCreateContext();
        CompletableFuture<List<Optional<StoredScope>>> read = new CompletableFuture<>();
        loop.runOnContext(ignored -> {
            List<Uni<Optional<StoredScope>>> reads = keys.stream().map(shared::get).toList();
            Uni.join().all(reads).andFailFast().subscribe().with(read::complete, read::completeExceptionally);
        });
        List<Optional<StoredScope>> found = read.get(10, TimeUnit.SECONDS);
        Map<ScopeKey, StoredScope> all = shared.getAll(keys).await().atMost(Duration.ofSeconds(10));
        for (int i = 0; i < keys.size(); i++) {
            if (i % 3 == 0) {
                assertThat(found.get(i)).as("scope %d, not in Redis", i).isEmpty();
                assertThat(all).as("scope %d, not in Redis", i).doesNotContainKey(keys.get(i));
            } else {
                assertThat(found.get(i)).as("scope %d, read in a batch", i).isPresent();
                assertThat(all).as("scope %d, read in bulk", i).containsKey(keys.get(i));
                for (StoredScope stored : List.of(found.get(i).get(), all.get(keys.get(i)))) {
                    assertThat(stored.version()).as("scope %d", i).isEqualTo(100 + i);
                    assertThat(stored.options().get("n").asInt()).as("scope %d", i).isEqualTo(i);
                }
            }
        }
    }

    @Test
    void aReadOffTheEventLoopIsAnsweredToo() {
        ScopeKey key = Scope.organization(Fixtures.newId()).key();
        shared.offer(key, new StoredScope(7, Map.of("n", IntNode.valueOf(7))), OFFER_WAIT).await().indefinitely();
        assertThat(shared.get(key).await().atMost(Duration.ofSeconds(5)))
                .hasValueSatisfying(stored -> assertThat(stored.version()).isEqualTo(7));
        assertThat(shared.get(Scope.organization(Fixtures.newId()).key()).await().atMost(Duration.ofSeconds(5)))
                .isEmpty();
    }

    @Test
    void anOfferAndTheCommandSentWithItShareOneRoundTrip() throws Exception {
        List<ScopeKey> keys = new ArrayList<>();
        try (RedisMonitor monitor = RedisMonitor.open(hosts)) {
            List<Uni<Void>> sends = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ScopeKey key = Scope.organization(Fixtures.newId()).key();
                keys.add(key);
                sends.add(shared.offerWithAll(key, new StoredScope(3, Map.of("n", IntNode.valueOf(i))),
                        List.of(Request.cmd(Command.XADD).arg(TEST_STREAM).arg("*").arg("scope").arg(key.value())))
                        .replaceWithVoid());
            }
            // all at once, as concurrent saves send them: sent apart, each would take a connection of its own
            Uni.join().all(sends).andFailFast().await().atMost(Duration.ofSeconds(10));
            List<String> seen = monitor.await(line -> keys.stream().anyMatch(key -> line.contains(key.value()))
                    && (line.toLowerCase().contains("\"eval\"") || line.toLowerCase().contains("\"xadd\"")),
                    20, Duration.ofSeconds(5));
            for (ScopeKey key : keys) {
                List<String> sent = seen.stream().filter(line -> line.contains("\"" + key.value() + "\"")
                        || line.contains(":" + key.value() + "\"")).toList();
                assertThat(sent).as("the commands of %s", key).hasSize(2);
                assertThat(RedisMonitor.sender(sent.get(0))).as("the connection of both commands of %s", key)
                        .isEqualTo(RedisMonitor.sender(sent.get(1)));
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            assertThat(shared.get(keys.get(i)).await().atMost(Duration.ofSeconds(5)))
                    .hasValueSatisfying(stored -> assertThat(stored.version()).isEqualTo(3));
        }
        assertThat(redis.send(Request.cmd(Command.XLEN).arg(TEST_STREAM)).await().indefinitely().toLong())
                .isGreaterThanOrEqualTo(10);
    }

    @Test
    void offersAskedForTogetherOnAnEventLoopGoOutInOneBatchEachAnsweredItsOwnReplies() throws Exception {
        List<ScopeKey> keys = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            keys.add(Scope.organization(Fixtures.newId()).key());
        }
        List<List<String>> answered;
        List<String> seen;
        try (RedisMonitor monitor = RedisMonitor.open(hosts)) {
            Context loop = vertx.getOrCreateContext();
            CompletableFuture<List<List<String>>> offered = new CompletableFuture<>();
            loop.runOnContext(ignored -> {
                List<Uni<List<String>>> sends = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    ScopeKey key = keys.get(i);
                    // a run of its own length: two commands, or one, answered in their order
                    List<Request> also = new ArrayList<>();
                    also.add(Request.cmd(Command.ECHO).arg("first of " + key.value()));
                    if (i % 2 == 0) {
                        also.add(Request.cmd(Command.ECHO).arg("second of " + key.value()));
                    }
                    sends.add(shared.offerWithAll(key, new StoredScope(5, Map.of("n", IntNode.valueOf(i))), also)
                            .map(replies -> replies.stream().map(Object::toString).toList()));
                }
                Uni.join().all(sends).andFailFast().subscribe().with(offered::complete, offered::completeExceptionally);
            });
            answered = offered.get(10, TimeUnit.SECONDS);
            // the commands as sent (not those the compare-and-set's script runs inside Redis)
            seen = monitor.await(line -> !line.contains(" lua] ") && keys.stream().anyMatch(key -> line.contains(key.value())), 12 * 2 + 6,
                    Duration.ofSeconds(5));
        }
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i).value();
            assertThat(answered.get(i)).as("the replies to the commands sent with the offer of %s", key)
                    .isEqualTo(i % 2 == 0 ? List.of("first of " + key, "second of " + key) : List.of("first of " + key));
            assertThat(shared.get(keys.get(i)).await().atMost(Duration.ofSeconds(5)))
                    .hasValueSatisfying(stored -> assertThat(stored.version()).isEqualTo(5));
        }
        assertThat(seen).as("every command of the 12 offers").hasSize(12 * 2 + 6);
        assertThat(seen.stream().map(RedisMonitor::sender).distinct()).as("the connections they went on: one batch").hasSize(1);
        List<String> order = seen.stream().map(line -> keys.stream().filter(key -> line.contains(key.value())).findFirst()
                .orElseThrow().value()).distinct().toList();
        assertThat(order).as("the offers in the order they were asked for")
                .isEqualTo(keys.stream().map(ScopeKey::value).toList());
    }

    @Test
    void aCommandRedisRefusesFailsOnlyTheOfferItWasSentWithTheOthersOfItsBatchAreAnsweredAndPublishedOnce() throws Exception {
        String notANumber = "options:test:not-a-number:" + Fixtures.newId();
        redis.send(Request.cmd(Command.SET).arg(notANumber).arg("x")).await().atMost(OFFER_WAIT);
        try {
            List<ScopeKey> keys = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                keys.add(Scope.organization(Fixtures.newId()).key());
            }
            Events events = new Events(redis);
            String mark = events.mark();
            Context loop = vertx.getOrCreateContext();
            CompletableFuture<List<String>> offered = new CompletableFuture<>();
            loop.runOnContext(ignored -> {
                List<Uni<String>> sends = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    ScopeKey key = keys.get(i);
                    // each offer sent with its event's append, as a save publishes; the third's with a
                    // command Redis refuses (INCR of a string that is no number) instead
                    Request also = i == 2 ? Request.cmd(Command.INCR).arg(notANumber)
                            : feed.appendCommand(key, 5, List.of("n"), InvalidationFeed.Order.ANY);
                    sends.add(shared.offerWithAll(key, new StoredScope(5, Map.of("n", IntNode.valueOf(i))), List.of(also))
                            .map(replies -> replies.get(0).toString())
                            .onFailure().recoverWithItem(failure -> "failed: " + failure.getMessage()));
                }
                Uni.join().all(sends).andFailFast().subscribe().with(offered::complete, offered::completeExceptionally);
            });
            List<String> answered = offered.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < keys.size(); i++) {
                String key = keys.get(i).value();
                if (i == 2) {
                    assertThat(answered.get(i)).as("the offer sent with the refused command").startsWith("failed: ")
                            .contains("not an integer");
                    continue;
                }
                // the batch's appends ran once in Redis before the client failed the batch; sent again,
                // each answers 0 (already in), and the stream holds the event once
                assertThat(answered.get(i)).as("the offer of %s, in the same batch, answered its append", key)
                        .doesNotStartWith("failed");
                assertThat(events.since(mark, key)).as("the events of %s", key).extracting(ChangeEvent::version)
                        .containsExactly(5L);
                assertThat(shared.get(keys.get(i)).await().atMost(OFFER_WAIT))
                        .hasValueSatisfying(stored -> assertThat(stored.version()).isEqualTo(5));
            }
        } finally {
            redis.send(Request.cmd(Command.DEL).arg(notANumber)).await().atMost(OFFER_WAIT);
        }
    }

    @Test
    void onlyAnErrorReplyToOneCommandIsSentAgainNeverAStateOfRedisOrALostConnection() {
        assertThat(SharedCache.refusedOne(ErrorType.create("ERR value is not an integer or out of range"))).isTrue();
        assertThat(SharedCache.refusedOne(ErrorType.create("WRONGTYPE Operation against a key holding the wrong kind of value")))
                .isTrue();
        assertThat(SharedCache.refusedOne(ErrorType.create("OOM command not allowed when used memory > 'maxmemory'."))).isFalse();
        assertThat(SharedCache.refusedOne(ErrorType.create("READONLY You can't write against a read only replica."))).isFalse();
        assertThat(SharedCache.refusedOne(ErrorType.create("LOADING Redis is loading the dataset in memory"))).isFalse();
        assertThat(SharedCache.refusedOne(new java.io.IOException("Connection reset"))).isFalse();
        assertThat(SharedCache.refusedOne(new io.smallrye.mutiny.TimeoutException())).isFalse();
    }

    /** How many times Redis has run {@code command}, from INFO commandstats. */
    private long calls(String command) {
        String stats = redis.send(Request.cmd(Command.INFO).arg("commandstats")).await().indefinitely().toString();
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                String count = line.substring(line.indexOf("calls=") + 6);
                return Long.parseLong(count.substring(0, count.indexOf(',')));
            }
        }
        return 0;
    }
}
