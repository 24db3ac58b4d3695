package dev.options.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.config.OptionsConfig;
import dev.options.events.InvalidationFeed.Order;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.OptionManager;
import dev.options.value.OptionJson;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Publishes committed changes that were left unpublished: the instance that made them crashed
 * between commit and publish, or Redis was down. Every instance runs one; rows are claimed with
 * {@code FOR UPDATE SKIP LOCKED}, so relays never publish the same row at once. For each row it
 * repairs the Redis entry from Postgres and appends the event (several scopes at once, each scope's
 * rows in order), and deletes the published rows in the claim's transaction: a failure leaves its
 * row for the next run. The stream takes each version's event once and in order
 * ({@link InvalidationFeed#appendCommand}): a second publishing (the relay and a slow writer both) is
 * dropped, and a row whose scope's previous event is not in yet (another relay holds it) waits for
 * the next run, for at most {@link #IN_ORDER_FOR_SECONDS}.
 */
@ApplicationScoped
public class OutboxRelay {

    /**
     * How long a row's event waits for the scope's previous one to be in the stream (another
     * instance's relay may hold it) before it is appended anyway: its predecessor is gone for good.
     */
    static final int IN_ORDER_FOR_SECONDS = 10;
    private static final String CLAIM = "SELECT id, scope_key, version, cast(keys AS text),"
            + " extract(epoch FROM now() - created_at) > " + IN_ORDER_FOR_SECONDS + " FROM option_outbox"
            + " WHERE created_at < now() - make_interval(secs => $1) AND NOT (id = ANY($3))"
            + " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED";
    /** Claimed rows published at once. */
    private static final int CONCURRENCY = 8;
    private static final String DEPTH = "SELECT count(*) FROM option_outbox";
    /** Most unreadable rows remembered (see {@link #passedOver}). */
    static final int UNREADABLE_KEPT = 10_000;

    private final OptionManager store;
    private final Pool primary;
    private final ChangePublisher publisher;
    private final OutboxSweeper sweeper;
    private final OptionsConfig config;
    private final Vertx vertx;
    private final AtomicLong depth = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean();
    /** Set when the feed reconnects: the next run relays every row, however recent, and comes at once. */
    private final AtomicBoolean reconnected = new AtomicBoolean();
    private final InvalidationFeed feed;
    private volatile long timer = -1;
    /** When the feed last reconnected: the rows written before it are the ones left for the relay. */
    private volatile long reconnectedNanos;
    /** Rows no run will ever publish, remembered so that later claims pass over them. */
    private final Set<Long> unreadable = ConcurrentHashMap.newKeySet();

    public OutboxRelay(OptionManager store, Pool primary, ChangePublisher publisher, OutboxSweeper sweeper, OptionsConfig config,
            Vertx vertx, MeterRegistry meters, InvalidationFeed feed) {
        this.feed = feed;
        this.store = store;
        this.primary = primary;
        this.publisher = publisher;
        this.sweeper = sweeper;
        this.config = config;
        this.vertx = vertx;
        Gauge.builder("options.outbox.depth", depth, AtomicLong::get)
                .description("Committed changes not yet published, as of the relay's last run").register(meters);
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(config.outbox().relayInterval().toMillis(), id -> runOnce());
        feed.whenReconnected(() -> {
            reconnectedNanos = System.nanoTime();
            reconnected.set(true);
            runOnce();
        });
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /**
     * One relay run, on a context of its own; skipped while the previous one is still going, except
     * that a run the feed's reconnecting asked for follows it at once (and runs again while it
     * publishes full batches).
     */
    void runOnce() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        // the rows written while the feed was away were left for this relay by their writers, the
        // newest too: none of them is waiting for its writer to publish it, so none need wait for
        // relay-after (a row a writer is publishing just now may go twice, and events are idempotent);
        // rows written since the reconnect are their writers' to publish, so under any load the runs
        // that follow a reconnect end once the rows of before it are gone
        boolean all = reconnected.getAndSet(false);
        double after = claimAge(all, reconnectedNanos, System.nanoTime(), config.outbox().relayAfter());
        OptionManager.inBackground(vertx.getDelegate(), () -> relay(after)
                .subscribe().with(
                        published -> {
                            if (all && published >= config.outbox().relayBatch()) {
                                // a full batch: more rows of the outage may wait behind it
                                reconnected.set(true);
                            }
                            finished();
                        },
                        failure -> {
                            Log.debugf("outbox relay run failed: %s", failure.getMessage());
                            finished();
                        }));
    }

    /**
     * How old, in seconds, the rows a run claims must be: right after a reconnect, as old as the
     * reconnect (every row written before it, however young then); otherwise {@code relayAfter}.
     */
    static double claimAge(boolean afterReconnect, long reconnectedNanos, long nowNanos, Duration relayAfter) {
        return afterReconnect ? Math.max(0, (nowNanos - reconnectedNanos) / 1e9) : relayAfter.toMillis() / 1000.0;
    }

    private void finished() {
        running.set(false);
        if (reconnected.get()) {
            runOnce();
        }
    }

    /**
     * Publishes the rows older than {@code after} seconds; answers how many changes it published. The claimed rows are published several scopes at once (each row: the scope as
     * Postgres holds it now, Redis repaired, the event appended), and those published are deleted in
     * one statement, in the claim's transaction; a row whose publishing failed stays for the next run.
     */
    Uni<Integer> relay(double after) {
        return primary.withTransaction(connection -> connection.preparedQuery(CLAIM)
                        // what this instance published itself is only waiting for its sweeper
                        .execute(Tuple.of(after, config.outbox().relayBatch(), passedOver()))
                        .chain(rows -> Multi.createFrom().iterable(byScope(rows))
                                .onItem().transformToUni(this::publishInOrder).merge(CONCURRENCY)
                                .collect().in(ArrayList<Long>::new, List::addAll))
                        .chain(published -> published.isEmpty()
                                ? Uni.createFrom().item(0)
                                : connection.preparedQuery(OptionManager.DELETE_OUTBOX)
                                        .execute(Tuple.of(published.toArray(new Long[0])))
                                        .map(deleted -> deleted.rowCount())))
                .call(published -> primary.query(DEPTH).execute()
                        .invoke(rows -> depth.set(rows.iterator().next().getLong(0))))
                .invoke(published -> {
                    if (published > 0) {
                        Log.infof("outbox relay published %d change(s)", published);
                    }
                });
    }

    /** The claimed rows by scope, each scope's in claim (id) order. */
    private static Collection<List<Row>> byScope(Iterable<Row> rows) {
        Map<String, List<Row>> groups = new LinkedHashMap<>();
        for (Row row : rows) {
            groups.computeIfAbsent(row.getString(1), key -> new ArrayList<>()).add(row);
        }
        return groups.values();
    }

    /**
     * Publishes one scope's rows one after the other, so that its events keep their order in the
     * stream; stops at the first that fails. Answers the ids published.
     */
    private Uni<List<Long>> publishInOrder(List<Row> rows) {
        List<Long> published = new ArrayList<>();
        Uni<Boolean> chain = Uni.createFrom().item(true);
        for (Row row : rows) {
            chain = chain.chain(ok -> !ok ? Uni.createFrom().item(false) : publish(row).map(id -> {
                if (id < 0) {
                    return false;
                }
                published.add(id);
                return true;
            }));
        }
        return chain.replaceWith(published);
    }

    /**
     * The rows the claim passes over: those this instance published and has not swept yet, and those
     * found unreadable (at most {@link #UNREADABLE_KEPT}), which would otherwise fill every batch.
     */
    private Long[] passedOver() {
        Long[] undeleted = sweeper.undeleted();
        if (unreadable.isEmpty()) {
            return undeleted;
        }
        List<Long> ids = new ArrayList<>(undeleted.length + unreadable.size());
        ids.addAll(List.of(undeleted));
        ids.addAll(unreadable);
        return ids.toArray(new Long[0]);
    }

    /**
     * Publishes one claimed row; answers its id, or -1 when it could not be published now. A row
     * that cannot be read (a scope key or keys no writer of this service makes) fails alone: it
     * stays, the others of its batch go on, and later claims pass over it.
     */
    private Uni<Long> publish(Row row) {
        long id = row.getLong(0);
        return Uni.createFrom().deferred(() -> {
                    Scope scope;
                    TreeSet<String> keys = new TreeSet<>();
                    try {
                        scope = Scope.parse(new ScopeKey(row.getString(1)));
                        OptionJson.parseStored(row.getString(3)).forEach(key -> keys.add(key.asText()));
                    } catch (RuntimeException notReadable) {
                        if (unreadable.size() < UNREADABLE_KEPT) {
                            unreadable.add(id);
                        }
                        Log.warnf("outbox row %d cannot be read and is left in the outbox: %s", id, notReadable.getMessage());
                        return Uni.createFrom().failure(notReadable);
                    }
                    return store.loadDirect(scope)
                            .chain(current -> publisher.deliver(scope, current, row.getLong(2), keys,
                                    row.getBoolean(4) ? Order.ANY : Order.AFTER_KNOWN_PREVIOUS));
                })
                .replaceWith(id)
                .onFailure().recoverWithItem(failure -> {
                    Log.debugf("outbox row %d not published: %s", id, failure.getMessage());
                    return -1L;
                });
    }
}
