package dev.options.registry;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Fixtures;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Values under a JSON Schema given in full ({@code weights} in the test registry: an object whose
 * members are 1 or 2, at most three of them), on every write path; and every definition's schema,
 * short forms compiled, as clients see it.
 */
@QuarkusTest
class JsonSchemaTest {

    @Test
    void aValueFailingAFullSchemaIsRefusedOnEveryWritePathAndNothingIsWritten() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        given().contentType("application/json").body("{\"a\": 1, \"b\": 2}").put(scope + "/weights").then().statusCode(200)
                .body("version", equalTo(1));
        given().contentType("application/json").body("{\"a\": 1, \"b\": 3}").put(scope + "/weights").then().statusCode(422)
                .body("type", equalTo("/problems/invalid-option")).body("errors[0].key", equalTo("weights"))
                .body("errors[0].reason", containsString("enumeration"));
        given().contentType("application/merge-patch+json").body("{\"weights\": {\"c\": 5}, \"theme\": \"dark\"}").patch(scope).then()
                .statusCode(422).body("errors[0].key", equalTo("weights"));
        // a merge into the stored object is checked whole: a fourth member is one too many
        given().contentType("application/merge-patch+json").body("{\"weights\": {\"c\": 1, \"d\": 2}}").patch(scope).then()
                .statusCode(422).body("errors[0].key", equalTo("weights"));
        given().contentType("application/json").body("[1]").put(scope + "/weights").then().statusCode(422);
        assertThat(Database.version("user_options:" + user + ":user")).isEqualTo(1);
        assertThat(Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND key = 'weights'", user).replace(" ", ""))
                .isEqualTo("{\"a\":1,\"b\":2}");
        // and a valid merge passes
        given().contentType("application/merge-patch+json").body("{\"weights\": {\"b\": null, \"c\": 2}}").patch(scope).then()
                .statusCode(200).body("options.weights.c", equalTo(2)).body("options.weights.b", equalTo(null));
    }

    @Test
    void everyDefinitionShowsItsSchema() {
        given().when().get("/v1/definitions/weights").then().statusCode(200)
                .body("schema.type", equalTo("object"))
                .body("schema.additionalProperties.enum", equalTo(java.util.List.of(1, 2)))
                .body("schema.maxProperties", equalTo(3));
        given().when().get("/v1/definitions/ui.density").then().statusCode(200)
                .body("schema.type", equalTo("integer")).body("schema.minimum", equalTo(1)).body("schema.maximum", equalTo(5));
        given().when().get("/v1/definitions/tags").then().statusCode(200)
                .body("schema.items.type", equalTo("string")).body("schema.maxItems", equalTo(3));
        given().when().get("/v1/definitions/theme").then().statusCode(200)
                .body("schema.enum", equalTo(java.util.List.of("light", "dark", "system")));
    }
}
