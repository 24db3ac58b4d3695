package dev.options;

import java.util.function.Supplier;

import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

/** Work with the service in process, as code beside the HTTP resources uses it: one unit of work on a duplicated context. */
public final class UnitsOfWork {

    private UnitsOfWork() {
    }

    /** Runs {@code work} as one unit of work and waits for its item; its failure is thrown as it is. */
    public static <T> T run(Supplier<Uni<T>> work) {
        try {
            return VertxContextSupport.subscribeAndAwait(work);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
