package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.options.Fixtures;
import dev.options.Http;
import dev.options.SseClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** GET /v1/changes: one event per committed change, filtered by scope, resumable without loss. */
@QuarkusTest
class ChangeFeedTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URI base;

    private List<SseClient.Event> take(SseClient client, int count) throws InterruptedException {
        List<SseClient.Event> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SseClient.Event event = client.next(Duration.ofSeconds(10));
            assertThat(event).as("event %d of %d", i + 1, count).isNotNull();
            events.add(event);
        }
        return events;
    }

    @Test
    void aClientThatReconnectsWithLastEventIdMissesNoEvent() throws Exception {
        Http http = new Http(base);
        long project = Fixtures.newId();
        String key = "project_options:" + project;
        String scope = "/v1/projects/" + project + "/options";
        URI feed = base.resolve("/v1/changes?scope=" + key);

        String lastSeen;
        try (SseClient client = new SseClient(feed, null).opened()) {
            Thread.sleep(300);
            for (int i = 1; i <= 3; i++) {
                http.send("PUT", scope + "/k" + i, "application/json", String.valueOf(i));
                http.send("PUT", "/v1/projects/" + Fixtures.newId() + "/options/other", "application/json", "1");
            }
            List<SseClient.Event> first = take(client, 3);
            assertThat(first).extracting(SseClient.Event::name).containsOnly("option-change");
            assertThat(versions(first)).containsExactly(1L, 2L, 3L);
            JsonNode data = JSON.readTree(first.get(0).data());
            assertThat(data.get("scope").asText()).isEqualTo(key);
            assertThat(data.get("keys").get(0).asText()).isEqualTo("k1");
            lastSeen = first.get(2).id();
        }

        // missed while disconnected
        for (int i = 4; i <= 6; i++) {
            http.send("PUT", scope + "/k" + i, "application/json", String.valueOf(i));
        }

        try (SseClient client = new SseClient(feed, lastSeen).opened()) {
            List<SseClient.Event> missed = take(client, 3);
            assertThat(versions(missed)).containsExactly(4L, 5L, 6L);
            http.send("PUT", scope + "/k7", "application/json", "7");
            assertThat(versions(take(client, 1))).containsExactly(7L);
            assertThat(client.next(Duration.ofMillis(500))).as("no duplicate, nothing else").isNull();
        }
    }

    @Test
    void aMalformedLastEventIdIsRefused() {
        Http.Answer answer = new Http(base).get("/v1/changes", "Last-Event-ID", "yesterday", "Accept", "text/event-stream");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
    }

    private static List<Long> versions(List<SseClient.Event> events) throws Exception {
        List<Long> versions = new ArrayList<>();
        for (SseClient.Event event : events) {
            versions.add(JSON.readTree(event.data()).get("version").asLong());
        }
        return versions;
    }
}
