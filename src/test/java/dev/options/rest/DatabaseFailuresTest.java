package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import io.smallrye.mutiny.CompositeException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.sqlclient.ClosedConnectionException;

/**
 * The failures a fault drill met while Postgres's connections were being terminated, each once a
 * 500: a refusal whose rollback then failed is the refusal, and a pooled connection found closed
 * is the database being unavailable (503).
 */
class DatabaseFailuresTest {

    @Test
    void aRefusalWhoseRollbackFailedOnALostConnectionIsTheRefusal() {
        ProblemException refusal = new ProblemException(ProblemType.VERSION_MISMATCH, "the scope is at version 26");
        CompositeException both = new CompositeException(refusal, ClosedConnectionException.INSTANCE);
        assertThat(DatabaseFailures.problemAmong(both)).isSameAs(refusal);
        assertThat(DatabaseFailures.problemAmong(new IllegalStateException("x"))).isNull();
    }

    @Test
    void aConnectionNoLongerActiveMeansTheDatabaseIsUnavailable() {
        assertThat(DatabaseFailures.unavailable(new NoStackTraceThrowable("Connection is not active now, current status: CLOSED")))
                .isTrue();
        assertThat(DatabaseFailures.unavailable(new CompositeException(new IllegalStateException("first"),
                new NoStackTraceThrowable("Connection is not active now, current status: CLOSED")))).isTrue();
        assertThat(DatabaseFailures.unavailable(new IllegalStateException("a bug"))).isFalse();
    }
}
