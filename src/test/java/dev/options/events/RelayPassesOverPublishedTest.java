package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.redis.client.Redis;

/**
 * A change published on the request path whose outbox row is still waiting for the sweeper (here
 * for an hour) is not published again by the relay of the same instance, however long the wait; a
 * row nobody published is.
 */
@QuarkusTest
@TestProfile(RelayPassesOverPublishedTest.SlowSweeper.class)
class RelayPassesOverPublishedTest {

    public static class SlowSweeper implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.outbox.sweep-interval", "PT1H",
                    "options.outbox.relay-after", "PT0.5S",
                    "options.outbox.relay-interval", "PT0.1S");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @Inject
    OutboxSweeper sweeper;

    @Test
    void aChangeWaitingForTheSweeperIsPublishedOnceAndAnUnpublishedOneByTheRelay() throws Exception {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        long published = Fixtures.newId();
        long unpublished = Fixtures.newId();
        String publishedKey = "project_options:" + published;
        String unpublishedKey = "project_options:" + unpublished;
        Events events = new Events(redis);
        String mark = events.mark();

        assertThat(http.send("PUT", "/v1/projects/" + published + "/options/a", "application/json", "1").status()).isEqualTo(200);
        // a committed change whose publication was lost (as after a crash): only the relay can publish it
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", unpublishedKey);
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys, created_at)"
                + " VALUES (?, 1, '[\"a\"]', now() - interval '1 second')", unpublishedKey);

        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline && Database.outboxRows(unpublishedKey) > 0) {
            Thread.sleep(50);
        }
        assertThat(Database.outboxRows(unpublishedKey)).as("the relay published the lost change").isZero();
        assertThat(events.since(mark, unpublishedKey)).extracting(ChangeEvent::version).containsExactly(1L);

        // many relay runs and three times relay-after later, the published change's row still waits for the sweeper
        Thread.sleep(1500);
        assertThat(Database.outboxRows(publishedKey)).isEqualTo(1);
        assertThat(events.since(mark, publishedKey)).as("published once, by the request")
                .extracting(ChangeEvent::version).containsExactly(1L);

        assertThat(sweeper.sweep().await().atMost(Duration.ofSeconds(5))).isPositive();
        assertThat(Database.outboxRows(publishedKey)).isZero();
        assertThat(sweeper.undeleted()).isEmpty();
    }
}
