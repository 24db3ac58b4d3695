package dev.options;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Fresh identifiers, so that tests never share a scope, within a run or across runs. */
public final class Fixtures {

    private static final AtomicLong NEXT = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 52));

    private Fixtures() {
    }

    public static long newId() {
        return NEXT.addAndGet(1 + ThreadLocalRandom.current().nextInt(1000));
    }
}
