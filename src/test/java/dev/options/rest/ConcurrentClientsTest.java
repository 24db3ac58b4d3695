package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import dev.options.Http;
import dev.options.Together;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.redis.client.Redis;

/**
 * Many clients at once, each on its own thread and connection: no lost update, no 500, no request
 * seeing another's scope.
 */
@QuarkusTest
class ConcurrentClientsTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    /** Saves publish their events at once only while the feed is connected. */
    @BeforeEach
    void feedConnected() {
        Events.awaitConnected(feed);
    }

    @Test
    void fiftyConcurrentPatchesOfDistinctKeysLoseNone() throws Exception {
        Http http = new Http(base);
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        String mark = new Events(redis).mark();
        List<Callable<Http.Answer>> patches = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String body = "{\"key" + i + "\": " + i + "}";
            patches.add(() -> http.send("PATCH", scope, "application/merge-patch+json", body));
        }
        List<Http.Answer> answers = Together.run(patches);

        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(200));
        List<Long> versions = answers.stream().map(a -> a.json().get("version").asLong()).sorted().toList();
        assertThat(versions).as("every save its own version").doesNotHaveDuplicates().startsWith(1L).endsWith(50L);
        JsonNode document = http.get(scope, "Cache-Control", "no-cache").json();
        assertThat(document.get("version").asLong()).isEqualTo(50);
        for (int i = 0; i < 50; i++) {
            assertThat(document.get("options").get("key" + i).asInt()).isEqualTo(i);
        }
        assertThat(Database.scalar("SELECT count(*) FROM project_options WHERE project_id = ?", project)).isEqualTo(50);
        // one event per committed change (API.md), even with writers queued on the lock: the relay
        // passes over the rows this instance published and has not swept yet
        List<Long> published = new Events(redis).since(mark, "project_options:" + project).stream()
                .map(ChangeEvent::version).sorted().toList();
        assertThat(published).as("one event per save")
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 50).boxed().toList());
        assertThat(Database.outboxRowsAfterSweep("project_options:" + project)).isZero();
    }

    @Test
    void twentyClientsIncrementingWithIfMatchReachExactly200() throws Exception {
        Http http = new Http(base);
        String scope = "/v1/organizations/" + Fixtures.newId() + "/options";
        List<Callable<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
            clients.add(() -> {
                int retries = 0;
                for (int done = 0; done < 10; ) {
                    Http.Answer read = http.get(scope + "/counter");
                    long current = read.status() == 404 ? 0 : read.json().asLong();
                    assertThat(read.status()).isIn(200, 404);
                    Http.Answer write = http.send("PUT", scope + "/counter", "application/json",
                            String.valueOf(current + 1), "If-Match", read.status() == 404 ? "\"0\"" : read.etag());
                    if (write.status() == 412) {
                        retries++;
                        continue;
                    }
                    assertThat(write.status()).as(write.body()).isEqualTo(200);
                    done++;
                }
                return retries;
            });
        }
        List<Integer> retries = Together.run(clients);

        Http.Answer counter = http.get(scope + "/counter", "Cache-Control", "no-cache");
        assertThat(counter.json().asLong()).isEqualTo(200);
        assertThat(counter.etag()).isEqualTo("\"200\"");
        assertThat(retries.stream().mapToInt(Integer::intValue).sum()).as("clients really raced").isPositive();
    }

    @Test
    void thirtyConcurrentPutsOfOneBrandNewKeyStoreOneRow() throws Exception {
        Http http = new Http(base);
        long user = Fixtures.newId();
        long organization = Fixtures.newId();
        String scope = "/v1/users/" + user + "/organizations/" + organization + "/options";
        List<Callable<Http.Answer>> puts = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String value = "\"v" + i + "\"";
            puts.add(() -> http.send("PUT", scope + "/fresh", "application/json", value));
        }
        List<Http.Answer> answers = Together.run(puts);

        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).as(answer.body()).isEqualTo(200));
        assertThat(Database.scalar("SELECT count(*) FROM user_options WHERE user_id = ? AND organization_id = ? AND key = 'fresh'",
                user, organization)).isEqualTo(1);
        long version = Database.version("user_options:" + user + ":organization:" + organization);
        assertThat(version).isBetween(1L, 30L);
        assertThat(http.get(scope, "Cache-Control", "no-cache").json().get("version").asLong()).isEqualTo(version);
    }

    @Test
    void twoHundredConcurrentRequestsForDistinctScopesEachSeeOnlyTheirOwn() throws Exception {
        Http http = new Http(base);
        long first = Fixtures.newId();
        List<Long> users = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            users.add(first + i);
        }
        List<Callable<Http.Answer>> writes = new ArrayList<>();
        for (long user : users) {
            writes.add(() -> http.send("PATCH", "/v1/users/" + user + "/options", "application/merge-patch+json",
                    "{\"owner\": " + user + ", \"k" + user + "\": true}"));
        }
        assertThat(Together.run(writes)).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(200));

        List<Callable<JsonNode>> reads = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (long user : users) {
                reads.add(() -> http.get("/v1/users/" + user + "/options").json());
                reads.add(() -> http.send("PUT", "/v1/users/" + user + "/options/touched", "application/json", "true").json());
            }
        }
        List<JsonNode> documents = Together.run(reads);
        for (int i = 0; i < documents.size(); i++) {
            long user = users.get((i / 2) % users.size());
            JsonNode options = documents.get(i).get("options");
            assertThat(options.get("owner").asLong()).isEqualTo(user);
            List<String> names = new ArrayList<>();
            options.fieldNames().forEachRemaining(names::add);
            assertThat(names).filteredOn(name -> name.startsWith("k")).containsExactly("k" + user);
        }
    }
}
