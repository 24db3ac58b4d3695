package dev.options.store;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * With a replica datasource configured (here the same server, under its own pool), NORMAL reads that
 * miss the caches use it, and LATEST reads, locks and writes never do: statements counted per pool.
 */
@QuarkusTest
@TestProfile(ReadReplicaTest.WithReplica.class)
class ReadReplicaTest {

    public static class WithReplica implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.replica.reactive.url", "postgresql://127.0.0.1:5432/options_test");
        }
    }

    @Inject
    MeterRegistry meters;

    private double statements(String pool) {
        return meters.find("options.store.statements").tag("caller", "request").tag("pool", pool).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void normalMissesReadTheReplicaAndNothingElseDoes() {
        String scope = "/v1/organizations/" + Fixtures.newId() + "/options";
        double replica = statements("replica");
        double primary = statements("primary");

        given().when().get(scope).then().statusCode(200).body("version", equalTo(0));
        assertThat(statements("replica") - replica).as("a NORMAL miss reads the replica").isEqualTo(1);
        assertThat(statements("primary") - primary).as("and not the primary").isZero();

        replica = statements("replica");
        given().contentType(ContentType.JSON).body("2").when().put(scope + "/ui.density").then().statusCode(200);
        given().header("Cache-Control", "no-cache").when().get(scope).then().statusCode(200).body("version", equalTo(1));
        given().contentType("application/merge-patch+json").body("{\"ui.density\": 4}").when().patch(scope).then().statusCode(200);
        assertThat(statements("replica") - replica).as("writes and LATEST reads never use the replica").isZero();
        assertThat(statements("primary") - primary).isPositive();

        // a scope never seen here: a NORMAL miss again goes to the replica, and sees the committed data
        String other = "/v1/projects/" + Fixtures.newId() + "/options";
        given().contentType(ContentType.JSON).body("true").when().put(other + "/enabled").then().statusCode(200);
        assertThat(given().when().get(other).then().statusCode(200).extract().path("options.enabled").toString()).isEqualTo("true");
    }
}
