package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.SseClient;
import dev.options.events.InvalidationFeed.Order;
import dev.options.scope.ScopeKey;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * The change feed never resumes silently over a gap: a Last-Event-ID older than what the stream
 * retains starts the stream with {@code event: reset}, whose id resumes without another; and a
 * stream with nothing to send sends {@code : keep-alive}.
 */
@QuarkusTest
@TestProfile(ChangeFeedGuaranteesTest.OwnStream.class)
class ChangeFeedGuaranteesTest {

    private static final String STREAM = "options:changes:test-guarantees";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static class OwnStream implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.feed.stream", STREAM, "options.feed.heartbeat", "PT0.3S");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    /** Writes one option of a new project and answers the id of its event. */
    private String changeAndTakeItsId(Http http, URI changes, String key) throws Exception {
        try (SseClient client = new SseClient(changes, null).opened()) {
            Thread.sleep(300);
            http.send("PUT", "/v1/projects/" + key.substring("project_options:".length()) + "/options/k", "application/json", "1");
            SseClient.Event event = client.next(Duration.ofSeconds(10));
            assertThat(event).isNotNull();
            return event.id();
        }
    }

    /** The versions of {@code scope}'s events in the stream, in stream order. */
    private List<Long> versionsInTheStream(String scope) {
        Response entries = redis.send(Request.cmd(Command.XRANGE).arg(STREAM).arg("-").arg("+")).await().atMost(Duration.ofSeconds(5));
        List<Long> versions = new ArrayList<>();
        for (Response entry : entries) {
            Response fields = entry.get(1);
            Map<String, String> byName = new HashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                byName.put(fields.get(i).toString(), fields.get(i + 1).toString());
            }
            if (scope.equals(byName.get("scope"))) {
                versions.add(Long.parseLong(byName.get("version")));
            }
        }
        return versions;
    }

    private Response append(String scope, long version, Order order) {
        return redis.send(feed.appendCommand(new ScopeKey(scope), version, List.of("k"), order)).await().atMost(Duration.ofSeconds(5));
    }

    /**
     * The stream holds each scope's events once and in version order, whoever appends them: a
     * republish of a version it has is dropped, a writer's event whose predecessor is not in yet is
     * left for the relay (which appends in order), and the relay's older event after a newer one
     * is dropped.
     */
    @Test
    void theStreamHoldsEachScopesEventsOnceAndInVersionOrder() {
        String scope = "project_options:" + Fixtures.newId();
        assertThat(append(scope, 1, Order.AFTER_PREVIOUS).toString()).contains("-");
        assertThat(append(scope, 1, Order.AFTER_PREVIOUS).toLong()).isEqualTo(InvalidationFeed.ALREADY_APPENDED);
        assertThat(append(scope, 1, Order.ANY).toLong()).isEqualTo(InvalidationFeed.ALREADY_APPENDED);
        assertThat(InvalidationFeed.deferred(append(scope, 3, Order.AFTER_PREVIOUS))).isTrue();
        assertThat(InvalidationFeed.deferred(append(scope, 3, Order.AFTER_KNOWN_PREVIOUS))).isTrue();
        assertThat(versionsInTheStream(scope)).containsExactly(1L);
        assertThat(append(scope, 2, Order.AFTER_PREVIOUS).toString()).contains("-");
        assertThat(append(scope, 3, Order.ANY).toString()).contains("-");
        assertThat(append(scope, 2, Order.ANY).toLong()).isEqualTo(InvalidationFeed.ALREADY_APPENDED);
        // the relay appends over a gap (a version whose row is gone): nothing stalls behind it
        assertThat(append(scope, 5, Order.ANY).toString()).contains("-");
        assertThat(append(scope, 4, Order.ANY).toLong()).isEqualTo(InvalidationFeed.ALREADY_APPENDED);
        assertThat(versionsInTheStream(scope)).containsExactly(1L, 2L, 3L, 5L);
    }

    /**
     * A new scope's second version, its writer quicker than the first's (on another instance): the
     * stream has no event of the scope yet, and a writer's event still waits for its predecessor, so
     * that the first is not dropped as older. Where no predecessor may come (Redis back empty, a scope
     * quiet for a day), the writer's last try and the relay append it.
     */
    @Test
    void aNewScopesSecondEventWaitsForItsFirstFromTheWriterAndNotFromTheRelay() {
        String scope = "project_options:" + Fixtures.newId();
        assertThat(InvalidationFeed.deferred(append(scope, 2, Order.AFTER_PREVIOUS))).isTrue();
        assertThat(append(scope, 1, Order.AFTER_PREVIOUS).toString()).contains("-");
        assertThat(append(scope, 2, Order.AFTER_PREVIOUS).toString()).contains("-");
        assertThat(versionsInTheStream(scope)).containsExactly(1L, 2L);

        String quiet = "project_options:" + Fixtures.newId();
        assertThat(InvalidationFeed.deferred(append(quiet, 7, Order.AFTER_PREVIOUS))).isTrue();
        assertThat(append(quiet, 7, Order.AFTER_KNOWN_PREVIOUS).toString()).contains("-");
        assertThat(versionsInTheStream(quiet)).containsExactly(7L);
    }

    @Test
    void aResumePointOlderThanTheStreamRetainsStartsWithAResetAndNeverASilentGap() throws Exception {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        String first = "project_options:" + Fixtures.newId();
        String second = "project_options:" + Fixtures.newId();
        URI feedOfBoth = base.resolve("/v1/changes?scope=" + first + "&scope=" + second);
        String firstId = changeAndTakeItsId(http, feedOfBoth, first);
        String secondId = changeAndTakeItsId(http, feedOfBoth, second);

        // an event of a scope nobody here follows, then the stream trimmed up to the second event,
        // inclusive: what came after it stays
        http.send("PUT", "/v1/projects/" + Fixtures.newId() + "/options/unrelated", "application/json", "1");
        Thread.sleep(200);
        String[] parts = secondId.split("-");
        String justAfter = parts[0] + "-" + (Long.parseLong(parts[1]) + 1);
        redis.send(Request.cmd(Command.XTRIM).arg(STREAM).arg("MINID").arg(justAfter)).await().atMost(Duration.ofSeconds(5));

        // after the first, the second is gone: reset, and its id resumes with no second reset
        String resetId;
        try (SseClient client = new SseClient(feedOfBoth, firstId).opened()) {
            SseClient.Event reset = client.next(Duration.ofSeconds(10));
            assertThat(reset).isNotNull();
            assertThat(reset.name()).isEqualTo("reset");
            JsonNode data = JSON.readTree(reset.data());
            assertThat(data.get("reason").asText()).isNotBlank();
            resetId = reset.id();
            assertThat(resetId).isNotBlank();
            // events after the reset follow it
            http.send("PUT", "/v1/projects/" + second.substring("project_options:".length()) + "/options/again", "application/json", "2");
            SseClient.Event next = client.next(Duration.ofSeconds(10));
            assertThat(next).isNotNull();
            assertThat(next.name()).isEqualTo("option-change");
            assertThat(JSON.readTree(next.data()).get("scope").asText()).isEqualTo(second);
        }

        // the second is older than the oldest event retained too
        try (SseClient client = new SseClient(feedOfBoth, secondId).opened()) {
            SseClient.Event reset = client.next(Duration.ofSeconds(10));
            assertThat(reset).isNotNull();
            assertThat(reset.name()).isEqualTo("reset");
        }

        // from the reset's id (retained), what follows it and no reset
        try (SseClient client = new SseClient(feedOfBoth, resetId).opened()) {
            SseClient.Event next = client.next(Duration.ofSeconds(10));
            assertThat(next).isNotNull();
            assertThat(next.name()).isEqualTo("option-change");
            assertThat(JSON.readTree(next.data()).get("keys").get(0).asText()).isEqualTo("again");
        }
    }

    @Test
    void aResumePointFromAStreamRedisNoLongerHasStartsWithAReset() throws Exception {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        String scope = "project_options:" + Fixtures.newId();
        URI changes = base.resolve("/v1/changes?scope=" + scope);
        String id = changeAndTakeItsId(http, changes, scope);
        // Redis restarted empty: the stream is gone, then new events make a new one
        redis.send(Request.cmd(Command.DEL).arg(STREAM)).await().atMost(Duration.ofSeconds(5));
        http.send("PUT", "/v1/projects/" + Fixtures.newId() + "/options/k", "application/json", "1");
        Thread.sleep(200);
        try (SseClient client = new SseClient(changes, id).opened()) {
            SseClient.Event reset = client.next(Duration.ofSeconds(10));
            assertThat(reset).isNotNull();
            assertThat(reset.name()).isEqualTo("reset");
        }
    }

    @Test
    void aStreamWithNothingToSendSendsKeepAliveComments() throws Exception {
        URI quiet = base.resolve("/v1/changes?scope=project_options:" + Fixtures.newId());
        try (SseClient client = new SseClient(quiet, null).opened()) {
            assertThat(client.nextComment(Duration.ofSeconds(5))).isEqualTo("keep-alive");
            assertThat(client.nextComment(Duration.ofSeconds(5))).isEqualTo("keep-alive");
            assertThat(client.next(Duration.ofMillis(100))).as("heartbeats are no events").isNull();
        }
    }
}
