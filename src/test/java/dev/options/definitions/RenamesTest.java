package dev.options.definitions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.events.InvalidationFeed;
import dev.options.option.RenameMigration;
import dev.options.value.OptionJson;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;

/**
 * API.md "Definitions", renames: {@code date_format} was renamed from {@code dateformat} and, before
 * that, {@code date-style}. Values stored under the old names are planted in Postgres as a deploy
 * that introduced the rename finds them.
 */
@QuarkusTest
class RenamesTest {

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @Inject
    RenameMigration migration;

    @BeforeEach
    void feedConnected() {
        Events.awaitConnected(feed);
    }

    /** A user scope at version 1 storing {@code rows} (key, JSON text), as Postgres would hold it. */
    private static String plantUser(long user, String... rows) {
        String key = "user_options:" + user + ":user";
        Database.execute("INSERT INTO option_scopes (scope_key, version, epoch) VALUES (?, 1, 3)", key);
        for (int i = 0; i < rows.length; i += 2) {
            Database.execute("INSERT INTO user_options (user_id, key, value) VALUES (?, ?, cast(? AS jsonb))", user, rows[i], rows[i + 1]);
        }
        return key;
    }

    private static long rows(String key, String scopeFilter, Object... parameters) {
        return Database.scalar("SELECT count(*) FROM user_options WHERE key = '" + key + "' AND " + scopeFilter, parameters);
    }

    private static JsonNode definition() {
        return OptionJson.parseStored(given().get("/v1/definitions/date_format").then().statusCode(200).extract().asString());
    }

    @Test
    void aValueStoredUnderAnOldNameReadsUnderTheNewOneOnEveryPath() {
        long user = Fixtures.newId();
        long other = Fixtures.newId();
        plantUser(user, "dateformat", "\"us\"", "theme", "\"dark\"");
        plantUser(other, "date-style", "\"eu\"", "dateformat", "\"us\"");
        String scope = "/v1/users/" + user + "/options";
        for (int pass = 0; pass < 2; pass++) {
            given().get(scope).then().statusCode(200).body("options.date_format", equalTo("us"))
                    .body("options.dateformat", nullValue()).body("options.theme", equalTo("dark"));
            given().get(scope + "/date_format").then().statusCode(200).body(equalTo("\"us\""));
            given().get(scope + "/dateformat").then().statusCode(200).body(equalTo("\"us\""));
            given().get(scope + "/date-style").then().statusCode(200).body(equalTo("\"us\""));
            given().get(scope + "?inherit=true").then().body("options.date_format", equalTo("us"))
                    .body("sources.date_format", equalTo("user"));
            given().get(scope + "/dateformat/explain").then().statusCode(200).body("key", equalTo("date_format"))
                    .body("value", equalTo("us"));
            given().get("/v1/users/options/dateformat?ids=" + user + "," + other).then().statusCode(200)
                    .body("key", equalTo("date_format")).body("values." + user, equalTo("us"))
                    .body("values." + other, equalTo("us"));
            given().get("/v1/users/" + other + "/options").then().body("options.date_format", equalTo("us"));
        }
        given().get("/v1/definitions/dateformat").then().statusCode(200).body("key", equalTo("date_format"))
                .body("renamedFrom", equalTo(List.of("dateformat", "date-style")));
    }

    @Test
    void theNewNameStoredItselfWinsOverItsOldNames() {
        long user = Fixtures.newId();
        plantUser(user, "dateformat", "\"us\"", "date_format", "\"eu\"");
        given().get("/v1/users/" + user + "/options/date_format").then().body(equalTo("\"eu\""));
        given().get("/v1/users/options/date_format?ids=" + user).then().body("values." + user, equalTo("eu"));
    }

    @Test
    void everyWriteOfTheKeyRemovesTheRowsOfItsOldNamesInTheSameSave() {
        long user = Fixtures.newId();
        String scopeKey = plantUser(user, "dateformat", "\"us\"", "date-style", "\"eu\"");
        String scope = "/v1/users/" + user + "/options";
        given().contentType("application/json").body("\"eu\"").put(scope + "/date_format").then().statusCode(200)
                .body("version", equalTo(2)).body("options.date_format", equalTo("eu"));
        assertThat(rows("dateformat", "user_id = ?", user) + rows("date-style", "user_id = ?", user)).isZero();
        assertThat(Database.text("SELECT cast(value AS text) FROM user_options WHERE user_id = ? AND key = 'date_format'", user))
                .isEqualTo("\"eu\"");
        JsonNode entry = OptionJson.parseStored(given().get("/v1/users/" + user + "/history?key=dateformat").then().statusCode(200)
                .extract().asString()).get("entries").get(0);
        assertThat(OptionJson.text(entry.get("changes")))
                .isEqualTo("[{\"key\":\"date-style\",\"old\":\"eu\"},{\"key\":\"date_format\",\"new\":\"eu\",\"old\":\"us\"},"
                        + "{\"key\":\"dateformat\",\"old\":\"us\"}]");
        assertThat(Database.version(scopeKey)).isEqualTo(2);

        // writes through an old name are writes of the key
        given().contentType("application/merge-patch+json").body("{\"dateformat\": \"us\"}").patch(scope).then().statusCode(200)
                .body("options.date_format", equalTo("us"));
        assertThat(rows("date_format", "user_id = ?", user)).isEqualTo(1);
        assertThat(rows("dateformat", "user_id = ?", user)).isZero();
        given().contentType("application/json").body("\"eu\"").put(scope + "/dateformat").then().statusCode(200)
                .body("options.date_format", equalTo("eu"));
        given().contentType("application/json").body("\"xx\"").put(scope + "/dateformat").then().statusCode(422)
                .body("errors[0].key", equalTo("date_format"));

        // an unset of the key removes what its old names stored too
        long planted = Fixtures.newId();
        plantUser(planted, "dateformat", "\"us\"");
        given().delete("/v1/users/" + planted + "/options/date_format").then().statusCode(200).body("version", equalTo(2))
                .body("options.date_format", equalTo("iso"));
        assertThat(rows("dateformat", "user_id = ?", planted)).isZero();
    }

    @Test
    void theMigrationMovesEveryOldRowOnceThroughTheNormalSaveAndResumes() {
        List<Long> users = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            long user = Fixtures.newId();
            users.add(user);
            keys.add(i % 3 == 0 ? plantUser(user, "dateformat", "\"us\"", "date-style", "\"eu\"") : plantUser(user, "dateformat", "\"us\""));
        }
        long organization = Fixtures.newId();
        Database.execute("INSERT INTO option_scopes (scope_key, version, epoch) VALUES (?, 1, 3)", "organization_options:" + organization);
        Database.execute("INSERT INTO organization_options (organization_id, key, value) VALUES (?, 'date-style', '\"eu\"')", organization);
        keys.add("organization_options:" + organization);
        long before = definition().path("migration").path("remaining").asLong();
        assertThat(before).as("the planted rows remain, with any earlier test's").isGreaterThanOrEqualTo(24 + 8 + 1);
        String mark = new Events(redis).mark();

        // a batch, then a stop: what remains is what the rows say, and the next run moves it
        assertThat(migration.batch(10).await().atMost(Duration.ofSeconds(30))).isBetween(1, 10);
        long halfway = definition().path("migration").path("remaining").asLong();
        assertThat(halfway).isPositive().isLessThan(before);
        // two runs at once, as two instances would: each row moves once
        Uni.combine().all().unis(migration.migrate(), migration.migrate()).asTuple().await().atMost(Duration.ofSeconds(60));

        assertThat(definition().has("migration")).as("no old row remains").isFalse();
        assertThat(Database.scalar("SELECT count(*) FROM user_options WHERE key IN ('dateformat', 'date-style')")).isZero();
        assertThat(Database.scalar("SELECT count(*) FROM organization_options WHERE key IN ('dateformat', 'date-style')")).isZero();
        Events events = new Events(redis);
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            assertThat(Database.version(key)).as(key + " rose by one").isEqualTo(2);
            assertThat(Database.scalar("SELECT count(*) FROM option_history WHERE scope_key = ? AND channel = 'migration'", key))
                    .as(key + " has one migration entry").isEqualTo(1);
            assertThat(events.since(mark, key)).as(key + " has one event").hasSize(1);
        }
        for (int i = 0; i < users.size(); i++) {
            long user = users.get(i);
            String expected = "\"us\"";
            assertThat(Database.text("SELECT cast(value AS text) FROM user_options WHERE user_id = ? AND key = 'date_format'", user))
                    .as("the value moved, the first old name's winning").isEqualTo(expected);
            given().get("/v1/users/" + user + "/options/date_format").then().body(equalTo(expected));
        }
        given().get("/v1/organizations/" + organization + "/options/date_format").then().body(equalTo("\"eu\""));
        assertThat(migration.migrate().await().atMost(Duration.ofSeconds(30))).as("nothing is left to move").isZero();
    }

    @Test
    void aLockTakenUnderAnOldNameLocksTheKeyAndIsRewrittenUnderIt() {
        long organization = Fixtures.newId();
        long other = Fixtures.newId();
        for (long id : new long[] { organization, other }) {
            Database.execute("INSERT INTO option_scopes (scope_key, version, epoch, locks) VALUES (?, 1, 3, '[\"dateformat\"]')",
                    "organization_options:" + id);
            Database.execute("INSERT INTO organization_options (organization_id, key, value) VALUES (?, 'dateformat', '\"eu\"')", id);
        }
        long user = Fixtures.newId();
        String below = "/v1/users/" + user + "/organizations/" + organization + "/options";
        given().contentType("application/json").body("\"us\"").put(below + "/date_format").then().statusCode(409)
                .body("type", equalTo("/problems/locked")).body("lockedBy", equalTo("organization_options:" + organization));
        given().contentType("application/merge-patch+json").body("{\"dateformat\": \"us\"}").patch(below).then().statusCode(409);
        assertThat(Database.version("user_options:" + user + ":organization:" + organization)).isZero();
        given().get(below + "?inherit=true").then().statusCode(200).body("options.date_format", equalTo("eu"))
                .body("locked", equalTo(List.of("date_format")));
        given().get("/v1/organizations/" + organization + "/options").then().body("locks", equalTo(List.of("date_format")));

        // unlocking the key removes the lock under its old name
        given().delete("/v1/organizations/" + other + "/locks/date_format").then().statusCode(200).body("version", equalTo(2));
        assertThat(Database.text("SELECT cast(locks AS text) FROM option_scopes WHERE scope_key = ?", "organization_options:" + other))
                .isEqualTo("[]");
        // the migration rewrites the lock under the key, with the row
        migration.migrate().await().atMost(Duration.ofSeconds(60));
        assertThat(Database.text("SELECT cast(locks AS text) FROM option_scopes WHERE scope_key = ?", "organization_options:" + organization))
                .isEqualTo("[\"date_format\"]");
        assertThat(Database.version("organization_options:" + organization)).isEqualTo(2);
        given().contentType("application/json").body("\"us\"").put(below + "/dateformat").then().statusCode(409);
    }

    @Test
    void aMergePatchNamingAKeyTwiceIsRefused() {
        String scope = "/v1/users/" + Fixtures.newId() + "/options";
        given().contentType("application/merge-patch+json").body("{\"date_format\": \"eu\", \"dateformat\": null}").patch(scope)
                .then().statusCode(400).contentType("application/problem+json");
        given().contentType("application/merge-patch+json").body("{\"dateformat\": \"us\", \"date-style\": \"eu\"}").patch(scope)
                .then().statusCode(400);
        given().get(scope).then().body("version", equalTo(0));
    }
}
