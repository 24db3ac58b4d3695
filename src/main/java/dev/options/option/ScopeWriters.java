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
 *
 * <p>The save whose turn it is may take the saves waiting first in line along with it
 * ({@link #follower}): each then leaves its outcome to that save, which ends its turn when they too
 * have finished.
 *
 * @param <T> what a save answers
 * @param <F> what a waiting save leaves to the save that takes it along
 */
final class ScopeWriters<T, F> {

    /** Per scope with a save running: the saves waiting behind it, in arrival order; guarded by itself. */
    private final Map<ScopeKey, ArrayDeque<Waiting<T, F>>> waiting = new HashMap<>();

    /**
     * A save waiting for its turn: how to start it, how to fail it without running it, what it leaves
     * to a save that takes it along (null when it cannot be), and how to answer its caller then.
     */
    private record Waiting<T, F>(Runnable start, Consumer<Throwable> fail, F payload, Consumer<Uni<T>> answer) {
    }

    /** A waiting save taken out of line, for the save whose turn it is to answer. */
    static final class Follower<T, F> {

        private final Waiting<T, F> waiting;

        private Follower(Waiting<T, F> waiting) {
            this.waiting = waiting;
        }

        /** What the save left to the one that took it. */
        F payload() {
            return waiting.payload();
        }

        /** Subscribes to {@code outcome} on the save's own context, and answers its caller with it. */
        void answer(Uni<T> outcome) {
            waiting.answer().accept(outcome);
        }
    }

    /**
     * Runs {@code save} once every earlier save of {@code key} on this instance has finished. A save
     * that failed because the scope's lock could not be had in time fails the saves waiting behind
     * it at once with the same failure: each would otherwise wait out the lock timeout in turn. A save
     * before it may take it along ({@link #follower}) when it leaves a {@code payload} (null: it cannot be).
     */
    Uni<T> oneAtATime(ScopeKey key, F payload, Supplier<Uni<T>> save) {
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
            Consumer<Uni<T>> answer = outcome -> {
                Runnable subscribe = () -> outcome.subscribe().with(emitter::complete, emitter::fail);
                if (context == null) {
                    subscribe.run();
                } else {
                    context.runOnContext(ignored -> subscribe.run());
                }
            };
            boolean first;
            synchronized (waiting) {
                ArrayDeque<Waiting<T, F>> queue = waiting.get(key);
                first = queue == null;
                if (first) {
                    waiting.put(key, new ArrayDeque<>());
                } else {
                    queue.add(new Waiting<>(context == null ? start : () -> context.runOnContext(ignored -> start.run()), fail,
                            payload, answer));
                }
            }
            if (first) {
                start.run();
            }
        });
    }

    /**
     * Takes the save first in line behind {@code key}'s running one out of line, for the running save
     * to answer; null when none waits or the first cannot be taken along. Only the save whose turn it
     * is may call this.
     */
    Follower<T, F> follower(ScopeKey key) {
        synchronized (waiting) {
            ArrayDeque<Waiting<T, F>> queue = waiting.get(key);
            Waiting<T, F> first = queue == null ? null : queue.peek();
            if (first == null || first.payload() == null) {
                return null;
            }
            return new Follower<>(queue.poll());
        }
    }

    /** Puts a save {@link #follower} took (and that did not follow) back first in line. */
    void putBack(ScopeKey key, Follower<T, F> follower) {
        synchronized (waiting) {
            waiting.get(key).addFirst(follower.waiting);
        }
    }

    /** Fails every save of {@code key} waiting now (not those that arrive after). */
    private void failWaiting(ScopeKey key, Throwable failure) {
        List<Waiting<T, F>> failed = new ArrayList<>();
        synchronized (waiting) {
            ArrayDeque<Waiting<T, F>> queue = waiting.get(key);
            if (queue != null) {
                failed.addAll(queue);
                queue.clear();
            }
        }
        failed.forEach(save -> save.fail().accept(failure));
    }

    /** Starts the next save of {@code key}, or forgets the scope when none waits. */
    private void next(ScopeKey key) {
        Waiting<T, F> next;
        synchronized (waiting) {
            ArrayDeque<Waiting<T, F>> queue = waiting.get(key);
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
