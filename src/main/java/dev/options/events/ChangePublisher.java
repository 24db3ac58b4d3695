package dev.options.events;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.cache.NearCache;
import dev.options.cache.SharedCache;
import dev.options.config.OptionsConfig;
import dev.options.events.InvalidationFeed.Order;
import dev.options.scope.Scope;
import dev.options.store.StoredScope;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * What follows a committed change: this instance's near cache takes the new version (read your
 * writes), Redis is compare-and-set to it and the event is appended to the feed (both at once), and
 * the change is handed to the sweeper, which deletes it from the outbox. Any failure leaves the outbox
 * row for the relay, and so does a feed that is not connected (Redis down: nothing is tried, so the
 * request does not wait for Redis's timeout); the write itself has succeeded.
 */
@ApplicationScoped
public class ChangePublisher {

    private final NearCache near;
    private final SharedCache shared;
    private final InvalidationFeed feed;
    private final OutboxSweeper sweeper;
    private final boolean caches;
    private final Vertx vertx;

    /**
     * When an event was left out because its scope's previous one was not in the stream yet (another
     * instance's append of it is most likely on its way), how long to wait before each new try; after
     * the last, the event is the relay's. The last try waits for a predecessor only where the stream
     * is known to hold one of the scope's events: none may come (Redis came back empty meanwhile).
     */
    private static final long[] APPEND_AGAIN_AFTER_MILLIS = { 2, 10, 50, 200 };

    public ChangePublisher(NearCache near, SharedCache shared, InvalidationFeed feed, OutboxSweeper sweeper,
            OptionsConfig config, Vertx vertx) {
        this.vertx = vertx;
        this.near = near;
        this.shared = shared;
        this.feed = feed;
        this.sweeper = sweeper;
        this.caches = config.cache().enabled();
    }

    /**
     * Publishes the change that left the scope at {@code after}, written by work that took the near
     * cache's {@code ticket} before its commit; never fails.
     */
    public Uni<Void> committed(Scope scope, StoredScope after, byte[] document, SortedSet<String> keys, long outboxId,
            long ticket) {
        return committedInOrder(scope, List.of(new Committed(after, document, keys, outboxId, ticket)));
    }

    /** One committed change of a run of them ({@link #committedInOrder}). */
    public record Committed(StoredScope after, byte[] document, SortedSet<String> keys, long outboxId, long ticket) {
    }

    /**
     * {@link #committed} for changes of one scope committed together, in version order: the near
     * cache takes each, Redis the last, and the events are appended in their order in one round trip,
     * so that the feed carries them in version order; never fails.
     */
    public Uni<Void> committedInOrder(Scope scope, List<Committed> changes) {
        Committed last = changes.get(changes.size() - 1);
        for (Committed change : changes) {
            if (caches) {
                near.offer(scope.key(), new NearCache.Entry(change.after(), change.document()), change.ticket());
            } else {
                // heard at once, caches or not: a NORMAL read here never takes an older version from a replica
                near.invalidate(scope.key(), change.after().version());
            }
        }
        if (!feed.connected()) {
            // Redis is down (the feed's tail lost it): no waiting for its timeout on the request path
            Log.debugf("changes %s up to v%d left for the outbox relay: the feed is not connected", scope.key(), last.after().version());
            return Uni.createFrom().voidItem();
        }
        List<Request> events = appends(scope, changes, Order.AFTER_PREVIOUS);
        Uni<List<Response>> delivered = caches ? shared.offerWithAll(scope.key(), last.after(), events) : feed.appendAll(events);
        return delivered
                .invoke(answers -> appendLater(scope, leftOut(changes, answers), 0))
                .replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    Log.warnf("changes %s up to v%d left for the outbox relay: %s", scope.key(), last.after().version(),
                            failure.getMessage());
                    return null;
                });
    }

    /** The changes whose events were left out ({@link InvalidationFeed#DEFERRED}); the others are handed to the sweeper. */
    private List<Committed> leftOut(List<Committed> changes, List<Response> answers) {
        List<Committed> left = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            if (InvalidationFeed.deferred(answers.get(i))) {
                left.add(changes.get(i));
            } else {
                sweeper.published(changes.get(i).outboxId());
            }
        }
        return left;
    }

    /**
     * Tries the events left out again, in their order, after a moment ({@link #APPEND_AGAIN_AFTER_MILLIS}),
     * apart from the request, which has its answer; what is still left out after the last try stays in
     * the outbox for the relay, which appends each scope's events in order.
     */
    private void appendLater(Scope scope, List<Committed> left, int attempt) {
        if (left.isEmpty()) {
            return;
        }
        if (attempt == APPEND_AGAIN_AFTER_MILLIS.length) {
            Log.debugf("changes of %s from v%d left for the outbox relay: an earlier one is not in the stream yet", scope.key(),
                    left.get(0).after().version());
            return;
        }
        Order order = attempt + 1 < APPEND_AGAIN_AFTER_MILLIS.length ? Order.AFTER_PREVIOUS : Order.AFTER_KNOWN_PREVIOUS;
        vertx.setTimer(APPEND_AGAIN_AFTER_MILLIS[attempt], id -> feed.appendAll(appends(scope, left, order))
                .subscribe().with(answers -> appendLater(scope, leftOut(left, answers), attempt + 1),
                        failure -> Log.debugf("changes of %s left for the outbox relay: %s", scope.key(), failure.getMessage())));
    }

    /** The commands appending the changes' events, in their order. */
    private List<Request> appends(Scope scope, List<Committed> changes, Order order) {
        return changes.stream().map(change -> feed.appendCommand(scope.key(), change.after().version(), change.keys(), order))
                .toList();
    }

    /**
     * Repairs Redis to {@code current} (the scope as Postgres holds it now) and appends the event of
     * the change to {@code version}, the two commands sent together, in one round trip; fails if
     * either does, or if {@code order} leaves it out because the scope's previous event is not in the
     * stream yet (the row waits for the next run). The order of the two does not matter: an instance
     * that hears the event before Redis holds the new version refuses Redis's older one (it is below
     * the version heard of) and reads Postgres.
     */
    Uni<Void> deliver(Scope scope, StoredScope current, long version, SortedSet<String> keys, Order order) {
        Request append = feed.appendCommand(scope.key(), version, keys, order);
        Uni<List<Response>> sent = caches ? shared.offerWithAll(scope.key(), current, List.of(append)) : feed.appendAll(List.of(append));
        return sent.invoke(answers -> {
            if (InvalidationFeed.deferred(answers.get(0))) {
                throw new IllegalStateException("the previous event of " + scope.key() + " is not in the stream yet");
            }
        }).replaceWithVoid();
    }
}
