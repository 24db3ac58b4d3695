package dev.options.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Events;
import dev.options.Fixtures;
import dev.options.SseClient;
import dev.options.events.InvalidationFeed;
import dev.options.value.OptionJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * With {@code inherit=true} a caller follows the layers above its scope only as far as it may read
 * them: reading one's own values in force needs no right to the organization, but hearing of the
 * organization's changes does (API.md: "Authorization per event").
 */
@QuarkusTest
@TestProfile(AuthOn.class)
class InheritedFeedAuthorizationTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    InvalidationFeed feed;

    private static void adminPatch(String path, String body) {
        given().auth().oauth2(Tokens.group("options-admin")).contentType("application/merge-patch+json").body(body)
                .when().patch(path).then().statusCode(200);
    }

    @Test
    void aCallerHearsOfTheLayersAboveItsScopeOnlyAsFarAsItMayReadThem() throws Exception {
        Events.awaitConnected(feed);
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        given().auth().oauth2(Tokens.group("options-admin")).contentType("application/json")
                .body("{\"organization\": " + organization + "}").when().put("/v1/projects/" + project).then().statusCode(200);
        String uip = "user_options:" + user + ":project:" + project;
        URI stream = base.resolve("/v1/changes?scope=" + uip + "&inherit=true");
        String write = "/v1/users/" + user + "/projects/" + project + "/options";
        try (SseClient own = new SseClient(stream, null, Tokens.user(user)).opened();
                SseClient member = new SseClient(stream, null, Tokens.member(user, List.of(organization), List.of())).opened()) {
            adminPatch("/v1/organizations/" + organization + "/options", "{\"custom.a\": 1}");
            adminPatch("/v1/projects/" + project + "/options", "{\"custom.a\": 1}");
            adminPatch("/v1/users/" + user + "/options", "{\"custom.a\": 1}");
            adminPatch(write, "{\"custom.a\": 1}");
            assertThat(own.scopesUntil(uip)).as("a token that lists neither the organization nor the project")
                    .containsExactly("user_options:" + user + ":user", uip);
            assertThat(member.scopesUntil(uip)).as("a token that lists the organization")
                    .containsExactly("organization_options:" + organization, "user_options:" + user + ":user", uip);
        }
        // and the values in force are the caller's own business
        given().auth().oauth2(Tokens.user(user)).queryParam("inherit", "true").when().get(write).then().statusCode(200);
        given().auth().oauth2(Tokens.user(user)).when().get(write + "/custom.a/explain").then().statusCode(200);
    }
}
