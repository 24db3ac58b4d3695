package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.cache.SharedCache;
import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.PrivateRedis;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * Redis killed under the service: writes still succeed and leave their changes in the outbox, reads
 * answer from Postgres; once Redis is back the relay publishes what was left at once (however young)
 * and repairs the shared cache, and the service serves the newest versions.
 */
@QuarkusTest
@TestProfile(RedisOutageTest.OwnRedis.class)
class RedisOutageTest {

    public static class OwnRedis implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PrivateRedis.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            // rows so young the periodic relay leaves them alone: only the runs the feed's reconnecting
            // asks for (every row, however recent, again while a batch comes back full: the outage
            // leaves five rows, batches of two) can drain the outbox within the test's 2 s
            return Map.of("options.outbox.relay-after", "PT30S",
                    "options.outbox.relay-batch", "2",
                    "options.outbox.relay-interval", "PT0.2S",
                    "options.feed.reconnect-delay", "PT0.1S");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @Inject
    OutboxRelay relay;

    @Test
    void afterAReconnectTheRelayTakesTheRowsFromBeforeItAndLeavesYoungerOnesToTheirWriters() throws Exception {
        long reconnected = System.nanoTime() - Duration.ofSeconds(5).toNanos();
        assertThat(OutboxRelay.claimAge(true, reconnected, System.nanoTime(), Duration.ofSeconds(30)))
                .as("right after a reconnect: rows as old as it").isBetween(5.0, 6.0);
        assertThat(OutboxRelay.claimAge(false, reconnected, System.nanoTime(), Duration.ofSeconds(30))).isEqualTo(30.0);

        // two scopes with one unpublished change each: one from before the reconnect, one just now
        long before = Fixtures.newId();
        long since = Fixtures.newId();
        for (long project : new long[] { before, since }) {
            Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", "project_options:" + project);
            Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, 'a', '1'::jsonb)", project);
        }
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys, created_at) VALUES (?, 1, '[\"a\"]', now() - interval '10 seconds')",
                "project_options:" + before);
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys) VALUES (?, 1, '[\"a\"]')", "project_options:" + since);
        try {
            relay.relay(OutboxRelay.claimAge(true, reconnected, System.nanoTime(), Duration.ofSeconds(30)))
                    .await().atMost(Duration.ofSeconds(10));
            assertThat(Database.outboxRows("project_options:" + before)).as("the row from before the reconnect").isZero();
            assertThat(Database.outboxRows("project_options:" + since)).as("the row written since, its writer's").isEqualTo(1);
        } finally {
            Database.execute("DELETE FROM option_outbox WHERE scope_key = ?", "project_options:" + since);
        }
    }

    @Test
    void eachOutageIsFollowedByOneReconnectAndLeavesOneTailingConnection() throws Exception {
        Events.awaitConnected(feed);
        long before = feed.reconnects();
        for (int outage = 1; outage <= 3; outage++) {
            PrivateRedis.stopServer();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (feed.connected() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(feed.connected()).as("outage %d noticed", outage).isFalse();
            PrivateRedis.startServer();
            Events.awaitConnected(feed);
            assertThat(feed.connected()).as("back after outage %d", outage).isTrue();
        }
        // a doubled loop would have caught up again 1 + 2 + 4 times by now, and go on doubling
        Thread.sleep(1000);
        assertThat(feed.reconnects() - before).as("reconnects after three outages").isEqualTo(3);
        Response clients = redis.send(Request.cmd(Command.CLIENT).arg("LIST")).await().atMost(Duration.ofSeconds(5));
        long tails = clients.toString().lines().filter(line -> line.contains("cmd=xread")).count();
        assertThat(tails).as("connections reading the stream:%n%s", clients).isEqualTo(1);
    }

    @Test
    void writesAndReadsGoOnWithoutRedisAndTheRelayCatchesUpWhenItIsBack() throws Exception {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String key = "user_options:" + user + ":user";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
        Events events = new Events(redis);

        PrivateRedis.stopServer();
        long versionWritten;
        try {
            for (int i = 2; i <= 6; i++) {
                Http.Answer write = http.send("PUT", scope + "/a", "application/json", String.valueOf(i));
                assertThat(write.status()).as("write %d without Redis: %s", i, write.body()).isEqualTo(200);
                Http.Answer read = http.get(scope);
                assertThat(read.status()).as("read without Redis").isEqualTo(200);
                assertThat(read.json().get("options").get("a").asInt()).isEqualTo(i);
            }
            versionWritten = http.get(scope, "Cache-Control", "no-cache").json().get("version").asLong();
            assertThat(versionWritten).isEqualTo(6);
            assertThat(Database.outboxRows(key)).as("changes wait in the outbox").isEqualTo(5);
            assertThat(feed.connected()).isFalse();
            assertThat(http.get("/q/health/live").status()).as("liveness never depends on Redis").isEqualTo(200);
            Http.Answer ready = http.get("/q/health/ready");
            assertThat(ready.status()).as("readiness stays up without Redis").isEqualTo(200);
            assertThat(ready.body()).contains("degraded");
        } finally {
            PrivateRedis.startServer();
        }

        long restarted = System.nanoTime();
        long deadline = restarted + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && (Database.outboxRows(key) > 0 || !feed.connected())) {
            Thread.sleep(50);
        }
        long convergedMillis = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
        assertThat(Database.outboxRows(key)).as("outbox drained").isZero();
        assertThat(convergedMillis).as("converged within 2 s of the restart").isLessThan(2000);

        Response shared = redis.send(Request.cmd(Command.GET).arg("options:test:scope:" + SharedCache.FORMAT + key)).await().atMost(Duration.ofSeconds(5));
        assertThat(shared).as("the relay repaired the shared cache").isNotNull();
        assertThat(shared.toString()).startsWith("6:");
        // the restarted Redis kept nothing: the relayed events are all its stream holds of this scope
        assertThat(events.since("0-0", key)).extracting(ChangeEvent::version).containsExactly(2L, 3L, 4L, 5L, 6L);
        assertThat(http.get(scope).json().get("version").asLong()).isEqualTo(6);
    }
}
