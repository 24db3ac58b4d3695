package dev.options.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/** With options.registry.strict=true, keys the registry does not define are refused. */
@QuarkusTest
@TestProfile(StrictRegistryTest.Strict.class)
class StrictRegistryTest {

    public static class Strict implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.registry.strict", "true");
        }
    }

    @Test
    void undefinedKeysAreRefusedAndDefinedOnesAccepted() {
        String scope = "/v1/users/" + Fixtures.newId() + "/options";
        given().contentType(ContentType.JSON).body("1").when().put(scope + "/undefined-key").then()
                .statusCode(422)
                .body("type", equalTo("/problems/invalid-option"))
                .body("errors[0].key", equalTo("undefined-key"))
                .body("errors[0].reason", equalTo("is not a defined option"));
        given().contentType(ContentType.JSON).body("true").when().put(scope + "/notifications.push").then().statusCode(200);
        given().contentType(ContentType.JSON).body("4").when().put(scope + "/ui.density").then().statusCode(200)
                .body("version", equalTo(2));
        given().when().get("/v1/definitions").then().body("strict", equalTo(true));
    }
}
