package dev.options.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.options.Database;
import dev.options.Fixtures;

/**
 * Seeds three user scopes the way an earlier registry would have left them (one chose a theme, one
 * stored something else, one nothing) and checks what every read path shows for {@code theme}.
 */
final class DefaultsOnEveryReadPath {

    private DefaultsOnEveryReadPath() {
    }

    static void check(String expectedDefault) {
        long chose = Fixtures.newId();
        long other = Fixtures.newId();
        long none = Fixtures.newId();
        seed(chose, "theme", "\"system\"");
        seed(other, "enabled", "true");

        for (long user : new long[] { other, none }) {
            given().when().get("/v1/users/" + user + "/options").then().statusCode(200).body("options.theme", equalTo(expectedDefault));
            given().when().get("/v1/users/" + user + "/options/theme").then().statusCode(200).body(equalTo("\"" + expectedDefault + "\""));
            given().queryParam("inherit", "true").when().get("/v1/users/" + user + "/projects/1/options").then()
                    .body("options.theme", equalTo(expectedDefault)).body("sources.theme", equalTo("default"));
        }
        given().when().get("/v1/users/" + chose + "/options/theme").then().body(equalTo("\"system\""));
        given().when().get("/v1/users/" + chose + "/options").then().body("options.theme", equalTo("system"));
        given().queryParam("ids", chose + "," + other + "," + none).when().get("/v1/users/options/theme").then()
                .statusCode(200)
                .body("values.'" + chose + "'", equalTo("system"))
                .body("values.'" + other + "'", equalTo(expectedDefault))
                .body("values.'" + none + "'", equalTo(expectedDefault));
    }

    /** Stores one option as a save would have: the row, and the scope's version. */
    private static void seed(long user, String key, String json) {
        Database.scalar("WITH row AS (INSERT INTO user_options (user_id, key, value) VALUES (?, ?, ?::jsonb) RETURNING 1),"
                + " scope AS (INSERT INTO option_scopes (scope_key, version) VALUES (?, 1) RETURNING 1)"
                + " SELECT count(*) FROM row", user, key, json, "user_options:" + user + ":user");
    }
}
