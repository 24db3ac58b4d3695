package dev.options.registry;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/** Typed options through HTTP, with the test registry (src/test/resources/registry-test.yaml). */
@QuarkusTest
class DefinitionsTest {

    private static ValidatableResponse put(String path, String json) {
        return given().contentType(ContentType.JSON).body(json).when().put(path).then();
    }

    @ParameterizedTest(name = "{0}: {1} is stored as {2}, {3} is refused")
    @CsvSource(delimiter = '|', textBlock = """
            theme                | "dark"          | "dark"         | "blue"                 | must be one of
            ui.density           | 5               | 5              | 6                      | must be at most 5
            ui.density           | 1               | 1              | 0                      | must be at least 1
            ui.density           | 2               | 2              | 2.5                    | must be of type integer
            ratio                | 0.25            | 0.25           | 1.5                    | must be at most 1
            ratio                | 0               | 0              | -0.1                   | must be at least 0
            enabled              | false           | false          | "true"                 | must be of type boolean
            nickname             | "  bob  "       | "bob"          | "abcdefghijk"          | at most 10 characters
            handle               | "Bob_1"         | "bob_1"        | "1bob"                 | must match the pattern
            tags                 | ["a","b"]       | ["a","b"]      | ["a",1]                | items must be of type string
            tags                 | []              | []             | ["a","b","c","d"]      | at most 3 items
            layout               | {"x":1}         | {"x":1}        | [1]                    | must be of type object
            language             | "EN_us"         | "en-US"        | "not a tag!!"          | BCP 47
            notifications.email  | true            | true           | "yes"                  | must be of type boolean
            digest               | "daily"         | "daily"        | "hourly"               | must be one of
            weights              | {"a":1,"b":2}   | {"a":1,"b":2}  | {"a":3}                | enumeration
            weights              | {"a":2}         | {"a":2}        | {"a":1,"b":1,"c":1,"d":1} | 3
            """)
    void eachTypeAndConstraintAcceptsAValidValueAndRefusesAnInvalidOne(String key, String valid, String stored,
            String invalid, String reason) {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        put(scope + "/" + key, valid).statusCode(200).body("version", equalTo(1));
        assertThat(Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND key = ?", user, key).replace(" ", ""))
                .as("stored value").isEqualTo(stored.replace(" ", ""));

        put(scope + "/" + key, invalid)
                .statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/invalid-option"))
                .body("errors", hasSize(1))
                .body("errors[0].key", equalTo(key))
                .body("errors[0].reason", org.hamcrest.Matchers.containsString(reason));
        assertThat(Database.version("user_options:" + user + ":user")).isEqualTo(1);
    }

    @Test
    void aKeyIsRefusedInScopeKindsItDoesNotApplyTo() {
        long id = Fixtures.newId();
        put("/v1/users/" + id + "/options/project-only", "1").statusCode(422)
                .body("errors[0].reason", equalTo("does not apply to user scopes"));
        put("/v1/projects/" + id + "/options/project-only", "1").statusCode(200);
        put("/v1/projects/" + id + "/options/language", "\"fr\"").statusCode(422);
    }

    @Test
    void aPatchWithInvalidKeysListsEveryOneAndWritesNothing() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        given().contentType("application/merge-patch+json")
                .body("{\"theme\": \"blue\", \"enabled\": true, \"ui.density\": 9, \"tags\": [1]}")
                .when().patch(scope).then()
                .statusCode(422)
                .body("type", equalTo("/problems/invalid-option"))
                .body("errors.key", hasItems("theme", "ui.density", "tags"))
                .body("errors", hasSize(3));
        assertThat(Database.userRows(user)).isZero();
        assertThat(Database.version("user_options:" + user + ":user")).isZero();
    }

    @Test
    void aMergedObjectIsCheckedAsAWhole() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        given().contentType("application/merge-patch+json").body("{\"layout\": {\"a\": 1}}").when().patch(scope).then().statusCode(200);
        given().contentType("application/merge-patch+json").body("{\"layout\": {\"b\": 2}}").when().patch(scope).then()
                .statusCode(200).body("options.layout.a", equalTo(1)).body("options.layout.b", equalTo(2));
    }

    @Test
    void aValueEqualToTheDefaultRemovesItsRowUnlessTheKeyPinsDefaults() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        put(scope + "/digest", "\"daily\"").statusCode(200);
        put(scope + "/digest", "\"weekly\"").statusCode(200).body("options.digest", equalTo("weekly"));
        assertThat(Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND key = 'digest'", user))
                .as("pinned default stays stored").isEqualTo("\"weekly\"");
        put(scope + "/ui.density", "4").statusCode(200);
        put(scope + "/ui.density", "3").statusCode(200).body("options.'ui.density'", equalTo(3));
        assertThat(Database.scalar("SELECT count(*) FROM user_options WHERE user_id = ? AND key = 'ui.density'", user))
                .as("unpinned default is deleted").isZero();
    }

    @Test
    void defaultsDifferPerScopeKind() {
        long id = Fixtures.newId();
        given().when().get("/v1/users/" + id + "/options/language").then().statusCode(200).body(equalTo("\"en\""));
        given().when().get("/v1/organizations/" + id + "/options/language").then().statusCode(200).body(equalTo("\"en-US\""));
        given().when().get("/v1/projects/" + id + "/options/language").then().statusCode(404);
        given().when().get("/v1/projects/" + id + "/options").then().body("options.project-only", equalTo(7));
        given().when().get("/v1/users/" + id + "/options").then().body("options.project-only", nullValue());
    }

    @Test
    void valuesInForceResolveDefaultsThenTheUserThenTheNarrowScopeAndNameEverySource() {
        long user = Fixtures.newId();
        long project = Fixtures.newId();
        long organization = Fixtures.newId();
        given().contentType("application/merge-patch+json")
                .body("{\"language\": \"fr\", \"theme\": \"dark\", \"user-only\": true, \"enabled\": true}")
                .when().patch("/v1/users/" + user + "/options").then().statusCode(200);
        given().contentType("application/merge-patch+json").body("{\"theme\": \"system\", \"ratio\": 0.5}")
                .when().patch("/v1/users/" + user + "/projects/" + project + "/options").then().statusCode(200);
        given().contentType("application/merge-patch+json").body("{\"enabled\": false}")
                .when().patch("/v1/users/" + user + "/organizations/" + organization + "/options").then().statusCode(200);

        String path = "/v1/users/" + user + "/projects/" + project + "/options";
        given().queryParam("inherit", "true").when().get(path).then()
                .statusCode(200)
                // every layer's version, narrowest first: the scope, the user, the project (never written)
                .header("ETag", "\"1.1.0\"")
                .body("version", equalTo(1))
                .body("options.language", equalTo("fr")).body("sources.language", equalTo("user"))
                .body("options.theme", equalTo("system")).body("sources.theme", equalTo("user-in-project"))
                .body("options.ratio", equalTo(0.5f)).body("sources.ratio", equalTo("user-in-project"))
                .body("options.enabled", equalTo(true)).body("sources.enabled", equalTo("user"))
                .body("options.'ui.density'", equalTo(3)).body("sources.'ui.density'", equalTo("default"))
                .body("options.digest", equalTo("weekly")).body("sources.digest", equalTo("default"))
                // the user's layer counts for a key that applies to user scopes, whatever the scope below it
                .body("options.user-only", equalTo(true)).body("sources.user-only", equalTo("user"));
        given().queryParam("inherit", "true").header("If-None-Match", "\"1.1.0\"").when().get(path).then().statusCode(304);
        // without inherit the narrow scope holds only its own values
        given().when().get(path).then().body("options.language", equalTo("en")).body("options.enabled", nullValue());

        given().queryParam("inherit", "true").when().get("/v1/users/" + user + "/organizations/" + organization + "/options").then()
                .statusCode(200)
                .header("ETag", "\"1.1.0\"")
                .body("options.enabled", equalTo(false)).body("sources.enabled", equalTo("user-in-organization"))
                .body("options.theme", equalTo("dark")).body("sources.theme", equalTo("user"));
        given().queryParam("inherit", "true").when().get("/v1/users/" + user + "/options").then()
                .statusCode(200).header("ETag", "\"1\"").body("sources.language", equalTo("user"));
        given().queryParam("inherit", "maybe").when().get(path).then().statusCode(400);
    }

    @Test
    void theRegistryIsDiscoverable() {
        given().when().get("/v1/definitions").then()
                .statusCode(200)
                .body("strict", equalTo(false))
                .body("definitions.key", hasItems("theme", "language", "notifications.*", "old-setting"));
        given().when().get("/v1/definitions/language").then()
                .statusCode(200)
                .body("type", equalTo("string"))
                .body("normalizer", equalTo("language-tag"))
                .body("scopes", hasItems("organization", "user"))
                .body("defaults.organization", equalTo("en-US"))
                .body("defaults.user", equalTo("en"))
                .body("defaults.project", nullValue());
        given().when().get("/v1/definitions/ui.density").then()
                .body("constraints.minimum", equalTo(1)).body("constraints.maximum", equalTo(5)).body("defaults.user", equalTo(3));
        given().when().get("/v1/definitions/digest").then().body("pinDefaults", equalTo(true)).body("constraints.enum", hasItems("daily", "weekly"));
        given().when().get("/v1/definitions/old-setting").then().body("deprecated", equalTo("use enabled instead"));
        given().when().get("/v1/definitions/notifications.sms").then().statusCode(200).body("key", equalTo("notifications.*")).body("prefix", equalTo(true));
        given().when().get("/v1/definitions/notifications.*").then().statusCode(200).body("key", equalTo("notifications.*"));
        given().when().get("/v1/definitions/nothing-here").then()
                .statusCode(404).contentType("application/problem+json").body("type", equalTo("/problems/unknown-definition"));
    }
}
