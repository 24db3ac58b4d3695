package dev.options.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;

/**
 * Requests an event loop makes while it handles the events at hand, sent together once it has: one
 * command or statement and one round trip for many requests instead of one each. Each requester
 * resumes on the Vert.x context it asked on (its request's duplicated context), as it would after a
 * call of its own, so what it does next (its unit of work, its context locals) is its request's.
 * Asked off an event loop, a request is sent alone.
 *
 * <p>A batch is sent whoever still waits for it: a requester that goes away is only not answered.
 *
 * @param <R> a request
 * @param <A> its answer
 */
public final class TurnBatcher<R, A> {

    private final Function<List<R>, Uni<List<A>>> send;

    /**
     * @param send sends a batch, answering one answer per request in their order; a failure fails
     *        every request of the batch
     */
    public TurnBatcher(Function<List<R>, Uni<List<A>>> send) {
        this.send = send;
    }

    /** The answer to {@code request}, sent with every other request this event loop makes in this turn. */
    public Uni<A> join(R request) {
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            if (context == null || !Context.isOnEventLoopThread()) {
                return send.apply(List.of(request)).map(answers -> answers.get(0));
            }
            ContextInternal caller = (ContextInternal) context;
            ContextInternal loop = caller.unwrap();
            @SuppressWarnings("unchecked")
            Pending<R, A> pending = (Pending<R, A>) loop.contextData().computeIfAbsent(this, ignored -> new Pending<>());
            return Uni.createFrom().<A>emitter(emitter -> {
                if (pending.add(request, new Waiter<>(emitter, caller))) {
                    loop.runOnContext(ignored -> dispatch(pending.take()));
                }
            });
        });
    }

    private void dispatch(Pending<R, A> batch) {
        Uni<List<A>> sent;
        try {
            sent = send.apply(batch.requests);
        } catch (RuntimeException failure) {
            sent = Uni.createFrom().failure(failure);
        }
        sent.subscribe().with(answers -> {
            if (answers == null || answers.size() != batch.waiters.size()) {
                IllegalStateException wrong = new IllegalStateException("a batch of " + batch.waiters.size()
                        + " requests got " + (answers == null ? "no" : answers.size()) + " answers");
                batch.waiters.forEach(waiter -> waiter.fail(wrong));
                return;
            }
            for (int i = 0; i < batch.waiters.size(); i++) {
                batch.waiters.get(i).complete(answers.get(i));
            }
        }, failure -> batch.waiters.forEach(waiter -> waiter.fail(failure)));
    }

    /** A requester and the context it asked on. */
    private record Waiter<A>(UniEmitter<? super A> emitter, ContextInternal context) {
        void complete(A answer) {
            context.emit(answer, emitter::complete);
        }

        void fail(Throwable failure) {
            context.emit(failure, emitter::fail);
        }
    }

    /** The requests one event loop made since its batch was last sent; touched by that loop's thread only. */
    private static final class Pending<R, A> {
        private List<R> requests = new ArrayList<>();
        private List<Waiter<A>> waiters = new ArrayList<>();

        /** Adds a request; true when it is the first since the last {@link #take}, so the batch is to be sent. */
        boolean add(R request, Waiter<A> waiter) {
            requests.add(request);
            waiters.add(waiter);
            return requests.size() == 1;
        }

        Pending<R, A> take() {
            Pending<R, A> taken = new Pending<>();
            taken.requests = requests;
            taken.waiters = waiters;
            requests = new ArrayList<>();
            waiters = new ArrayList<>();
            return taken;
        }
    }
}
