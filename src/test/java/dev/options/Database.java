package dev.options;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Looks at Postgres directly over JDBC, around the service, so that tests check what is really
 * stored rather than what the service says it stored.
 */
public final class Database {

    private Database() {
    }

    private static Connection connect() throws SQLException {
        var config = ConfigProvider.getConfig();
        String url = config.getValue("quarkus.datasource.jdbc.url", String.class);
        String user = config.getOptionalValue("quarkus.datasource.username", String.class).orElse("postgres");
        return DriverManager.getConnection(url, user, config.getOptionalValue("quarkus.datasource.password", String.class).orElse(null));
    }

    /** The first column of the first row of {@code sql}, as a long. */
    public static long scalar(String sql, Object... parameters) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first column of the first row of {@code sql}, as text, or null. */
    public static String text(String sql, Object... parameters) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one statement that changes rows; answers how many it changed. */
    public static int execute(String sql, Object... parameters) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static long outboxRows(String scopeKey) {
        return scalar("SELECT count(*) FROM option_outbox WHERE scope_key = ?", scopeKey);
    }

    /**
     * The scope's outbox rows once the sweeper has had its chance: published changes leave the outbox
     * in batches, a sweep interval after they were published, so this waits (at most five seconds)
     * for the count to reach zero and answers it.
     */
    public static long outboxRowsAfterSweep(String scopeKey) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        long rows = outboxRows(scopeKey);
        while (rows > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            rows = outboxRows(scopeKey);
        }
        return rows;
    }

    /** The scope's version in {@code option_scopes}; 0 when it was never written. */
    public static long version(String scopeKey) {
        return scalar("SELECT coalesce((SELECT version FROM option_scopes WHERE scope_key = ?), 0)", scopeKey);
    }

    public static long userRows(long userId) {
        return scalar("SELECT count(*) FROM user_options WHERE user_id = ?", userId);
    }
}
