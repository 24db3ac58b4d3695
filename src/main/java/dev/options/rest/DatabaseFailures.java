package dev.options.rest;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import dev.options.store.PostgresWaits;
import io.vertx.sqlclient.ClosedConnectionException;

/** Tells a database that cannot be reached from a database that refused a statement. */
final class DatabaseFailures {

    private DatabaseFailures() {
    }

    /**
     * Whether {@code failure} means Postgres is unreachable or not accepting work right now (refused
     * or lost connections, shutdown, too many connections, a pool that could not get one in time, a
     * lock or statement that ran out of its time, a transaction ended for idling): a retry later may
     * succeed, so the answer is 503.
     */
    static boolean unavailable(Throwable failure) {
        if (PostgresWaits.gaveUp(failure)) {
            return true;
        }
        String state = PostgresWaits.sqlState(failure);
        if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300") || state.equals("25P03"))) {
            return true;
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException
                    || cause instanceof ClosedConnectionException
                    || cause instanceof TimeoutException) {
                return true;
            }
            String name = cause.getClass().getName();
            String message = String.valueOf(cause.getMessage());
            if (name.startsWith("io.vertx") && (message.contains("Connection refused")
                    || message.contains("Connection reset") || message.contains("Connection is closed")
                    || message.contains("Timeout") || message.contains("Failed to read"))) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }
}
