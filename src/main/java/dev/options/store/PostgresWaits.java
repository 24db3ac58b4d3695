package dev.options.store;

import java.sql.SQLException;

import io.vertx.pgclient.PgException;

/** Postgres's own bounds on waiting ({@code lock_timeout}, {@code statement_timeout}), and the SQLSTATE of a failure. */
public final class PostgresWaits {

    private PostgresWaits() {
    }

    /**
     * Whether {@code failure} is Postgres giving up: a lock not had within {@code lock_timeout}
     * (SQLSTATE 55P03) or a statement cancelled by {@code statement_timeout} (57014).
     */
    public static boolean gaveUp(Throwable failure) {
        String state = sqlState(failure);
        return "55P03".equals(state) || "57014".equals(state);
    }

    /**
     * The SQLSTATE of the first Postgres error in {@code failure}'s causes, or null: as the reactive
     * client raises it ({@link PgException}) and as Hibernate Reactive does, which turns it into a
     * {@link SQLException} (wrapped in Hibernate's {@code JDBCException}) and drops the original.
     */
    public static String sqlState(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PgException pg && pg.getSqlState() != null) {
                return pg.getSqlState();
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return null;
    }
}
