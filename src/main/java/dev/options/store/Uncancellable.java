package dev.options.store;

import io.smallrye.mutiny.Uni;

/** Database work that runs to its end whoever stops listening. */
public final class Uncancellable {

    private Uncancellable() {
    }

    /**
     * Runs {@code work} to its end even when its subscriber goes away (a client that disconnects
     * cancels its request's pipeline): database work cut off between its statements would leave its
     * connection holding a live transaction, and the pool would run dry. The result of work whose
     * caller has gone is dropped; a transaction commits or rolls back as it would have.
     */
    public static <T> Uni<T> of(Uni<T> work) {
        return Uni.createFrom().emitter(emitter -> work.subscribe().with(emitter::complete, emitter::fail));
    }
}
