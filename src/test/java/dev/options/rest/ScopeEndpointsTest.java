package dev.options.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.response.Response;
import io.vertx.mutiny.redis.client.Redis;

/** The HTTP contract of API.md, endpoint by endpoint, against the real Postgres. */
@QuarkusTest
class ScopeEndpointsTest {

    @Inject
    MeterRegistry meters;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    /** Statement counts below assume the near cache works, which it does once the feed is connected. */
    @BeforeEach
    void feedConnected() {
        Events.awaitConnected(feed);
    }

    private static Response put(String path, String json, String... headers) {
        var request = given().contentType(ContentType.JSON).body(json);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return request.when().put(path);
    }

    private static Response patch(String path, String json) {
        return given().contentType("application/merge-patch+json; charset=UTF-8").body(json).when().patch(path);
    }

    private double statements() {
        return meters.find("options.store.statements").tag("caller", "request").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void theSameKeyInFiveScopeKindsWithTheSameIdsHoldsFiveIndependentValues() {
        long a = Fixtures.newId();
        long b = Fixtures.newId();
        List<String> scopes = List.of(
                "/v1/organizations/" + a + "/options",
                "/v1/projects/" + a + "/options",
                "/v1/users/" + a + "/options",
                "/v1/users/" + a + "/projects/" + b + "/options",
                "/v1/users/" + a + "/organizations/" + b + "/options");
        for (int i = 0; i < scopes.size(); i++) {
            put(scopes.get(i) + "/color", "\"c" + i + "\"").then().statusCode(200);
        }
        for (int i = 0; i < scopes.size(); i++) {
            given().when().get(scopes.get(i)).then()
                    .statusCode(200)
                    .header("ETag", "\"1\"")
                    .body("version", equalTo(1))
                    .body("options.color", equalTo("c" + i));
        }
        assertThat(Database.userRows(a)).isEqualTo(3);
        assertThat(Database.scalar("SELECT count(*) FROM user_options WHERE user_id = ? AND project_id IS NULL AND organization_id IS NULL", a))
                .isEqualTo(1);
    }

    @Test
    void aNeverWrittenScopeIsVersionZeroWithItsDefaults() {
        String scope = "/v1/projects/" + Fixtures.newId() + "/options";
        given().when().get(scope).then()
                .statusCode(200)
                .contentType(ContentType.JSON)
                .header("ETag", "\"0\"")
                .body("version", equalTo(0))
                .body("options.theme", equalTo("light"))
                .body("options.'ui.density'", equalTo(3));
        given().queryParam("defaults", "exclude").when().get(scope).then()
                .statusCode(200)
                .body("options.size()", equalTo(0));
    }

    @Test
    void valuesRoundTripExactlyAndFalsyValuesAreValues() {
        String scope = "/v1/users/" + Fixtures.newId() + "/options";
        String patch = "{\"big\": 9007199254740993, \"decimal\": 1.50, \"exp\": 1e2, \"huge\": 123456789012345678901234567890,"
                + " \"tiny\": 0.000000000000000000001, \"numeric_string\": \"1\", \"bool_string\": \"true\","
                + " \"zero\": 0, \"no\": false, \"empty\": \"\", \"list\": [1, \"a\", null, {\"k\": 2.0}], \"unicode\": \"日本 \\ud83d\\ude00\"}";
        patch(scope, patch).then().statusCode(200).body("version", equalTo(1));
        String body = given().header("Cache-Control", "no-cache").when().get(scope).then().statusCode(200).extract().asString();
        assertThat(body)
                .contains("\"big\":9007199254740993")
                .contains("\"decimal\":1.50")
                .contains("\"exp\":100")
                .contains("\"huge\":123456789012345678901234567890")
                .contains("\"tiny\":0.000000000000000000001")
                .contains("\"numeric_string\":\"1\"")
                .contains("\"bool_string\":\"true\"")
                .contains("\"zero\":0")
                .contains("\"no\":false")
                .contains("\"empty\":\"\"")
                .contains("\"list\":[1,\"a\",null,{\"k\":2.0}]")
                .contains("\"unicode\":\"日本 \uD83D\uDE00\"");
        given().when().get(scope + "/zero").then().statusCode(200).body(equalTo("0"));
        given().when().get(scope + "/empty").then().statusCode(200).body(equalTo("\"\""));
        given().when().get(scope + "/big").then().statusCode(200).body(equalTo("9007199254740993"));
        // the same values again change nothing
        patch(scope, patch).then().statusCode(200).body("version", equalTo(1));
    }

    @Test
    void aWriteThatChangesNothingKeepsTheVersionAndPublishesNoEvent() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String key = "user_options:" + user + ":user";
        Events events = new Events(redis);
        String mark = events.mark();
        put(scope + "/language", "\"fr\"").then().statusCode(200).body("version", equalTo(1));
        assertThat(events.since(mark, key)).hasSize(1);
        put(scope + "/language", "\"fr\"").then().statusCode(200).header("ETag", "\"1\"").body("version", equalTo(1));
        given().when().delete(scope + "/never-set").then().statusCode(200).body("version", equalTo(1));
        assertThat(Database.version(key)).isEqualTo(1);
        assertThat(events.since(mark, key)).hasSize(1);
        assertThat(Database.outboxRowsAfterSweep(key)).as("the published change left the outbox").isZero();
    }

    @Test
    void aPatchOfThreeKeysIsOneVersionAndOneEventNamingTheThree() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        String key = "project_options:" + project;
        Events events = new Events(redis);
        String mark = events.mark();
        patch(scope, "{\"b\": 2, \"a\": 1, \"c\": 3}").then().statusCode(200).body("version", equalTo(1));
        List<ChangeEvent> published = events.since(mark, key);
        assertThat(published).hasSize(1);
        assertThat(published.get(0).version()).isEqualTo(1);
        assertThat(published.get(0).keys()).containsExactly("a", "b", "c");
        assertThat(Database.outboxRowsAfterSweep(key)).isZero();
    }

    @Test
    void mergePatchSetsUnsetsAndMergesObjectsRecursively() {
        String scope = "/v1/organizations/" + Fixtures.newId() + "/options";
        patch(scope, "{\"notify\": {\"email\": true, \"sms\": {\"on\": true, \"number\": \"1\"}}, \"gone\": 1}")
                .then().statusCode(200);
        patch(scope, "{\"notify\": {\"email\": null, \"sms\": {\"number\": \"2\"}, \"push\": [1, null]}, \"gone\": null}")
                .then().statusCode(200)
                .body("version", equalTo(2))
                .body("options.notify.email", nullValue())
                .body("options.notify.sms.on", equalTo(true))
                .body("options.notify.sms.number", equalTo("2"))
                .body("options.notify.push", equalTo(java.util.Arrays.asList(1, null)))
                .body("options.gone", nullValue());
        String body = given().when().get(scope).then().extract().asString();
        assertThat(body).doesNotContain("email").doesNotContain("gone");
        // a merge patch with application/json means the same
        given().contentType(ContentType.JSON).body("{\"x\": 1}").when().patch(scope).then()
                .statusCode(200).body("options.x", equalTo(1));
    }

    @Test
    void deletingAKeyIsIdempotentAndDeletingTheScopeResetsItToDefaults() {
        String scope = "/v1/users/" + Fixtures.newId() + "/projects/" + Fixtures.newId() + "/options";
        patch(scope, "{\"a\": 1, \"b\": 2, \"theme\": \"dark\"}").then().statusCode(200).body("version", equalTo(1));
        given().when().delete(scope + "/a").then().statusCode(200).body("version", equalTo(2)).body("options.a", nullValue());
        given().when().delete(scope + "/a").then().statusCode(200).body("version", equalTo(2));
        given().when().delete(scope).then().statusCode(200)
                .body("version", equalTo(3))
                .body("options.b", nullValue())
                .body("options.theme", equalTo("light"));
        given().when().delete(scope).then().statusCode(200).body("version", equalTo(3));
    }

    @Test
    void storingAValueEqualToTheDefaultDeletesTheRowAndTheReadIsUnchanged() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        put(scope + "/theme", "\"dark\"").then().statusCode(200).body("options.theme", equalTo("dark"));
        assertThat(Database.scalar("SELECT count(*) FROM user_options WHERE user_id = ? AND key = 'theme'", user)).isEqualTo(1);
        put(scope + "/theme", "\"light\"").then().statusCode(200).body("version", equalTo(2)).body("options.theme", equalTo("light"));
        assertThat(Database.scalar("SELECT count(*) FROM user_options WHERE user_id = ? AND key = 'theme'", user)).isZero();
        given().queryParam("defaults", "exclude").when().get(scope).then().body("options.size()", equalTo(0));
        // equal to the default and nothing stored: no change at all
        put(scope + "/ui.density", "3").then().statusCode(200).body("version", equalTo(2));
    }

    @Test
    void ifMatchThatDoesNotMatchAnswers412WithTheCurrentVersionAndWritesNothing() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        put(scope + "/a", "1").then().statusCode(200);
        put(scope + "/a", "2", "If-Match", "\"7\"").then()
                .statusCode(412)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/version-mismatch"))
                .body("currentVersion", equalTo(1));
        given().header("If-Match", "\"0\"").when().delete(scope).then().statusCode(412).body("currentVersion", equalTo(1));
        given().header("If-Match", "W/\"1\"").contentType("application/merge-patch+json").body("{\"a\": 3}")
                .when().patch(scope).then().statusCode(412);
        given().when().get(scope + "/a").then().body(equalTo("1"));
        put(scope + "/a", "2", "If-Match", "\"1\"").then().statusCode(200).body("version", equalTo(2));
        put(scope + "/a", "3", "If-Match", "\"9\", \"2\"").then().statusCode(200).body("version", equalTo(3));
        put(scope + "/a", "4", "If-Match", "*").then().statusCode(200).body("version", equalTo(4));
        assertThat(Database.version("user_options:" + user + ":user")).isEqualTo(4);
    }

    @Test
    void ifNoneMatchWithTheCurrentVersionAnswers304() {
        String scope = "/v1/projects/" + Fixtures.newId() + "/options";
        put(scope + "/a", "1").then().statusCode(200);
        given().header("If-None-Match", "\"1\"").when().get(scope).then().statusCode(304).header("ETag", "\"1\"");
        given().header("If-None-Match", "W/\"1\"").when().get(scope + "/a").then().statusCode(304);
        given().header("If-None-Match", "\"0\"").when().get(scope).then().statusCode(200).body("options.a", equalTo(1));
        given().header("If-None-Match", "\"0\"").when().get(scope + "/a").then().statusCode(200).header("ETag", "\"1\"");
    }

    @Test
    void readingOneKeyAnswersItsValueItsDefaultOr404() {
        String scope = "/v1/organizations/" + Fixtures.newId() + "/options";
        given().when().get(scope + "/theme").then().statusCode(200).header("ETag", "\"0\"").body(equalTo("\"light\""));
        given().when().get(scope + "/missing").then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/unknown-option"))
                .body("status", equalTo(404));
    }

    @Test
    void bulkReadAnswersEffectiveValuesForEveryIdWithOneQuery() {
        long p1 = Fixtures.newId();
        long p2 = Fixtures.newId();
        long p3 = Fixtures.newId();
        put("/v1/projects/" + p1 + "/options/release-tracking", "true").then().statusCode(200);
        put("/v1/projects/" + p2 + "/options/release-tracking", "false").then().statusCode(200);
        put("/v1/projects/" + p1 + "/options/theme", "\"dark\"").then().statusCode(200);
        double before = statements();
        given().queryParam("ids", p1 + "," + p2 + "," + p3).when().get("/v1/projects/options/release-tracking").then()
                .statusCode(200)
                .body("key", equalTo("release-tracking"))
                .body("values.'" + p1 + "'", equalTo(true))
                .body("values.'" + p2 + "'", equalTo(false))
                .body("values.containsKey('" + p3 + "')", equalTo(true))
                .body("values.'" + p3 + "'", nullValue());
        assertThat(statements() - before).isEqualTo(1);
        given().queryParam("ids", p3 + "," + p1).when().get("/v1/projects/options/theme").then()
                .statusCode(200)
                .body("values.'" + p3 + "'", equalTo("light"))
                .body("values.'" + p1 + "'", equalTo("dark"));
        long user = Fixtures.newId();
        put("/v1/users/" + user + "/projects/" + p1 + "/options/lang", "\"de\"").then().statusCode(200);
        put("/v1/users/" + user + "/options/lang", "\"fr\"").then().statusCode(200);
        given().queryParam("ids", user).when().get("/v1/users/options/lang").then()
                .statusCode(200).body("values.'" + user + "'", equalTo("fr"));
        given().queryParam("ids", user).when().get("/v1/organizations/options/lang").then()
                .statusCode(200).body("values.'" + user + "'", nullValue());
    }

    @Test
    void aReadCostsOneStatementAndAWriteOfAHeldVersionOneStatement() {
        String scope = "/v1/users/" + Fixtures.newId() + "/options";
        double start = statements();
        given().when().get(scope).then().statusCode(200);
        assertThat(statements() - start).as("a read").isEqualTo(1);

        double beforeFirstWrite = statements();
        put(scope + "/a", "1").then().statusCode(200).body("options.a", equalTo(1));
        // lock (select, then create on first write); the originals of version 0 come from the near
        // cache the read filled; one write statement (the published outbox row is swept in the
        // background, not by the request)
        assertThat(statements() - beforeFirstWrite).as("first write").isEqualTo(3);

        double beforeWrite = statements();
        put(scope + "/a", "2").then().statusCode(200).body("options.a", equalTo(2)).body("version", equalTo(2));
        assertThat(statements() - beforeWrite).as("a write of a version this instance holds: one conditional statement")
                .isEqualTo(1);

        double beforeNoop = statements();
        put(scope + "/a", "2").then().statusCode(200);
        assertThat(statements() - beforeNoop).as("a write that changes nothing: the lock, to be sure").isEqualTo(1);

        double beforeRead = statements();
        given().when().get(scope).then().statusCode(200).body("version", equalTo(2));
        assertThat(statements() - beforeRead).as("a read of what this instance wrote").isZero();
    }

    @Test
    void problemsNeverCarryStackTracesOrClassNames() {
        String body = given().contentType(ContentType.JSON).body("{\"a\": ").when()
                .put("/v1/users/1/options/a").then().statusCode(400).extract().asString();
        assertThat(body).doesNotContain("Exception").doesNotContain("at dev.").doesNotContain("jackson");
        given().config(io.restassured.RestAssured.config().jsonConfig(
                        io.restassured.config.JsonConfig.jsonConfig().numberReturnType(JsonPathConfig.NumberReturnType.BIG_DECIMAL)))
                .when().get("/v1/nowhere").then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/not-found"))
                .body("instance", equalTo("/v1/nowhere"));
    }
}
