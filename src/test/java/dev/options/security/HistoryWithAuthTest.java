package dev.options.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** History with authentication on: entries name the token's subject (the admin token's is "1"); reading needs read, reverting write. */
@QuarkusTest
@TestProfile(AuthOn.class)
class HistoryWithAuthTest {

    @Test
    void entriesNameTheirActorAndHistoryIsGuardedLikeTheScope() {
        long user = Fixtures.newId();
        long other = Fixtures.newId();
        String base = "/v1/users/" + user;
        given().auth().oauth2(Tokens.user(user)).contentType("application/json").body("\"dark\"").put(base + "/options/theme")
                .then().statusCode(200);
        given().auth().oauth2(Tokens.group("options-admin")).contentType("application/json").body("\"system\"").put(base + "/options/theme")
                .then().statusCode(200);
        given().auth().oauth2(Tokens.user(user)).when().get(base + "/history").then().statusCode(200)
                .body("entries.actor", contains("1", String.valueOf(user)))
                .body("entries.channel", contains("api", "api"));
        given().auth().oauth2(Tokens.user(user)).queryParam("version", 1).when().get(base + "/options").then().statusCode(200)
                .body("options.theme", equalTo("dark"));

        given().auth().oauth2(Tokens.user(other)).when().get(base + "/history").then().statusCode(403);
        given().auth().oauth2(Tokens.user(other)).queryParam("version", 1).when().get(base + "/options").then().statusCode(403);
        given().auth().oauth2(Tokens.user(other)).contentType("application/json").body("{\"version\": 1}").post(base + "/revert")
                .then().statusCode(403);
        given().auth().oauth2(Tokens.group("options-reader")).contentType("application/json").body("{\"version\": 1}").post(base + "/revert")
                .then().statusCode(403);
        given().when().get(base + "/history").then().statusCode(401);

        given().auth().oauth2(Tokens.user(user)).contentType("application/json").body("{\"version\": 1}").post(base + "/revert")
                .then().statusCode(200).body("options.theme", equalTo("dark"));
        given().auth().oauth2(Tokens.group("options-reader")).when().get(base + "/history?limit=1").then().statusCode(200)
                .body("entries.actor", contains(String.valueOf(user))).body("entries.channel", contains("revert"));
    }
}
