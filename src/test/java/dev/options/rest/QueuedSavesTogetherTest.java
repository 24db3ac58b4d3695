package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Events;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.Together;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.redis.client.Redis;

/**
 * Saves queued behind one another on a scope go to Postgres together (one statement), yet each is
 * its own: its own version, its own history entry, and an answer that is the document of its own
 * version, exactly as if each had been made alone in that order; one that cannot follow (a failed
 * precondition) fails alone; and when the scope has moved on under them (another instance wrote it),
 * none is made together and each is still made once, under the scope's lock.
 */
@QuarkusTest
class QueuedSavesTogetherTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    MeterRegistry meters;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @Test
    void sixtyFourWritersOfOneScopeEachAnswerTheDocumentOfTheirOwnVersion() throws Exception {
        Http http = new Http(base);
        long id = Fixtures.newId();
        String scope = "/v1/organizations/" + id;
        assertThat(http.send("PUT", scope + "/options/seed", "application/json", "0").status()).isEqualTo(200);
        double followedBefore = followed();
        Events.awaitConnected(feed);
        String mark = new Events(redis).mark();

        Map<Long, String> keyAt = eachTheDocumentOfItsOwnVersion(putDistinctKeys(http, scope, 64), 2);
        // one history entry per save, each naming that save's key only
        JsonNode entries = http.get(scope + "/history?limit=1000").json().get("entries");
        assertThat(entries).hasSize(65);
        for (JsonNode entry : entries) {
            long version = entry.get("version").asLong();
            if (version > 1) {
                assertThat(entry.get("changes")).hasSize(1);
                assertThat(entry.get("changes").get(0).get("key").asText()).as("version %d", version).isEqualTo(keyAt.get(version));
            }
        }
        JsonNode now = http.get(scope + "/options", "Cache-Control", "no-cache").json();
        assertThat(now.get("version").asLong()).isEqualTo(65);
        assertThat(storedKeys(now)).hasSize(65);
        // the change feed carries the scope's events in version order, one each
        List<Long> published = new Events(redis).since(mark, "organization_options:" + id).stream()
                .map(ChangeEvent::version).toList();
        assertThat(published).as("events in the order of the stream").containsExactlyElementsOf(LongStream.rangeClosed(2, 65).boxed().toList());
        assertFollowed(followed() - followedBefore);
    }

    @Test
    void aQueuedSaveWhosePreconditionFailsFailsAloneAndTheOthersFollow() throws Exception {
        Http http = new Http(base);
        String scope = "/v1/organizations/" + Fixtures.newId();
        assertThat(http.send("PUT", scope + "/options/seed", "application/json", "0").status()).isEqualTo(200);
        double followedBefore = followed();

        List<Callable<Http.Answer>> writers = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            String key = "c" + i;
            // every fourth names version 1, which every save but the first to be made leaves behind
            String[] headers = i % 4 == 0 ? new String[] {"If-Match", "\"1\""} : new String[0];
            writers.add(() -> http.send("PUT", scope + "/options/" + key, "application/json", "\"" + key + "\"", headers));
        }
        List<Http.Answer> answers = Together.run(writers);

        List<Long> versions = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < answers.size(); i++) {
            Http.Answer answer = answers.get(i);
            if (answer.status() == 412) {
                assertThat(i % 4).as("only saves with If-Match are refused").isZero();
                assertThat(answer.json().get("currentVersion").asLong()).isGreaterThan(1);
                refused++;
            } else {
                assertThat(answer.status()).as(answer.body()).isEqualTo(200);
                versions.add(answer.json().get("version").asLong());
            }
        }
        assertThat(refused).as("all but at most one of the twelve with If-Match").isBetween(11, 12);
        assertThat(versions.stream().sorted().toList()).as("the others each their own version, none skipped")
                .containsExactlyElementsOf(LongStream.rangeClosed(2, 1 + versions.size()).boxed().toList());
        JsonNode now = http.get(scope + "/options", "Cache-Control", "no-cache").json();
        assertThat(now.get("version").asLong()).isEqualTo(1 + versions.size());
        assertThat(storedKeys(now)).hasSize(1 + versions.size());
        assertFollowed(followed() - followedBefore);
    }

    @Test
    void savesQueuedOnAScopeThatMovedOnUnderThemAreEachMadeOnceUnderItsLock() throws Exception {
        Http http = new Http(base);
        long id = Fixtures.newId();
        String scope = "/v1/organizations/" + id;
        assertThat(http.send("PUT", scope + "/options/seed", "application/json", "0").status()).isEqualTo(200);
        // another instance's write, as this one's caches have not heard of it: its saves judge against version 1
        Database.execute("UPDATE option_scopes SET version = 2 WHERE scope_key = ?", "organization_options:" + id);

        eachTheDocumentOfItsOwnVersion(putDistinctKeys(http, scope, 32), 3);
        assertThat(storedKeys(http.get(scope + "/options", "Cache-Control", "no-cache").json())).hasSize(33);
    }

    /** {@code count} clients at once, each setting its own key {@code c<i>} of {@code scope} to its name; their answers in order. */
    private static List<Http.Answer> putDistinctKeys(Http http, String scope, int count) throws Exception {
        List<Callable<Http.Answer>> writers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = "c" + i;
            writers.add(() -> http.send("PUT", scope + "/options/" + key, "application/json", "\"" + key + "\""));
        }
        return Together.run(writers);
    }

    /**
     * That each of {@link #putDistinctKeys}'s answers is a success with a version of its own, from
     * {@code first} on with none skipped, and is exactly its version's document: {@code seed} and the
     * keys of the saves up to it, none after. Answers the key each version wrote.
     */
    private static Map<Long, String> eachTheDocumentOfItsOwnVersion(List<Http.Answer> answers, long first) {
        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).as(answer.body()).isEqualTo(200));
        Map<Long, String> keyAt = new HashMap<>();
        for (int i = 0; i < answers.size(); i++) {
            keyAt.put(answers.get(i).json().get("version").asLong(), "c" + i);
        }
        assertThat(new TreeSet<>(keyAt.keySet())).as("every save its own version")
                .containsExactlyElementsOf(LongStream.range(first, first + answers.size()).boxed().toList());
        for (Http.Answer answer : answers) {
            long version = answer.json().get("version").asLong();
            Set<String> expected = new TreeSet<>(List.of("seed"));
            keyAt.forEach((at, key) -> {
                if (at <= version) {
                    expected.add(key);
                }
            });
            assertThat(storedKeys(answer.json())).as("the document of version %d", version).isEqualTo(expected);
        }
        return keyAt;
    }

    /** That {@code saves} were made by the statement of the save before them: some, with batching on. */
    void assertFollowed(double saves) {
        assertThat(saves).as("saves made by the statement of the save before them").isPositive();
    }

    /** The keys a document shows that the tests wrote (definitions' defaults aside). */
    private static Set<String> storedKeys(JsonNode document) {
        Set<String> keys = new TreeSet<>();
        document.get("options").fieldNames().forEachRemaining(name -> {
            if (name.equals("seed") || name.matches("c\\d+")) {
                keys.add(name);
            }
        });
        return keys;
    }

    /** Saves made as followers so far: the members of every chain made, but the one whose turn it was. */
    private double followed() {
        DistributionSummary chains = meters.find("options.saves.chain.size").summary();
        return chains == null ? 0 : chains.totalAmount() - chains.count();
    }
}
