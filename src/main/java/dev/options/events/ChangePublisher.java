package dev.options.events;

import java.util.List;
import java.util.SortedSet;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.cache.NearCache;
import dev.options.cache.SharedCache;
import dev.options.config.OptionsConfig;
import dev.options.scope.Scope;
import dev.options.store.StoredScope;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
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

    public ChangePublisher(NearCache near, SharedCache shared, InvalidationFeed feed, OutboxSweeper sweeper,
            OptionsConfig config) {
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
        List<Request> events = changes.stream()
                .map(change -> feed.appendCommand(scope.key(), change.after().version(), change.keys(), true)).toList();
        Uni<List<Response>> delivered = caches ? shared.offerWithAll(scope.key(), last.after(), events) : feed.appendAll(events);
        return delivered
                .invoke(answers -> {
                    for (int i = 0; i < changes.size(); i++) {
                        if (InvalidationFeed.deferred(answers.get(i))) {
                            // an earlier version of the scope is still to be appended: the relay appends both, in order
                            Log.debugf("change %s v%d left for the outbox relay: an earlier one is not in the stream yet",
                                    scope.key(), changes.get(i).after().version());
                        } else {
                            sweeper.published(changes.get(i).outboxId());
                        }
                    }
                })
                .replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    Log.warnf("changes %s up to v%d left for the outbox relay: %s", scope.key(), last.after().version(),
                            failure.getMessage());
                    return null;
                });
    }

    /**
     * Repairs Redis to {@code current} (the scope as Postgres holds it now) and appends the event of
     * the change to {@code version}, the two commands sent together, in one round trip; fails if
     * either does, or if {@code inOrderOnly} and the scope's previous event is not in the stream yet
     * (the row waits for the next run). The order of the two does not matter: an instance that hears
     * the event before Redis holds the new version refuses Redis's older one (it is below the version
     * heard of) and reads Postgres.
     */
    Uni<Void> deliver(Scope scope, StoredScope current, long version, SortedSet<String> keys, boolean inOrderOnly) {
        Request append = feed.appendCommand(scope.key(), version, keys, inOrderOnly);
        Uni<List<Response>> sent = caches ? shared.offerWithAll(scope.key(), current, List.of(append)) : feed.appendAll(List.of(append));
        return sent.invoke(answers -> {
            if (InvalidationFeed.deferred(answers.get(0))) {
                throw new IllegalStateException("the previous event of " + scope.key() + " is not in the stream yet");
            }
        }).replaceWithVoid();
    }
}
