package dev.options.events;

import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.config.OptionsConfig;
import dev.options.option.OptionJson;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.OptionStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.mutiny.core.Vertx;

/**
 * Publishes committed changes that were left unpublished: the instance that made them crashed
 * between commit and publish, or Redis was down. Every instance runs one; rows are claimed with
 * {@code FOR UPDATE SKIP LOCKED}, so relays never publish the same row at once. For each row it
 * repairs the Redis entry from Postgres, appends the event, and deletes the row, in the row's
 * transaction: a failure leaves the row for the next run. Events are idempotent, so a duplicate
 * (the relay and a slow writer both publishing) is harmless.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final String CLAIM = "SELECT id, scope_key, version, cast(keys AS text) FROM option_outbox"
            + " WHERE created_at < now() - make_interval(secs => ?1) ORDER BY id LIMIT ?2 FOR UPDATE SKIP LOCKED";
    private static final String DELETE = "DELETE FROM option_outbox WHERE id = ?1";
    private static final String DEPTH = "SELECT count(*) FROM option_outbox";

    private final OptionStore store;
    private final ChangePublisher publisher;
    private final OptionsConfig config;
    private final Vertx vertx;
    private final AtomicLong depth = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile long timer = -1;

    public OutboxRelay(OptionStore store, ChangePublisher publisher, OptionsConfig config, Vertx vertx, MeterRegistry meters) {
        this.store = store;
        this.publisher = publisher;
        this.config = config;
        this.vertx = vertx;
        Gauge.builder("options.outbox.depth", depth, AtomicLong::get)
                .description("Committed changes not yet published, as of the relay's last run").register(meters);
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(config.outbox().relayInterval().toMillis(), id -> runOnce());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** One relay run, on a context of its own; skipped while the previous one is still going. */
    void runOnce() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        Context context = VertxContext.createNewDuplicatedContext(vertx.getDelegate().getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(ignored -> {
            ContextLocals.put(OptionStore.BACKGROUND, Boolean.TRUE);
            relay()
                .subscribe().with(
                        published -> running.set(false),
                        failure -> {
                            running.set(false);
                            Log.debugf("outbox relay run failed: %s", failure.getMessage());
                        });
        });
    }

    /** Publishes what is due; answers how many changes it published. */
    Uni<Integer> relay() {
        double after = config.outbox().relayAfter().toMillis() / 1000.0;
        return Panache.withTransaction(() -> Panache.getSession()
                        .chain(session -> session.<Object[]>createNativeQuery(CLAIM)
                                .setParameter(1, after)
                                .setParameter(2, config.outbox().relayBatch())
                                .getResultList())
                        .chain(rows -> Multi.createFrom().iterable(rows)
                                .onItem().transformToUniAndConcatenate(this::publish)
                                .collect().asList()
                                .map(List::size)))
                .call(published -> Panache.withSession(() -> Panache.getSession()
                        .chain(session -> session.createNativeQuery(DEPTH, Long.class).getSingleResult())
                        .invoke(depth::set)))
                .invoke(published -> {
                    if (published > 0) {
                        Log.infof("outbox relay published %d change(s)", published);
                    }
                });
    }

    private Uni<Void> publish(Object[] row) {
        long id = ((Number) row[0]).longValue();
        Scope scope = Scope.parse(new ScopeKey((String) row[1]));
        TreeSet<String> keys = new TreeSet<>();
        OptionJson.parseStored((String) row[3]).forEach(key -> keys.add(key.asText()));
        return store.load(scope)
                .chain(current -> publisher.deliver(scope, current, ((Number) row[2]).longValue(), keys))
                .chain(() -> Panache.getSession())
                .chain(session -> session.createNativeQuery(DELETE).setParameter(1, id).executeUpdate())
                .replaceWithVoid();
    }
}
