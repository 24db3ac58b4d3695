package dev.options.store;

import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;

/**
 * How many SQL statements the current request (its Vert.x duplicated context) has sent: how the
 * "one query per scope per request" promise is checked. Counted here, where statements are sent,
 * and read by the unit of work above.
 */
public final class Statements {

    private static final String KEY = "dev.options.statements";

    private Statements() {
    }

    /** Counts one statement against the current request, if there is one. */
    static void count() {
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.<int[]>get(KEY).orElseGet(Statements::counter)[0]++;
        }
    }

    /** The statements the current request has sent so far; 0 off a request's context. */
    public static int counted() {
        return VertxContext.isOnDuplicatedContext() ? ContextLocals.<int[]>get(KEY).map(counter -> counter[0]).orElse(0) : 0;
    }

    private static int[] counter() {
        int[] created = new int[1];
        ContextLocals.put(KEY, created);
        return created;
    }
}
