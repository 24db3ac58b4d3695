package dev.options.hierarchy;

import static dev.options.hierarchy.ValuesInForceTest.inForce;
import static dev.options.hierarchy.ValuesInForceTest.patch;
import static dev.options.hierarchy.ValuesInForceTest.register;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Events;
import dev.options.Fixtures;
import dev.options.SseClient;
import dev.options.events.InvalidationFeed;
import dev.options.value.OptionJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The change feed's {@code inherit=true}: the events of every layer a scope inherits from, a project's move included. */
@QuarkusTest
class InheritedFeedTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    InvalidationFeed feed;

    private static JsonNode data(SseClient.Event event) {
        return OptionJson.parseStored(event.data());
    }

    @Test
    void aScopesInheritedFeedDeliversEveryLayerItInheritsFromAndFollowsAMove() throws Exception {
        Events.awaitConnected(feed);
        long first = Fixtures.newId();
        long second = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        long stranger = Fixtures.newId();
        register(project, first);
        String uip = "user_options:" + user + ":project:" + project;
        URI stream = base.resolve("/v1/changes?scope=" + uip + "&inherit=true");
        try (SseClient client = new SseClient(stream, null).opened()) {
            patch("/v1/organizations/" + first + "/options", "{\"custom.a\": 1}");
            patch("/v1/organizations/" + second + "/options", "{\"custom.a\": 1}");
            patch("/v1/users/" + stranger + "/options", "{\"custom.a\": 1}");
            patch("/v1/projects/" + project + "/options", "{\"custom.a\": 1}");
            patch("/v1/users/" + user + "/options", "{\"custom.a\": 1}");
            patch("/v1/users/" + user + "/organizations/" + first + "/options", "{\"custom.a\": 1}");
            patch("/v1/users/" + user + "/projects/" + project + "/options", "{\"custom.a\": 1}");
            assertThat(client.scopesUntil(uip)).containsExactly("organization_options:" + first, "project_options:" + project,
                    "user_options:" + user + ":user", uip);

            // the move is an event of the project, naming no key, and the values in force change with it
            register(project, second);
            SseClient.Event moved = client.next(Duration.ofSeconds(10));
            assertThat(data(moved).get("scope").asText()).isEqualTo("project_options:" + project);
            assertThat(data(moved).get("keys")).isEmpty();
            inForce("/v1/users/" + user + "/projects/" + project + "/options").body("sources.'custom.a'", equalTo("user-in-project"));

            // from then on the new organization's events, and no longer the old one's
            patch("/v1/organizations/" + first + "/options", "{\"custom.b\": 2}");
            patch("/v1/organizations/" + second + "/options", "{\"custom.b\": 2}");
            patch("/v1/users/" + user + "/projects/" + project + "/options", "{\"custom.b\": 2}");
            assertThat(client.scopesUntil(uip)).containsExactly("organization_options:" + second, uip);
        }
    }

    @Test
    void aLockIsAnEventOfItsScopeNamingTheKey() throws Exception {
        Events.awaitConnected(feed);
        long organization = Fixtures.newId();
        long user = Fixtures.newId();
        String uio = "user_options:" + user + ":organization:" + organization;
        try (SseClient client = new SseClient(base.resolve("/v1/changes?scope=" + uio + "&inherit=true"), null).opened()) {
            given().put("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
            SseClient.Event locked = client.next(Duration.ofSeconds(10));
            assertThat(data(locked).get("scope").asText()).isEqualTo("organization_options:" + organization);
            assertThat(data(locked).get("version").asLong()).isEqualTo(1);
            assertThat(data(locked).get("keys").toString()).isEqualTo("[\"theme\"]");
        }
    }

    @Test
    void anInheritedFeedNeedsScopeKeys() {
        given().queryParam("inherit", "true").when().get("/v1/changes").then().statusCode(400)
                .body("type", equalTo("/problems/invalid-parameter"));
        given().queryParam("inherit", "true").queryParam("scope", "nonsense").when().get("/v1/changes").then().statusCode(400);
        given().queryParam("inherit", "maybe").queryParam("scope", "user_options:1:user").when().get("/v1/changes").then().statusCode(400);
    }
}
