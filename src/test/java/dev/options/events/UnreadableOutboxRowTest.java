package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Fixtures;
import io.quarkus.test.junit.QuarkusTest;

/**
 * One outbox row the relay cannot read (written by hand, or by something other than this service)
 * stays where it is, alone: the rows claimed with it are published and deleted as usual.
 */
@QuarkusTest
class UnreadableOutboxRowTest {

    @Test
    void aRowThatCannotBeReadStaysAloneAndTheOthersOfItsBatchArePublished() throws Exception {
        long project = Fixtures.newId();
        String key = "project_options:" + project;
        String foreign = "not a scope key " + Fixtures.newId();
        // left unpublished long ago: the foreign row first, so that it leads its batch
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys, created_at) VALUES (?, 1, '[\"a\"]', now() - interval '1 minute')",
                foreign);
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", key);
        Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, 'a', '1'::jsonb)", project);
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys, created_at) VALUES (?, 1, '[\"a\"]', now() - interval '1 minute')",
                key);

        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (Database.outboxRows(key) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        try {
            assertThat(Database.outboxRows(key)).as("the readable row of the batch was published").isZero();
            assertThat(Database.outboxRows(foreign)).as("the unreadable one stays").isEqualTo(1);
        } finally {
            Database.execute("DELETE FROM option_outbox WHERE scope_key = ?", foreign);
        }
    }

    @Test
    void moreUnreadableRowsThanABatchDoNotStallTheRelay() throws Exception {
        long project = Fixtures.newId();
        String key = "project_options:" + project;
        String foreign = "not a scope key " + Fixtures.newId();
        // more unreadable rows than one claim takes (relay-batch, 200), all older than the readable one
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys, created_at)"
                + " SELECT ? || ':' || n, 1, '[\"a\"]', now() - interval '1 minute' FROM generate_series(1, 250) AS n", foreign);
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", key);
        Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, 'a', '1'::jsonb)", project);
        Database.execute("INSERT INTO option_outbox (scope_key, version, keys, created_at) VALUES (?, 1, '[\"a\"]', now() - interval '1 minute')",
                key);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (Database.outboxRows(key) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(Database.outboxRows(key)).as("the readable row behind them was published").isZero();
        } finally {
            Database.execute("DELETE FROM option_outbox WHERE scope_key LIKE ?", foreign + ":%");
        }
    }
}
