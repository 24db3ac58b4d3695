package dev.options.store;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;

/**
 * The {@code options.store.statements} meters (by kind, caller and pool), and how a statement is
 * counted: as its request's (in the meter and in the request's unit of work, {@link Statements})
 * or, on a context marked {@link OptionManager#BACKGROUND}, as background work only. One for the
 * store's statement makers ({@link OptionManager}, {@link HistoryStore}, {@link ScopeScans}).
 */
@Singleton
class StatementMeters {

    final Counter reads;
    final Counter locks;
    final Counter writes;
    final Counter background;
    final Counter replicaReads;

    StatementMeters(MeterRegistry meters) {
        reads = statements(meters, "read", "request", "primary");
        locks = statements(meters, "lock", "request", "primary");
        writes = statements(meters, "write", "request", "primary");
        background = statements(meters, "any", "background", "primary");
        replicaReads = statements(meters, "read", "request", "replica");
    }

    private static Counter statements(MeterRegistry meters, String kind, String caller, String pool) {
        return Counter.builder("options.store.statements")
                .description("SQL statements sent to Postgres")
                .tag("kind", kind)
                .tag("caller", caller)
                .tag("pool", pool)
                .register(meters);
    }

    /** Whether the current context is marked as background work. */
    static boolean inBackground() {
        return VertxContext.isOnDuplicatedContext() && ContextLocals.get(OptionManager.BACKGROUND).isPresent();
    }

    /** Counts one statement under {@code counter}, or as background work on a background context. */
    void count(Counter counter) {
        if (inBackground()) {
            background.increment();
            return;
        }
        counter.increment();
        Statements.count();
    }
}
