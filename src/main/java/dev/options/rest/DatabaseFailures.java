package dev.options.rest;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import dev.options.problem.ProblemException;
import dev.options.store.PostgresWaits;
import io.smallrye.mutiny.CompositeException;
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
                    || message.contains("Timeout") || message.contains("Failed to read")
                    || message.contains("Connection is not active"))) {
                return true;
            }
            if (cause instanceof CompositeException composite && composite.getCauses().stream().anyMatch(DatabaseFailures::unavailable)) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** The refusal among the failures of {@code failure}, a composite of them (a refusal, then a failed rollback), or null. */
    static ProblemException problemAmong(Throwable failure) {
        if (failure instanceof CompositeException composite) {
            return composite.getCauses().stream().filter(ProblemException.class::isInstance).map(ProblemException.class::cast)
                    .findFirst().orElse(null);
        }
        return null;
    }
}
