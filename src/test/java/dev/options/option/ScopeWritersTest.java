package dev.options.option;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.options.scope.ScopeKey;
import io.smallrye.mutiny.Uni;

class ScopeWritersTest {

    private final ScopeWriters<String, Void> writers = new ScopeWriters<>();
    private final ScopeKey a = new ScopeKey("project_options:1");
    private final ScopeKey b = new ScopeKey("project_options:2");

    @Test
    void savesOfOneScopeStartInTurnAndThoseOfAnotherDoNotWait() {
        List<String> started = new CopyOnWriteArrayList<>();
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        List<String> results = new CopyOnWriteArrayList<>();

        writers.oneAtATime(a, null, () -> save(started, "a1", first)).subscribe().with(results::add);
        writers.oneAtATime(a, null, () -> save(started, "a2", second)).subscribe().with(results::add);
        writers.oneAtATime(a, null, () -> save(started, "a3", CompletableFuture.completedFuture("a3"))).subscribe().with(results::add);
        writers.oneAtATime(b, null, () -> save(started, "b1", CompletableFuture.completedFuture("b1"))).subscribe().with(results::add);
        assertThat(started).containsExactly("a1", "b1");
        assertThat(results).containsExactly("b1");

        first.complete("a1");
        assertThat(started).containsExactly("a1", "b1", "a2");
        second.complete("a2");
        assertThat(started).containsExactly("a1", "b1", "a2", "a3");
        assertThat(results).containsExactly("b1", "a1", "a2", "a3");
        assertThat(writers.busy()).as("no scope left behind").isZero();
    }

    @Test
    void aFailedSaveFailsItsCallerAndLetsTheNextOneStart() {
        List<String> started = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        CompletableFuture<String> failing = new CompletableFuture<>();
        writers.oneAtATime(a, null, () -> save(started, "a1", failing)).subscribe().with(item -> { }, failures::add);
        writers.oneAtATime(a, null, () -> {
            throw new IllegalStateException("thrown, not returned");
        }).subscribe().with(item -> { }, failures::add);
        String[] last = { null };
        writers.oneAtATime(a, null, () -> save(started, "a3", CompletableFuture.completedFuture("a3"))).subscribe().with(item -> last[0] = item);

        failing.completeExceptionally(new RuntimeException("database gone"));
        assertThat(failures).extracting(Throwable::getMessage).containsExactly("database gone", "thrown, not returned");
        assertThat(last[0]).isEqualTo("a3");
        assertThat(writers.busy()).isZero();
    }

    @Test
    void concurrentCallersOfOneScopeNeverOverlap() throws Exception {
        // Mutiny sets up its context propagation on first use; outside Quarkus, first uses racing on
        // several threads fail ("ContextManagerProvider already set"): one use here first
        Uni.createFrom().item(0).subscribe().with(ignored -> { });
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger starts = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(400);
        try {
            for (int i = 0; i < 400; i++) {
                pool.submit(() -> writers.oneAtATime(a, null, () -> Uni.createFrom().item(() -> {
                    starts.incrementAndGet();
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    pause();
                    running.decrementAndGet();
                    return "saved";
                }).emitOn(pool)).subscribe().with(item -> {
                    done.incrementAndGet();
                    all.countDown();
                }));
            }
            assertThat(all.await(10, TimeUnit.SECONDS)).as("done %d, starts %d", done.get(), starts.get()).isTrue();
            // the last caller hears its result just before its save lets go of the scope
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (writers.busy() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(done.get()).isEqualTo(400);
        assertThat(most.get()).as("saves of one scope running at once").isEqualTo(1);
        assertThat(writers.busy()).as("no scope left behind").isZero();
    }

    private static void pause() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Uni<String> save(List<String> started, String name, CompletableFuture<String> outcome) {
        started.add(name);
        return Uni.createFrom().completionStage(outcome);
    }
}
