package dev.options.option;

import io.smallrye.common.vertx.ContextLocals;

/**
 * Where the request-local cache lives: the current Vert.x duplicated context, which Quarkus creates
 * for each HTTP request and discards when it ends. This replaces the thread-local of the systems this
 * design comes from: one event-loop thread interleaves many requests, a context belongs to one.
 */
public final class RequestCache {

    private static final String KEY = "dev.options.unit-of-work";

    private RequestCache() {
    }

    /** Whether the current context has no unit of work yet, or one that has read or staged nothing; creates none. */
    public static boolean isEmpty() {
        return ContextLocals.<UnitOfWork>get(KEY).map(UnitOfWork::isEmpty).orElse(true);
    }

    /**
     * The current unit of work, created on first use.
     *
     * @throws UnsupportedOperationException off a duplicated context (a root context or no Vert.x
     *     thread): there is no request to attach to
     */
    public static UnitOfWork unitOfWork() {
        return ContextLocals.<UnitOfWork>get(KEY).orElseGet(() -> {
            UnitOfWork created = new UnitOfWork();
            ContextLocals.put(KEY, created);
            return created;
        });
    }
}
