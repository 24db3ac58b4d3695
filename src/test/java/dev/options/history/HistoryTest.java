package dev.options.history;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.Together;
import dev.options.UnitsOfWork;
import dev.options.option.IfMatch;
import dev.options.option.OptionService;
import dev.options.scope.Scope;
import dev.options.store.HistorySweeper;
import dev.options.value.OptionJson;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.restassured.response.Response;

/** API.md "History, versions and revert", against the real Postgres. */
@QuarkusTest
class HistoryTest {

    @Inject
    HistorySweeper sweeper;

    @Inject
    OptionService service;

    private static JsonNode json(Response response) {
        return OptionJson.parseStored(response.asString());
    }

    private static JsonNode history(String base, String query) {
        return json(given().when().get(base + "/history" + query).then().statusCode(200).extract().response());
    }

    @Test
    void everyVersionHasOneEntryWithExactValuesBeforeAndAfter() {
        long user = Fixtures.newId();
        String base = "/v1/users/" + user;
        String scope = base + "/options";
        List<String> answered = new ArrayList<>();
        answered.add(given().get(scope).asString());
        given().contentType("application/json").body("9007199254740993").put(scope + "/big").then().statusCode(200);
        answered.add(given().get(scope).asString());
        given().contentType("application/merge-patch+json").body("{\"ratio\": 0.50, \"big\": null, \"theme\": \"dark\"}").patch(scope).then().statusCode(200);
        answered.add(given().get(scope).asString());
        given().contentType("application/json").body("\"system\"").put(scope + "/theme").then().statusCode(200);
        answered.add(given().get(scope).asString());
        given().delete(scope + "/ratio").then().statusCode(200);
        answered.add(given().get(scope).asString());
        // changing nothing records nothing
        given().contentType("application/json").body("\"system\"").put(scope + "/theme").then().statusCode(200).body("version", equalTo(4));
        given().delete(scope + "/ratio").then().statusCode(200).body("version", equalTo(4));
        // nor does a save that is refused
        given().contentType("application/json").header("If-Match", "\"1\"").body("\"dark\"").put(scope + "/theme").then().statusCode(412);
        given().contentType("application/json").body("9").put(scope + "/ui.density").then().statusCode(422);
        given().contentType("application/json").body("1.5").put(scope + "/custom.n").then().statusCode(200);
        answered.add(given().get(scope).asString());
        given().delete(scope).then().statusCode(200);
        answered.add(given().get(scope).asString());

        JsonNode entries = history(base, "").get("entries");
        assertThat(entries).hasSize(6);
        List<Long> versions = new ArrayList<>();
        entries.forEach(entry -> versions.add(entry.get("version").asLong()));
        assertThat(versions).containsExactly(6L, 5L, 4L, 3L, 2L, 1L);
        assertThat(entries.get(5).get("changes").toString()).isEqualTo("[{\"key\":\"big\",\"new\":9007199254740993}]");
        assertThat(entries.get(4).get("changes").toString())
                .isEqualTo("[{\"key\":\"big\",\"old\":9007199254740993},{\"key\":\"ratio\",\"new\":0.50},{\"key\":\"theme\",\"new\":\"dark\"}]");
        assertThat(entries.get(3).get("changes").toString()).isEqualTo("[{\"key\":\"theme\",\"new\":\"system\",\"old\":\"dark\"}]");
        assertThat(entries.get(2).get("changes").toString()).isEqualTo("[{\"key\":\"ratio\",\"old\":0.50}]");
        assertThat(entries.get(1).get("changes").toString()).isEqualTo("[{\"key\":\"custom.n\",\"new\":1.5}]");
        assertThat(entries.get(0).get("changes").toString())
                .isEqualTo("[{\"key\":\"custom.n\",\"old\":1.5},{\"key\":\"theme\",\"old\":\"system\"}]");
        entries.forEach(entry -> {
            assertThat(entry.get("channel").asText()).isEqualTo("api");
            assertThat(entry.has("actor")).as("no actor when authentication is off").isFalse();
            assertThat(entry.get("at").asText()).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z");
        });

        // every past version reads as a read answered right after it was written
        for (int version = 0; version < answered.size(); version++) {
            given().queryParam("version", version).when().get(scope).then().statusCode(200).header("ETag", "\"" + version + "\"")
                    .body(equalTo(answered.get(version)));
        }
        given().queryParam("version", 7).when().get(scope).then().statusCode(404).body("type", equalTo("/problems/unknown-version"));
        for (String bad : List.of("-1", "x", "1.5", "99999999999999999999")) {
            given().queryParam("version", bad).when().get(scope).then().statusCode(400);
        }
        given().queryParam("version", 2).queryParam("defaults", "exclude").when().get(scope).then()
                .body("options.ratio", equalTo(0.50f)).body("options.'ui.density'", nullValue());
    }

    @Test
    void historyPagesNewestFirstAndFiltersByKey() {
        long organization = Fixtures.newId();
        String base = "/v1/organizations/" + organization;
        for (int i = 1; i <= 5; i++) {
            given().contentType("application/json").body(String.valueOf(i)).put(base + "/options/custom." + (i % 2 == 0 ? "even" : "odd"))
                    .then().statusCode(200);
        }
        given().put(base + "/locks/custom.odd").then().statusCode(200);

        JsonNode first = history(base, "?limit=2");
        assertThat(first.get("entries")).hasSize(2);
        assertThat(first.get("entries").get(0).get("channel").asText()).isEqualTo("lock");
        assertThat(first.get("entries").get(0).get("changes").toString()).isEqualTo("[{\"key\":\"custom.odd\",\"lock\":true}]");
        assertThat(first.get("next").asText()).isEqualTo("5");
        JsonNode second = history(base, "?limit=2&before=5");
        assertThat(second.get("entries").get(0).get("version").asLong()).isEqualTo(4);
        assertThat(second.get("next").asText()).isEqualTo("3");
        JsonNode last = history(base, "?limit=2&before=3");
        assertThat(last.get("entries")).hasSize(2);
        assertThat(last.get("next").isNull()).isTrue();
        given().when().get(base + "/history?key=custom.even").then().statusCode(200)
                .body("entries.version", contains(4, 2)).body("next", nullValue());
        given().when().get(base + "/history?key=custom.none").then().statusCode(200).body("entries", empty());
        for (String bad : List.of("?limit=0", "?limit=1001", "?limit=x", "?before=0", "?before=x", "?key=bad%20key")) {
            given().when().get(base + "/history" + bad).then().statusCode(400).contentType("application/problem+json");
        }
        given().when().get("/v1/users/" + organization + "/projects/" + organization + "/history").then().statusCode(200)
                .body("entries", empty());
    }

    @Test
    void aRevertIsANewVersionEqualToAnEarlierOneCheckedLikeAnyWrite() {
        long user = Fixtures.newId();
        long organization = Fixtures.newId();
        String base = "/v1/users/" + user + "/organizations/" + organization;
        String scope = base + "/options";
        given().contentType("application/merge-patch+json").body("{\"theme\": \"dark\", \"custom.a\": 1}").patch(scope).then().statusCode(200);
        String atOne = given().queryParam("defaults", "exclude").get(scope).then().extract().jsonPath().getString("options");
        given().contentType("application/merge-patch+json").body("{\"theme\": null, \"custom.b\": 2}").patch(scope).then().statusCode(200);

        given().contentType("application/json").header("If-Match", "\"1\"").body("{\"version\": 1}").post(base + "/revert")
                .then().statusCode(412).body("currentVersion", equalTo(2));
        given().contentType("application/json").body("{\"version\": 1}").post(base + "/revert").then().statusCode(200)
                .header("ETag", "\"3\"").body("version", equalTo(3)).body("options.theme", equalTo("dark"))
                .body("options.'custom.b'", nullValue());
        assertThat(given().queryParam("defaults", "exclude").get(scope).then().extract().jsonPath().getString("options")).isEqualTo(atOne);
        JsonNode entry = history(base, "?limit=1").get("entries").get(0);
        assertThat(entry.get("channel").asText()).isEqualTo("revert");
        assertThat(entry.get("changes").toString())
                .isEqualTo("[{\"key\":\"custom.b\",\"old\":2},{\"key\":\"theme\",\"new\":\"dark\"}]");
        // to the version it is at: nothing to write
        given().contentType("application/json").body("{\"version\": 3}").post(base + "/revert").then().statusCode(200).body("version", equalTo(3));
        // to version 0: everything unset
        given().contentType("application/json").body("{\"version\": 0}").post(base + "/revert").then().statusCode(200)
                .body("version", equalTo(4)).body("options.'custom.a'", nullValue());

        given().contentType("application/json").body("{\"version\": 9}").post(base + "/revert").then().statusCode(404);
        for (String bad : List.of("{}", "[]", "{\"version\": -1}", "{\"version\": 1.5}", "{\"version\": \"1\"}", "{\"version\": 1, \"x\": 1}", "{")) {
            given().contentType("application/json").body(bad).post(base + "/revert").then().statusCode(400);
        }
        given().body("{\"version\": 1}").post(base + "/revert").then().statusCode(415);
        assertThat(Database.version("user_options:" + user + ":organization:" + organization)).isEqualTo(4);
    }

    @Test
    void aRevertToAValueNoLongerValidOrBelowALockIsRefused() {
        long user = Fixtures.newId();
        String key = "user_options:" + user + ":user";
        // version 1 stored a value today's definition refuses (ui.density is 1 to 5), as an older registry allowed
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", key);
        Database.execute("INSERT INTO user_options (user_id, key, value) VALUES (?, 'ui.density', '9'::jsonb)", user);
        Database.execute("INSERT INTO option_history (scope_key, version, at, channel, changes)"
                + " VALUES (?, 1, now(), 'api', '[{\"key\": \"ui.density\", \"new\": 9}]')", key);
        String base = "/v1/users/" + user;
        given().header("Cache-Control", "no-cache").delete(base + "/options").then().statusCode(200).body("version", equalTo(2));
        given().contentType("application/json").body("{\"version\": 1}").post(base + "/revert").then().statusCode(422)
                .body("type", equalTo("/problems/invalid-option")).body("errors[0].key", equalTo("ui.density"));
        assertThat(Database.version(key)).isEqualTo(2);

        long organization = Fixtures.newId();
        String below = "/v1/users/" + user + "/organizations/" + organization;
        given().contentType("application/json").body("\"dark\"").put(below + "/options/theme").then().statusCode(200);
        given().delete(below + "/options/theme").then().statusCode(200);
        given().put("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
        given().contentType("application/json").body("{\"version\": 1}").post(below + "/revert").then().statusCode(409)
                .body("lockedBy", equalTo("organization_options:" + organization));
    }

    @Test
    void aSaveRolledBackByAFaultAfterItRecordsNothing() {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        given().contentType("application/json").body("1").put("/v1/users/" + user + "/options/custom.a").then().statusCode(200);
        assertThatThrownBy(() -> UnitsOfWork.run(() -> service.inTransaction(() -> service.update(scope, IfMatch.NONE,
                (current, staging) -> staging.set("custom.a", IntNode.valueOf(2)))
                .chain(saved -> Uni.createFrom().<Void>failure(new IllegalStateException("a fault after the save's statement"))))))
                .hasMessageContaining("a fault after");
        assertThat(Database.version(scope.key().value())).isEqualTo(1);
        assertThat(Database.scalar("SELECT count(*) FROM option_history WHERE scope_key = ?", scope.key().value())).isEqualTo(1);
        given().queryParam("version", 1).when().get("/v1/users/" + user + "/options").then().body("options.'custom.a'", equalTo(1));
    }

    @Test
    void concurrentWritersLeaveExactlyOneEntryPerVersion() throws Exception {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        List<Callable<Integer>> writers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int n = i;
            writers.add(() -> given().contentType("application/json").body(String.valueOf(n)).put(scope + "/custom.k" + n)
                    .then().extract().statusCode());
        }
        assertThat(Together.run(writers)).containsOnly(200);
        assertThat(Database.scalar("SELECT count(*) FROM option_history WHERE scope_key = ?", "project_options:" + project)).isEqualTo(50);
        assertThat(Database.scalar("SELECT count(DISTINCT version) FROM option_history WHERE scope_key = ? AND version BETWEEN 1 AND 50",
                "project_options:" + project)).isEqualTo(50);
    }

    @Test
    void pruningKeepsTheLastVersionsAndEverythingYoungerThanRetentionWhileWritersWrite() throws Exception {
        long old = Fixtures.newId();
        String scope = "/v1/users/" + old + "/options";
        for (int i = 1; i <= 30; i++) {
            given().contentType("application/json").body(String.valueOf(i)).put(scope + "/custom.k").then().statusCode(200);
        }
        // all but the last five are past the retention (90 days)
        Database.execute("UPDATE option_history SET at = now() - interval '100 days' WHERE scope_key = ? AND version <= 25",
                "user_options:" + old + ":user");
        long young = Fixtures.newId();
        List<Callable<Long>> work = new ArrayList<>();
        work.add(() -> sweeper.sweep().await().atMost(Duration.ofSeconds(30)));
        work.add(() -> {
            for (int i = 1; i <= 20; i++) {
                given().contentType("application/json").body(String.valueOf(i)).put("/v1/users/" + young + "/options/custom.k").then().statusCode(200);
            }
            return 0L;
        });
        Together.run(work);
        // the last 20 versions (11..30) stay whatever their age; 1..10 are gone
        assertThat(Database.scalar("SELECT min(version) FROM option_history WHERE scope_key = ?", "user_options:" + old + ":user")).isEqualTo(11);
        assertThat(Database.scalar("SELECT count(*) FROM option_history WHERE scope_key = ?", "user_options:" + young + ":user")).isEqualTo(20);
        given().queryParam("version", 10).when().get(scope).then().statusCode(200).body("options.'custom.k'", equalTo(10));
        given().queryParam("version", 9).when().get(scope).then().statusCode(404);
        given().when().get("/v1/users/" + old + "/history?limit=1000").then().body("entries.size()", equalTo(20))
                .body("entries[0].at", matchesPattern(".*Z"));
    }
}
