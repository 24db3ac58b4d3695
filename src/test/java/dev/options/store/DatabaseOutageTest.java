package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import dev.options.Http;
import dev.options.PrivatePostgres;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Postgres going away under the service: writes answer 503 with Retry-After and leave nothing half
 * written, reads the caches hold are still served, and the pool reconnects by itself once the
 * database is back.
 */
@QuarkusTest
@TestProfile(DatabaseOutageTest.OwnPostgres.class)
class DatabaseOutageTest {

    public static class OwnPostgres implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PrivatePostgres.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.retry-after-seconds", "3",
                    "options.cache.shared-prefix", "options:outage:scope:",
                    "options.feed.stream", "options:changes:outage");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void writesAnswer503WhileTheDatabaseIsDownAndSucceedAgainWhenItIsBack() throws Exception {
        Http http = new Http(base);
        String scope = "/v1/users/" + Fixtures.newId() + "/options";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);

        PrivatePostgres.stopServer();
        try {
            for (int attempt = 0; attempt < 3; attempt++) {
                Http.Answer write = http.send("PUT", scope + "/a", "application/json", "2");
                assertThat(write.status()).as(write.body()).isEqualTo(503);
                assertThat(write.contentType()).startsWith("application/problem+json");
                assertThat(write.header("Retry-After")).isEqualTo("3");
                assertThat(write.json().get("type").asText()).isEqualTo("/problems/database-unavailable");
                assertThat(write.body()).doesNotContain("Exception").doesNotContain("Connection");
                Http.Answer cached = http.get(scope);
                assertThat(cached.status()).as("a read the caches can serve").isEqualTo(200);
                assertThat(cached.json().get("version").asLong()).isEqualTo(1);
                Http.Answer uncached = http.get("/v1/users/" + Fixtures.newId() + "/options");
                assertThat(uncached.status()).as("a read no cache can serve").isEqualTo(503);
            }
            assertThat(http.send("PATCH", scope, "application/merge-patch+json", "{\"b\": 1}").status()).isEqualTo(503);
            assertThat(http.get("/q/health/live").status()).as("liveness never depends on Postgres").isEqualTo(200);
            assertThat(http.get("/q/health/ready").status()).as("readiness goes down with Postgres").isEqualTo(503);
        } finally {
            PrivatePostgres.startServer();
        }

        Http.Answer write = null;
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            write = http.send("PUT", scope + "/a", "application/json", "3");
            if (write.status() == 200) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(write.status()).as("write after the database came back: %s", write.body()).isEqualTo(200);
        assertThat(write.json().get("version").asLong()).as("failed writes bumped nothing").isEqualTo(2);
        assertThat(http.get(scope).json().get("options").get("a").asInt()).isEqualTo(3);
        assertThat(http.get(scope).json().get("options").has("b")).isFalse();
        Http.Answer ready = http.get("/q/health/ready");
        for (int i = 0; i < 50 && ready.status() != 200; i++) {
            Thread.sleep(100);
            ready = http.get("/q/health/ready");
        }
        assertThat(ready.status()).as("ready again: %s", ready.body()).isEqualTo(200);
    }
}
