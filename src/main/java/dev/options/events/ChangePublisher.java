package dev.options.events;

import java.util.SortedSet;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.cache.NearCache;
import dev.options.cache.SharedCache;
import dev.options.config.OptionsConfig;
import dev.options.scope.Scope;
import dev.options.store.OptionStore;
import dev.options.store.StoredScope;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;

/**
 * What follows a committed change: this instance's near cache takes the new version (read your
 * writes), Redis is compare-and-set to it, the event is appended to the feed, and the change leaves
 * the outbox. Any failure leaves the outbox row for the relay; the write itself has succeeded.
 */
@ApplicationScoped
public class ChangePublisher {

    private final NearCache near;
    private final SharedCache shared;
    private final InvalidationFeed feed;
    private final OptionStore store;
    private final boolean caches;

    public ChangePublisher(NearCache near, SharedCache shared, InvalidationFeed feed, OptionStore store, OptionsConfig config) {
        this.near = near;
        this.shared = shared;
        this.feed = feed;
        this.store = store;
        this.caches = config.cache().enabled();
    }

    /** Publishes the change that left the scope at {@code after}; never fails. */
    public Uni<Void> committed(Scope scope, StoredScope after, byte[] document, SortedSet<String> keys, long outboxId) {
        if (caches) {
            near.offer(scope.key(), new NearCache.Entry(after, document));
        }
        return deliver(scope, after, after.version(), keys)
                .chain(() -> Panache.withSession(() -> store.deleteOutbox(outboxId)))
                .onFailure().recoverWithItem(failure -> {
                    Log.warnf("change %s v%d left for the outbox relay: %s", scope.key(), after.version(), failure.getMessage());
                    return null;
                });
    }

    /**
     * Repairs Redis to {@code current} (the scope as Postgres holds it now) and appends the event of
     * the change to {@code version}; fails if Redis does.
     */
    Uni<Void> deliver(Scope scope, StoredScope current, long version, SortedSet<String> keys) {
        Uni<Void> repaired = caches ? shared.offer(scope.key(), current) : Uni.createFrom().voidItem();
        return repaired.chain(() -> feed.append(scope.key(), version, keys)).replaceWithVoid();
    }
}
