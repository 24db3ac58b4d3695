package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A session that holds a scope's lock and never lets go (a paused instance, a cut network) stalls
 * that scope's writers for lock_timeout only: they answer 503 and write nothing, and once the lock
 * is released writes go on.
 */
@QuarkusTest
@TestProfile(LockTimeoutTest.ShortLockTimeout.class)
class LockTimeoutTest {

    public static class ShortLockTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.reactive.additional-properties.lock_timeout", "1s");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void aWriterWaitingOnAFrozenLockHolderAnswers503AndWritesNothing() throws Exception {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String key = "user_options:" + user + ":user";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
        String url = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        try (Connection holder = DriverManager.getConnection(url, "postgres", "")) {
            holder.setAutoCommit(false);
            try (Statement lock = holder.createStatement()) {
                lock.execute("SELECT version FROM option_scopes WHERE scope_key = '" + key + "' FOR UPDATE");
            }
            long started = System.nanoTime();
            Http.Answer put = http.send("PUT", scope + "/a", "application/json", "2");
            long waitedMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(put.status()).as(put.body()).isEqualTo(503);
            assertThat(put.json().get("type").asText()).isEqualTo("/problems/database-unavailable");
            assertThat(waitedMillis).as("answered after the lock timeout, not the holder's end").isLessThan(15_000);
            Http.Answer patch = http.send("PATCH", scope, "application/merge-patch+json", "{\"b\": 1}");
            assertThat(patch.status()).isEqualTo(503);
            holder.rollback();
        }
        assertThat(Database.version(key)).as("nothing was written meanwhile").isEqualTo(1);
        Http.Answer after = http.send("PUT", scope + "/a", "application/json", "2");
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.json().get("version").asLong()).isEqualTo(2);
    }
}
