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

    private static String jdbcUrl() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
    }

    /** A session of its own that holds the lock of scope {@code key} until it is rolled back or closed. */
    private static Connection lockHolder(String key) throws java.sql.SQLException {
        Connection holder = DriverManager.getConnection(jdbcUrl(), "postgres", "");
        holder.setAutoCommit(false);
        try (Statement lock = holder.createStatement()) {
            lock.execute("SELECT version FROM option_scopes WHERE scope_key = '" + key + "' FOR UPDATE");
        }
        return holder;
    }

    @Test
    void aWriterWaitingOnAFrozenLockHolderAnswers503AndWritesNothing() throws Exception {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String key = "user_options:" + user + ":user";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
        try (Connection holder = lockHolder(key)) {
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

    @Test
    void aScopesFirstWriteWaitingOnAFrozenCreatorAnswers503FromTheLockingTransaction() throws Exception {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String key = "user_options:" + user + ":user";
        // a frozen session that began creating the scope's row: the first write's locking save (a
        // Hibernate Reactive transaction) waits on it to create the row itself
        try (Connection creator = DriverManager.getConnection(jdbcUrl(), "postgres", "")) {
            creator.setAutoCommit(false);
            try (Statement create = creator.createStatement()) {
                create.execute("INSERT INTO option_scopes (scope_key, version) VALUES ('" + key + "', 0)");
            }
            Http.Answer put = http.send("PUT", scope + "/a", "application/json", "1");
            assertThat(put.status()).as(put.body()).isEqualTo(503);
            assertThat(put.json().get("type").asText()).isEqualTo("/problems/database-unavailable");
            assertThat(put.headers().firstValue("Retry-After")).isPresent();
            creator.rollback();
        }
        assertThat(Database.version(key)).as("nothing was written").isZero();
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
    }

    @Test
    void writersQueuedBehindAFrozenLockHolderAnswerTogetherNotOneTimeoutEach() throws Exception {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String key = "user_options:" + user + ":user";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
        int writers = 6;
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try (Connection holder = lockHolder(key)) {
            java.util.List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String value = String.valueOf(10 + i);
                answers.add(clients.submit(() -> http.send("PUT", scope + "/a", "application/json", value).status()));
            }
            // every statement that waits for the scope's lock, as Postgres sees it, until all are answered
            java.util.Set<String> waits = new java.util.HashSet<>();
            try (Connection watcher = DriverManager.getConnection(jdbcUrl(), "postgres", "");
                    java.sql.PreparedStatement waiting = watcher.prepareStatement("SELECT pid, query_start FROM pg_stat_activity"
                            + " WHERE wait_event_type = 'Lock' AND datname = current_database()")) {
                long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
                while (!answers.stream().allMatch(java.util.concurrent.Future::isDone) && System.nanoTime() < deadline) {
                    try (java.sql.ResultSet rows = waiting.executeQuery()) {
                        while (rows.next()) {
                            waits.add(rows.getInt(1) + "@" + rows.getTimestamp(2));
                        }
                    }
                    Thread.sleep(50);
                }
            }
            for (java.util.concurrent.Future<Integer> answer : answers) {
                assertThat(answer.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(503);
            }
            // the first waited out the lock timeout; those queued behind it were answered with it, each
            // without a statement of its own that would wait out the timeout again, in turn
            assertThat(waits).as("statements that waited for the lock, of %d writers", writers).hasSize(1);
            holder.rollback();
        } finally {
            clients.shutdownNow();
        }
        assertThat(Database.version(key)).isEqualTo(1);
    }
}
