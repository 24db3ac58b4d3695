package dev.options.option;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.options.scope.ScopeKey;
import dev.options.store.PostgresWaits;
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

    /** Per scope with a save running: the saves waiting behind it, in arrival order; guarded by itself. */
    private final Map<ScopeKey, ArrayDeque<Waiting>> waiting = new HashMap<>();

    /** A save waiting for its turn: how to start it, and how to fail it without running it. */
    private record Waiting(Runnable start, Consumer<Throwable> fail) {
    }

    /**
     * Runs {@code save} once every earlier save of {@code key} on this instance has finished. A save
     * that failed because the scope's lock could not be had in time fails the saves waiting behind
     * it at once with the same failure: each would otherwise wait out the lock timeout in turn.
     */
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
                        if (PostgresWaits.gaveUp(failure)) {
                            failWaiting(key, failure);
                        }
                        next(key);
                    });
            Consumer<Throwable> fail = context == null ? emitter::fail
                    : failure -> context.runOnContext(ignored -> emitter.fail(failure));
            boolean first;
            synchronized (waiting) {
                ArrayDeque<Waiting> queue = waiting.get(key);
                first = queue == null;
                if (first) {
                    waiting.put(key, new ArrayDeque<>());
                } else {
                    queue.add(new Waiting(context == null ? start : () -> context.runOnContext(ignored -> start.run()), fail));
                }
            }
            if (first) {
                start.run();
            }
        });
    }

    /** Fails every save of {@code key} waiting now (not those that arrive after). */
    private void failWaiting(ScopeKey key, Throwable failure) {
        List<Waiting> failed = new ArrayList<>();
        synchronized (waiting) {
            ArrayDeque<Waiting> queue = waiting.get(key);
            if (queue != null) {
                failed.addAll(queue);
                queue.clear();
            }
        }
        failed.forEach(save -> save.fail().accept(failure));
    }

    /** Starts the next save of {@code key}, or forgets the scope when none waits. */
    private void next(ScopeKey key) {
        Waiting next;
        synchronized (waiting) {
            ArrayDeque<Waiting> queue = waiting.get(key);
            next = queue == null ? null : queue.poll();
            if (next == null) {
                waiting.remove(key);
            }
        }
        if (next != null) {
            next.start().run();
        }
    }

    /** Scopes with a save running (for tests). */
    int busy() {
        synchronized (waiting) {
            return waiting.size();
        }
    }
}
