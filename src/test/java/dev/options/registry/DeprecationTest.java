package dev.options.registry;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;

/** Reads and writes of a deprecated key ({@code old-setting} in the test registry) say so, and are counted. */
@QuarkusTest
class DeprecationTest {

    @Inject
    MeterRegistry meters;

    private double uses() {
        Counter counter = meters.find("options.deprecated.uses").tag("key", "old-setting").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void everyUseOfADeprecatedKeyCarriesADeprecationHeaderAndIsCounted() {
        String scope = "/v1/users/" + Fixtures.newId() + "/options";
        double before = uses();
        given().contentType("application/json").body("true").put(scope + "/old-setting").then().statusCode(200)
                .header("Deprecation", equalTo("true"));
        given().get(scope + "/old-setting").then().statusCode(200).header("Deprecation", equalTo("true"));
        given().contentType("application/merge-patch+json").body("{\"old-setting\": false, \"theme\": \"dark\"}").patch(scope)
                .then().statusCode(200).header("Deprecation", equalTo("true"));
        given().delete(scope + "/old-setting").then().statusCode(200).header("Deprecation", equalTo("true"));
        assertThat(uses() - before).isEqualTo(4);

        given().contentType("application/json").body("\"light\"").put(scope + "/theme").then().statusCode(200)
                .header("Deprecation", nullValue());
        given().get(scope + "/theme").then().header("Deprecation", nullValue());
        assertThat(uses() - before).isEqualTo(4);
    }
}
