package dev.options.store;

import io.vertx.pgclient.PgException;

/** Postgres's own bounds on waiting: {@code lock_timeout} and {@code statement_timeout}. */
public final class PostgresWaits {

    private PostgresWaits() {
    }

    /**
     * Whether {@code failure} is Postgres giving up: a lock not had within {@code lock_timeout}
     * (SQLSTATE 55P03) or a statement cancelled by {@code statement_timeout} (57014).
     */
    public static boolean gaveUp(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PgException pg && ("55P03".equals(pg.getSqlState()) || "57014".equals(pg.getSqlState()))) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }
}
