package dev.options.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.Together;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.mutiny.redis.client.Redis;

/**
 * The one-statement save, taken when this instance holds the scope's version: it must come to exactly
 * what the locking save would, when its version is stale (another instance wrote, its event not yet
 * heard) and when many writers race it. Here a scope's saves on this instance run one after another;
 * {@link ConditionalSaveRacingTest} runs the same tests with them racing, as several instances' do.
 */
@QuarkusTest
class ConditionalSaveTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    MeterRegistry meters;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @ConfigProperty(name = "options.saves.one-at-a-time")
    boolean savesOneAtATime;

    @BeforeEach
    void feedConnected() {
        Events.awaitConnected(feed);
    }

    private double saves(String path) {
        return meters.find("options.saves").tag("path", path).counter().count();
    }

    private double conflicts() {
        return meters.find("options.saves.conflicts").counter().count();
    }

    /** Another instance's save, as this one sees it before its event arrives: Postgres moved on, the near cache did not. */
    private static void writtenElsewhere(long project, String key, String json) {
        String scope = "project_options:" + project;
        Database.execute("UPDATE option_scopes SET version = version + 1 WHERE scope_key = ?", scope);
        Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, ?, cast(? AS jsonb))"
                + " ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value", project, key, json);
    }

    @Test
    void aWriteOfAHeldVersionIsOneConditionalSave() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        given().contentType(ContentType.JSON).body("1").when().put(scope + "/a").then().statusCode(200);
        double conditional = saves("conditional");
        double locking = saves("locking");

        given().contentType(ContentType.JSON).body("2").when().put(scope + "/a").then().statusCode(200)
                .body("version", equalTo(2)).body("options.a", equalTo(2));

        assertThat(saves("conditional") - conditional).isEqualTo(1);
        assertThat(saves("locking") - locking).isZero();
        assertThat(Database.version("project_options:" + project)).isEqualTo(2);
        assertThat(Database.outboxRowsAfterSweep("project_options:" + project)).isZero();
    }

    @Test
    void aStaleHeldVersionLosesItsConditionalSaveAndTheLockingSaveKeepsTheOtherWrite() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        given().contentType(ContentType.JSON).body("1").when().put(scope + "/a").then().statusCode(200);
        writtenElsewhere(project, "b", "\"elsewhere\"");
        double conflicts = conflicts();

        given().contentType(ContentType.JSON).body("3").when().put(scope + "/c").then().statusCode(200)
                .body("version", equalTo(3))
                .body("options.a", equalTo(1)).body("options.b", equalTo("elsewhere")).body("options.c", equalTo(3));

        assertThat(conflicts() - conflicts).as("the conditional save found the scope moved on").isEqualTo(1);
        assertThat(Database.scalar("SELECT count(*) FROM project_options WHERE project_id = ?", project)).isEqualTo(3);
    }

    @Test
    void aWriteThatChangesNothingAgainstAStaleHeldVersionIsWrittenUnderTheLock() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        given().contentType(ContentType.JSON).body("1").when().put(scope + "/a").then().statusCode(200);
        writtenElsewhere(project, "a", "5");

        given().contentType(ContentType.JSON).body("1").when().put(scope + "/a").then().statusCode(200)
                .body("version", equalTo(3)).body("options.a", equalTo(1));
        assertThat(Database.text("SELECT cast(value AS text) FROM project_options WHERE project_id = ? AND key = 'a'", project))
                .isEqualTo("1");
    }

    @Test
    void anIfMatchOfTheCurrentVersionSucceedsEvenWhenTheHeldVersionIsOlder() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        given().contentType(ContentType.JSON).body("1").when().put(scope + "/a").then().statusCode(200);
        writtenElsewhere(project, "a", "5");

        given().contentType(ContentType.JSON).header("If-Match", "\"2\"").body("6").when().put(scope + "/a")
                .then().statusCode(200).body("version", equalTo(3)).body("options.a", equalTo(6));
        given().contentType(ContentType.JSON).header("If-Match", "\"2\"").body("7").when().put(scope + "/a")
                .then().statusCode(412).body("currentVersion", equalTo(3));
        assertThat(Database.text("SELECT cast(value AS text) FROM project_options WHERE project_id = ? AND key = 'a'", project))
                .isEqualTo("6");
    }

    @Test
    void aMergePatchJudgedAgainstAStaleVersionIsJudgedAgainUnderTheLock() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        given().contentType(ContentType.JSON).body("{\"x\": 1}").when().put(scope + "/notify").then().statusCode(200);
        writtenElsewhere(project, "notify", "{\"x\": 1, \"y\": 2}");

        given().contentType("application/merge-patch+json").body("{\"notify\": {\"z\": 3}}").when().patch(scope)
                .then().statusCode(200).body("version", equalTo(3))
                .body("options.notify.x", equalTo(1)).body("options.notify.y", equalTo(2)).body("options.notify.z", equalTo(3));
    }

    @Test
    void sixtyFourConcurrentWritersOfOneHeldScopeLoseNothing() throws Exception {
        Http http = new Http(base);
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        assertThat(http.send("PUT", scope + "/seed", "application/json", "0").status()).isEqualTo(200);
        String mark = new Events(redis).mark();
        double conflicts = conflicts();
        double saves = saves("conditional") + saves("locking");
        double conditional = saves("conditional");

        List<Callable<Http.Answer>> puts = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String key = "k" + i;
            String value = String.valueOf(i);
            puts.add(() -> http.send("PUT", scope + "/" + key, "application/json", value));
        }
        List<Long> versions = new ArrayList<>();
        for (Http.Answer answer : Together.run(puts)) {
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            versions.add(answer.json().get("version").asLong());
        }

        assertThat(versions).as("every save its own version").doesNotHaveDuplicates()
                .allSatisfy(version -> assertThat(version).isBetween(2L, 65L));
        JsonNode document = http.get(scope, "Cache-Control", "no-cache").json();
        assertThat(document.get("version").asLong()).isEqualTo(65);
        for (int i = 0; i < 64; i++) {
            assertThat(document.get("options").get("k" + i).asInt()).isEqualTo(i);
        }
        assertThat(Database.scalar("SELECT count(*) FROM project_options WHERE project_id = ?", project)).isEqualTo(65);
        // one event per committed change (API.md), in version order, even with writers queued on the
        // lock (an event whose predecessor's append is still on its way is appended a moment later)
        List<Long> expected = LongStream.rangeClosed(2, 65).boxed().toList();
        List<Long> published = List.of();
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); System.nanoTime() < deadline
                && !published.equals(expected); Thread.sleep(20)) {
            published = new Events(redis).since(mark, "project_options:" + project).stream().map(ChangeEvent::version).toList();
        }
        assertThat(published).as("one event per save, in version order").containsExactlyElementsOf(expected);
        assertThat(saves("conditional") + saves("locking") - saves).as("every PUT saved once").isEqualTo(64);
        if (savesOneAtATime) {
            // one after another on this instance, each against the version its predecessor wrote
            assertThat(conflicts() - conflicts).as("no save lost a race on this instance").isZero();
            assertThat(saves("conditional") - conditional).as("every save one statement").isEqualTo(64);
        } else {
            assertThat(conflicts() - conflicts).as("writers really raced the conditional save").isPositive();
        }
    }
}
