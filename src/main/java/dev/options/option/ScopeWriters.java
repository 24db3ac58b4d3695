package dev.options.option;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.options.scope.ScopeKey;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The saves of one scope on this instance, one after another: a save starts when the one before it
 * has finished (committed and published), each on its own request's Vert.x context. Writers of a
 * busy scope then wait here, holding nothing, rather than each holding a pooled connection while
 * Postgres queues them on the scope's row lock; and each finds the version its predecessor wrote
 * in the near cache, so its one-statement save does not lose a race to it. Only single-scope saves
 * outside a transaction go through here: a transaction spanning several scopes waiting here for
 * one while holding another could wait forever.
 */
final class ScopeWriters {

    /** Per scope with a save running: the saves waiting behind it, in arrival order. */
    private final ConcurrentHashMap<ScopeKey, ArrayDeque<Runnable>> waiting = new ConcurrentHashMap<>();

    /** Runs {@code save} once every earlier save of {@code key} on this instance has finished. */
    <T> Uni<T> oneAtATime(ScopeKey key, Supplier<Uni<T>> save) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = Vertx.currentContext();
            Runnable start = () -> Uni.createFrom().<T>deferred(save::get).subscribe().with(
                    item -> {
                        emitter.complete(item);
                        next(key);
                    },
                    failure -> {
                        emitter.fail(failure);
                        next(key);
                    });
            boolean[] first = { false };
            waiting.compute(key, (k, queue) -> {
                if (queue == null) {
                    first[0] = true;
                    return new ArrayDeque<>();
                }
                queue.add(context == null ? start : () -> context.runOnContext(ignored -> start.run()));
                return queue;
            });
            if (first[0]) {
                start.run();
            }
        });
    }

    /** Starts the next save of {@code key}, or forgets the scope when none waits. */
    private void next(ScopeKey key) {
        Runnable[] next = { null };
        waiting.compute(key, (k, queue) -> {
            if (queue == null || queue.isEmpty()) {
                return null;
            }
            next[0] = queue.poll();
            return queue;
        });
        if (next[0] != null) {
            next[0].run();
        }
    }

    /** Scopes with a save running (for tests). */
    int busy() {
        return waiting.size();
    }
}
