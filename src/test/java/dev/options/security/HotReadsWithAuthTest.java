package dev.options.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * With authentication on, the hot-read route answers only callers the scope admits, from their verified
 * token; every refusal is the resource's own 401 or 403 problem.
 */
@QuarkusTest
@TestProfile(AuthOn.class)
class HotReadsWithAuthTest {

    @Inject
    MeterRegistry meters;

    private double hotReads() {
        return meters.find("options.http.hot_reads").counter().count();
    }

    @Test
    void onlyAdmittedCallersAreAnsweredOnTheRoute() {
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String own = Tokens.user(user);
        given().auth().oauth2(own).contentType(ContentType.JSON).body("\"fr\"").when().put(scope + "/language")
                .then().statusCode(200);
        double before = hotReads();

        given().auth().oauth2(own).when().get(scope).then().statusCode(200).body("options.language", equalTo("fr"));
        given().auth().oauth2(Tokens.group("options-admin")).when().get(scope).then().statusCode(200);
        assertThat(hotReads() - before).as("admitted callers, on the route").isEqualTo(2);

        given().when().get(scope).then().statusCode(401).contentType("application/problem+json");
        given().auth().oauth2(Tokens.user(Fixtures.newId())).when().get(scope).then().statusCode(403)
                .contentType("application/problem+json");
        given().auth().oauth2(Tokens.badSignature(user)).when().get(scope).then().statusCode(401);
        given().auth().oauth2(Tokens.expired(user)).when().get(scope).then().statusCode(401);
        assertThat(hotReads() - before).as("refusals are the resource's").isEqualTo(2);
    }
}
