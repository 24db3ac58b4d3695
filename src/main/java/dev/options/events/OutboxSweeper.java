package dev.options.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.config.OptionsConfig;
import dev.options.store.OptionManager;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;

/**
 * Deletes published changes from the outbox in batches, off the request path: a save hands over its
 * outbox row's id once the change is published, and every {@code sweep-interval} one statement
 * deletes all the ids handed over since. A row whose delete is lost (a crash, a failed sweep) is
 * published once more by the relay after {@code relay-after}; events are idempotent, so that costs a
 * duplicate event, never a lost one. Until its delete is done, this instance's relay passes over a
 * row handed over here ({@link #undeleted}), so a sweep that waits for a connection (a pool held by
 * writers queued on one scope's lock) does not make the relay publish the change again.
 */
@ApplicationScoped
public class OutboxSweeper {

    /** Most ids one statement deletes. */
    private static final int BATCH = 1000;

    private final OptionManager store;
    private final Vertx vertx;
    private final Duration interval;
    /** Ids handed over whose delete has not completed yet (waiting, or in a running sweep). */
    private final Set<Long> published = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private volatile long timer = -1;

    public OutboxSweeper(OptionManager store, Vertx vertx, OptionsConfig config) {
        this.store = store;
        this.vertx = vertx;
        this.interval = config.outbox().sweepInterval();
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(interval.toMillis(), id -> {
            if (sweeping.compareAndSet(false, true)) {
                sweep().subscribe().with(deleted -> sweeping.set(false), failure -> sweeping.set(false));
            }
        });
    }

    /**
     * Shutdown, after the last request: what was published leaves the outbox now rather than being
     * published again by another instance's relay. Waiting here blocks the shutdown thread only, and
     * for a bounded time.
     */
    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        try {
            Uni<Integer> rest = Uni.createFrom().item(0);
            for (int i = 0; i < 1 + published.size() / BATCH; i++) {
                rest = rest.chain(this::sweep);
            }
            rest.await().atMost(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            Log.warnf("published changes left in the outbox at shutdown, for the relay: %s", e.getMessage());
        }
    }

    /** The change recorded in outbox row {@code id} is published: the row may go. */
    public void published(long id) {
        published.add(id);
    }

    /** Outbox rows whose change this instance published and whose delete has not completed yet. */
    public Long[] undeleted() {
        return published.toArray(new Long[0]);
    }

    /** Deletes up to one batch of published rows; answers how many it deleted. Never fails. */
    Uni<Integer> sweep() {
        List<Long> ids = new ArrayList<>();
        for (Iterator<Long> waiting = published.iterator(); ids.size() < BATCH && waiting.hasNext(); ) {
            ids.add(waiting.next());
        }
        if (ids.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return store.deleteOutbox(ids)
                .onFailure().recoverWithItem(failure -> {
                    Log.debugf("%d published change(s) left in the outbox for the relay: %s", ids.size(), failure.getMessage());
                    return 0;
                })
                // deleted, or left for the relay to publish again (a failed delete): either way no
                // longer this sweeper's
                .invoke(() -> ids.forEach(published::remove));
    }
}
