package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;

import dev.options.Http;

/**
 * Two instances migrating a rename at once (the example registry renames {@code dateformat} to
 * {@code date_format}), each every second in batches of five: every planted row moves exactly once,
 * each scope's version rises by one with one {@code migration} history entry, and both instances
 * read the value under the new name throughout.
 */
class RenameMigrationIT {

    private static final String JDBC = "jdbc:postgresql://127.0.0.1:5432/options_test";
    private static final int SCOPES = 40;

    private static long scalar(Connection db, String sql, Object... parameters) throws Exception {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    @Test
    void twoInstancesMoveEveryRowOnce() throws Exception {
        long first = ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50);
        List<Long> users = new ArrayList<>();
        try (Connection db = DriverManager.getConnection(JDBC, "postgres", null)) {
            for (int i = 0; i < SCOPES; i++) {
                long user = first + i;
                users.add(user);
                try (PreparedStatement scope = db.prepareStatement("INSERT INTO option_scopes (scope_key, version, epoch) VALUES (?, 1, 1)");
                        PreparedStatement row = db.prepareStatement("INSERT INTO user_options (user_id, key, value) VALUES (?, 'dateformat', ?::jsonb)")) {
                    scope.setString(1, "user_options:" + user + ":user");
                    scope.executeUpdate();
                    row.setLong(1, user);
                    row.setString(2, i % 2 == 0 ? "\"us\"" : "\"eu\"");
                    row.executeUpdate();
                }
            }
        }
        String run = UUID.randomUUID().toString();
        Map<String, String> shared = Map.of("options.feed.stream", "options:changes:it:" + run,
                "options.cache.shared-prefix", "options:it:" + run + ":",
                "options.registry.path", "classpath:registry-example.yaml",
                "options.migration.every", "PT1S", "options.migration.batch", "5");
        try (ServiceProcess a = ServiceProcess.start("a", shared); ServiceProcess b = ServiceProcess.start("b", shared);
                Connection db = DriverManager.getConnection(JDBC, "postgres", null)) {
            Http onA = new Http(a.base());
            Http onB = new Http(b.base());
            long deadline = System.nanoTime() + 60_000_000_000L;
            long left;
            do {
                for (int i = 0; i < SCOPES; i += 7) {
                    String expected = i % 2 == 0 ? "\"us\"" : "\"eu\"";
                    Http on = i % 2 == 0 ? onA : onB;
                    assertThat(on.get("/v1/users/" + users.get(i) + "/options/date_format").body()).isEqualTo(expected);
                }
                left = scalar(db, "SELECT count(*) FROM user_options WHERE key = 'dateformat' AND user_id BETWEEN ? AND ?",
                        first, first + SCOPES - 1);
                Thread.sleep(200);
            } while (left > 0 && System.nanoTime() < deadline);
            assertThat(left).as("rows left under the old name").isZero();
            for (int i = 0; i < SCOPES; i++) {
                long user = users.get(i);
                String key = "user_options:" + user + ":user";
                assertThat(scalar(db, "SELECT version FROM option_scopes WHERE scope_key = ?", key)).as(key).isEqualTo(2);
                assertThat(scalar(db, "SELECT count(*) FROM option_history WHERE scope_key = ? AND channel = 'migration'", key))
                        .as(key).isEqualTo(1);
                assertThat(scalar(db, "SELECT count(*) FROM user_options WHERE user_id = ? AND key = 'date_format'"
                        + " AND value = ?::jsonb", user, i % 2 == 0 ? "\"us\"" : "\"eu\"")).as(key).isEqualTo(1);
                // what B caches hears of A's moves within the feed's delay
                long seen = 0;
                for (long until = System.nanoTime() + 2_000_000_000L; seen < 2 && System.nanoTime() < until; Thread.sleep(20)) {
                    seen = onB.get("/v1/users/" + user + "/options").json().get("version").asLong();
                }
                assertThat(seen).as(key + " on B").isEqualTo(2);
            }
            assertThat(onA.get("/v1/definitions/date_format").json().has("migration")).isFalse();
        }
    }
}
