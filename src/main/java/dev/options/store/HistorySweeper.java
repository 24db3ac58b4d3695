package dev.options.store;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.config.OptionsConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Keeps every scope's history to {@code options.history.retention}, and its last
 * {@code options.history.min-versions} versions whatever their age: every {@code sweep-every}, in the
 * background, batches of {@link #BATCH} entries are removed until none is due. Every instance sweeps;
 * a delete is idempotent, so two at once only share the work.
 */
@ApplicationScoped
public class HistorySweeper {

    /** Most entries one statement removes. */
    static final int BATCH = 1000;

    private final HistoryStore store;
    private final Vertx vertx;
    private final OptionsConfig.History config;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final Counter pruned;
    private volatile long timer = -1;

    public HistorySweeper(HistoryStore store, Vertx vertx, OptionsConfig config, MeterRegistry meters) {
        this.store = store;
        this.vertx = vertx;
        this.config = config.history();
        this.pruned = Counter.builder("options.history.pruned")
                .description("History entries removed past options.history.retention (the last min-versions of a scope are kept)")
                .register(meters);
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(Math.max(1_000, config.sweepEvery().toMillis()), id -> OptionManager.inBackground(vertx, () -> {
            if (sweeping.compareAndSet(false, true)) {
                sweep().subscribe().with(removed -> sweeping.set(false), failure -> {
                    sweeping.set(false);
                    Log.warnf("history sweep failed, to be tried again in %s: %s", config.sweepEvery(), failure.getMessage());
                });
            }
        }));
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Removes every entry past retention, a batch at a time; answers how many. */
    public Uni<Long> sweep() {
        return sweepFrom(0);
    }

    private Uni<Long> sweepFrom(long removedSoFar) {
        Duration retention = config.retention();
        return store.forget(retention, config.minVersions(), BATCH).invoke(removed -> pruned.increment(removed)).chain(removed -> removed < BATCH
                ? Uni.createFrom().item(removedSoFar + removed)
                : sweepFrom(removedSoFar + removed));
    }
}
