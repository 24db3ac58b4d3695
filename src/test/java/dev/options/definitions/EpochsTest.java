package dev.options.definitions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import dev.options.value.OptionJson;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.mutiny.redis.client.Redis;

/**
 * API.md "Definitions", epochs: the test registry is at epoch 3 and {@code sidebar} defaults to
 * classic, compact from epoch 2 and dense from epoch 3 (organizations: compact before epoch 2).
 * Scopes written before an epoch are planted as such in Postgres (written at version 1 under an
 * earlier epoch), as a deploy that raised the registry's epoch finds them.
 */
@QuarkusTest
class EpochsTest {

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @BeforeEach
    void feedConnected() {
        Events.awaitConnected(feed);
    }

    /** A user scope written once under {@code epoch}, storing theme=dark, as Postgres would hold it. */
    private static void plantUser(long user, int epoch) {
        String key = "user_options:" + user + ":user";
        Database.execute("INSERT INTO option_scopes (scope_key, version, epoch) VALUES (?, 1, ?)", key, epoch);
        Database.execute("INSERT INTO user_options (user_id, key, value) VALUES (?, 'theme', '\"dark\"')", user);
    }

    private static JsonNode json(Response response) {
        return OptionJson.parseStored(response.asString());
    }

    private static Response putEpoch(String base, String body) {
        return given().contentType("application/json").body(body).when().put(base + "/epoch");
    }

    @Test
    void aScopeFirstWrittenNowTakesTheCurrentEpochAndItsDefaults() {
        long user = Fixtures.newId();
        String base = "/v1/users/" + user;
        given().get(base + "/options/sidebar").then().statusCode(200).body(equalTo("\"dense\""));
        given().get(base + "/epoch").then().statusCode(200).body("epoch", equalTo(3)).body("current", equalTo(3))
                .body("version", equalTo(0));
        assertThat(Database.text("SELECT epoch FROM option_scopes WHERE scope_key = ?", "user_options:" + user + ":user"))
                .as("no epoch is fixed before the first write").isNull();

        given().contentType("application/json").body("\"dark\"").put(base + "/options/theme").then().statusCode(200);
        assertThat(Database.scalar("SELECT epoch FROM option_scopes WHERE scope_key = ?", "user_options:" + user + ":user"))
                .as("the first write fixes the registry's epoch").isEqualTo(3);
        given().get(base + "/options").then().body("options.sidebar", equalTo("dense"));
    }

    @Test
    void aDefaultChangedByALaterEpochDoesNotReachAScopeWrittenBefore() {
        long old = Fixtures.newId();
        long fresh = Fixtures.newId();
        plantUser(old, 1);
        given().contentType("application/json").body("\"dark\"").put("/v1/users/" + fresh + "/options/theme").then().statusCode(200);

        // every read path: the scope, the key, bulk, inherited, explain; twice, the second from the caches
        for (int pass = 0; pass < 2; pass++) {
            given().get("/v1/users/" + old + "/options").then().statusCode(200)
                    .body("options.sidebar", equalTo("classic")).body("options.theme", equalTo("dark"));
            given().get("/v1/users/" + old + "/options/sidebar").then().statusCode(200).body(equalTo("\"classic\""));
            given().get("/v1/users/options/sidebar?ids=" + old + "," + fresh).then().statusCode(200)
                    .body("values." + old, equalTo("classic")).body("values." + fresh, equalTo("dense"));
            given().get("/v1/users/" + old + "/options?inherit=true").then().statusCode(200)
                    .body("options.sidebar", equalTo("classic")).body("sources.sidebar", equalTo("default"));
            JsonNode explained = json(given().get("/v1/users/" + old + "/options/sidebar/explain").then().statusCode(200)
                    .extract().response());
            JsonNode fallback = explained.get("chain").get(explained.get("chain").size() - 1);
            assertThat(fallback.get("scope").asText()).isEqualTo("default");
            assertThat(fallback.get("epoch").asInt()).isEqualTo(1);
            assertThat(fallback.get("value").asText()).isEqualTo("classic");
        }
    }

    @Test
    void aUserInAProjectTakesTheDefaultOfItsOwnEpoch() {
        long user = Fixtures.newId();
        long project = Fixtures.newId();
        Database.execute("INSERT INTO option_scopes (scope_key, version, epoch) VALUES (?, 1, 2)",
                "user_options:" + user + ":project:" + project);
        given().get("/v1/users/" + user + "/projects/" + project + "/options?inherit=true").then().statusCode(200)
                .body("options.sidebar", equalTo("compact"));
        given().get("/v1/users/" + user + "/projects/" + project + "/epoch").then().body("epoch", equalTo(2));
        given().get("/v1/users/" + user + "/options?inherit=true").then().body("options.sidebar", equalTo("dense"));
    }

    @Test
    void anOrganizationsScopeDefaultGivesWayToTheEpochDefaults() {
        long organization = Fixtures.newId();
        Database.execute("INSERT INTO option_scopes (scope_key, version, epoch) VALUES (?, 1, 1)", "organization_options:" + organization);
        String base = "/v1/organizations/" + organization;
        given().get(base + "/options/sidebar").then().body(equalTo("\"compact\""));
        putEpoch(base, "{\"epoch\": 3}").then().statusCode(200).body("epoch", equalTo(3));
        given().get(base + "/options/sidebar").then().body(equalTo("\"dense\""));
    }

    @Test
    void movingAScopesEpochIsAWriteWithAVersionAnEventAndAHistoryEntry() {
        long user = Fixtures.newId();
        plantUser(user, 1);
        String base = "/v1/users/" + user;
        String scopeKey = "user_options:" + user + ":user";
        given().get(base + "/options").then().body("options.sidebar", equalTo("classic"));
        String mark = new Events(redis).mark();

        putEpoch(base, "{\"epoch\": 2}").then().statusCode(200).header("ETag", "\"2\"")
                .body("epoch", equalTo(2)).body("version", equalTo(2));
        given().get(base + "/options").then().body("version", equalTo(2)).body("options.sidebar", equalTo("compact"))
                .body("options.theme", equalTo("dark"));
        given().get("/v1/users/options/sidebar?ids=" + user).then().body("values." + user, equalTo("compact"));
        assertThat(Database.scalar("SELECT epoch FROM option_scopes WHERE scope_key = ?", scopeKey)).isEqualTo(2);

        // planted at version 1 without an event: the move's event waits for it until the writer's last try
        List<ChangeEvent> events = new Events(redis).awaitSince(mark, scopeKey, 1);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).version()).isEqualTo(2);
        assertThat(events.get(0).keys()).as("the keys whose default the move changes").containsExactly("sidebar");

        JsonNode entry = json(given().get(base + "/history").then().statusCode(200).extract().response()).get("entries").get(0);
        assertThat(entry.get("version").asLong()).isEqualTo(2);
        assertThat(entry.get("channel").asText()).isEqualTo("api");
        assertThat(OptionJson.text(entry.get("changes"))).isEqualTo("[{\"epoch\":{\"new\":2,\"old\":1}}]");
        // the scope at version 1 is under the defaults of its epoch then
        given().get(base + "/options?version=1").then().statusCode(200).body("options.sidebar", equalTo("classic"));

        // moving to the epoch it is at changes nothing
        putEpoch(base, "{\"epoch\": 2}").then().statusCode(200).body("version", equalTo(2));
        given().header("If-Match", "\"2\"").contentType("application/json").body("{\"epoch\": 3}").put(base + "/epoch")
                .then().statusCode(200).body("version", equalTo(3)).body("epoch", equalTo(3));
        given().get(base + "/options/sidebar").then().body(equalTo("\"dense\""));
    }

    @Test
    void anEpochOutOfReachOrABadBodyIsRefusedAndChangesNothing() {
        long user = Fixtures.newId();
        plantUser(user, 2);
        String base = "/v1/users/" + user;
        putEpoch(base, "{\"epoch\": 1}").then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("/problems/invalid-epoch")).body("epoch", equalTo(2));
        putEpoch(base, "{\"epoch\": 4}").then().statusCode(422).body("type", equalTo("/problems/invalid-epoch"))
                .body("current", equalTo(3));
        for (String body : List.of("{\"epoch\": 0}", "{\"epoch\": \"3\"}", "{\"epoch\": 2.5}", "{\"epoch\": 3, \"x\": 1}", "[3]", "3",
                "{\"epoch\": 99999999999}")) {
            putEpoch(base, body).then().statusCode(400).contentType("application/problem+json");
        }
        putEpoch(base, "{").then().statusCode(400).body("type", equalTo("/problems/malformed-json"));
        given().body("{\"epoch\": 3}").put(base + "/epoch").then().statusCode(415);
        given().header("If-Match", "\"7\"").contentType("application/json").body("{\"epoch\": 3}").put(base + "/epoch")
                .then().statusCode(412).body("currentVersion", equalTo(1));
        assertThat(Database.version("user_options:" + user + ":user")).isEqualTo(1);
        given().get(base + "/epoch").then().body("epoch", equalTo(2));
    }

    @Test
    void aScopeWrittenWithoutAnEpochByAnEarlierReleaseIsAtTheFirst() {
        long user = Fixtures.newId();
        String key = "user_options:" + user + ":user";
        // written during a rolling deploy by an instance of a release before epochs: no epoch fixed
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", key);
        String base = "/v1/users/" + user;
        given().get(base + "/options/sidebar").then().body(equalTo("\"classic\""));
        given().get("/v1/users/options/sidebar?ids=" + user).then().body("values." + user, equalTo("classic"));
        given().get(base + "/epoch").then().body("epoch", equalTo(1));
        given().contentType("application/json").body("\"dark\"").put(base + "/options/theme").then().statusCode(200);
        assertThat(Database.scalar("SELECT epoch FROM option_scopes WHERE scope_key = ?", key)).isEqualTo(1);
        given().get(base + "/options/sidebar").then().body(equalTo("\"classic\""));
    }
}
