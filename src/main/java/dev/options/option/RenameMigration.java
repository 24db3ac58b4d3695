package dev.options.option;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.config.OptionsConfig;
import dev.options.registry.Definition;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import dev.options.store.OptionManager;
import dev.options.store.ScopeScans;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Moves the values stored under old names of renamed keys ({@code renamed-from}) to their keys, in
 * the background, on every instance: every {@code options.migration.every}, batches of at most
 * {@code options.migration.batch} scopes that still store an old name, found by the index on the
 * rows' keys, each moved by an ordinary save of its own ({@link Staging#migrateRenamed}: a new
 * version, an event, a history entry through the {@code migration} channel), until none is left.
 *
 * <p>Nothing but the rows themselves records progress, so a restart resumes where the rows say. Two
 * instances that pick the same scope serialize on its row lock like any two writers, and the second
 * finds no old name left to move: its save changes nothing and records nothing, so each row moves
 * once. Reads never wait for it: an old name's value reads under its key from the moment the
 * registry names the rename.
 */
@ApplicationScoped
public class RenameMigration {

    /** Most batches one look moves before it yields to the next. */
    private static final int MOST_BATCHES = 1_000;

    private final ScopeScans store;
    private final OptionRegistry registry;
    private final Saves saves;
    private final Vertx vertx;
    private final OptionsConfig.Migration config;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Counter moved;
    private final Map<String, AtomicLong> remaining = new ConcurrentHashMap<>();
    private volatile long timer = -1;

    RenameMigration(ScopeScans store, OptionRegistry registry, Saves saves, Vertx vertx, OptionsConfig config,
            MeterRegistry meters) {
        this.store = store;
        this.registry = registry;
        this.saves = saves;
        this.vertx = vertx;
        this.config = config.migration();
        this.moved = Counter.builder("options.migration.moved")
                .description("Scopes whose values under old names of renamed keys were moved to the keys").register(meters);
        for (Definition definition : registry.renamedDefinitions()) {
            AtomicLong rows = new AtomicLong(-1);
            remaining.put(definition.key(), rows);
            Gauge.builder("options.migration.remaining", rows, AtomicLong::get)
                    .description("Rows still stored under old names of a renamed key (-1 until first counted)")
                    .tag("key", definition.key()).register(meters);
        }
    }

    void start(@Observes StartupEvent event) {
        if (!registry.hasRenames()) {
            return;
        }
        timer = vertx.setPeriodic(Math.max(1_000, config.every().toMillis()), id -> {
            if (running.compareAndSet(false, true)) {
                migrate().subscribe().with(count -> running.set(false), failure -> {
                    running.set(false);
                    Log.warnf("the migration of renamed keys failed, to be tried again in %s: %s", config.every(), failure.getMessage());
                });
            }
        });
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Moves every scope that stores an old name, a batch at a time; answers how many scopes were moved. */
    public Uni<Long> migrate() {
        return migrateFrom(0, 0);
    }

    private Uni<Long> migrateFrom(long movedSoFar, int batches) {
        return batch(config.batch()).chain(count -> count == 0 || batches + 1 >= MOST_BATCHES
                ? remaining().replaceWith(movedSoFar + count)
                : migrateFrom(movedSoFar + count, batches + 1));
    }

    /**
     * One batch: at most {@code most} scopes (of all kinds together) that store an old name, each
     * moved by a save of its own, one after the other; answers how many had something left to move
     * (another instance may have moved the rest). Scopes whose locks name an old name count too. A scope whose
     * save fails (Postgres unavailable, a row that cannot be read) is left for a later run and does
     * not stop the others; a batch that moves none ends the run.
     */
    public Uni<Integer> batch(int most) {
        List<String> oldNames = oldNames();
        if (oldNames.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Multi.createFrom().items(ScopeKind.values())
                // rows, a few a scope at most: enough rows for a batch of scopes, the LIMIT ending the index scan early
                .onItem().transformToUniAndConcatenate(kind -> inBackground(() -> store.storing(kind, oldNames, 4 * most)))
                .onCompletion().switchTo(() -> Multi.createFrom().uni(inBackground(() -> store.locking(oldNames, most))))
                .collect().in(LinkedHashSet<Scope>::new, Set::addAll)
                .map(found -> new ArrayList<>(found).subList(0, Math.min(most, found.size())))
                .chain(scopes -> Multi.createFrom().iterable(scopes)
                        .onItem().transformToUniAndConcatenate(scope -> move(scope)
                                .onFailure().recoverWithItem(failure -> {
                                    Log.warnf("the migration of renamed keys could not move %s, to be tried again: %s",
                                            scope.key().value(), failure.getMessage());
                                    return 0;
                                }))
                        .collect().with(Collectors.summingInt(Integer::intValue)));
    }

    /** The rows still stored under old names of {@code key}; zero for a key never renamed. */
    public Uni<Long> remaining(String key) {
        List<String> names = registry.oldNames(key);
        if (names.isEmpty()) {
            return Uni.createFrom().item(0L);
        }
        return store.rowsNamed(names).map(counts -> rows(names, counts));
    }

    /** The rows of {@code names} among {@code counts} (rows by name). */
    private static long rows(List<String> names, Map<String, Long> counts) {
        return names.stream().mapToLong(name -> counts.getOrDefault(name, 0L)).sum();
    }

    /** Counts what remains of every rename, for the gauges. */
    private Uni<Void> remaining() {
        List<String> oldNames = oldNames();
        return inBackground(() -> store.rowsNamed(oldNames)).invoke(counts -> registry.renamedDefinitions().forEach(definition ->
                remaining.get(definition.key()).set(rows(definition.renamedFrom(), counts))))
                .replaceWithVoid();
    }

    /**
     * One scope's old names (of rows and of locks) moved, by a save of its own in a unit of work of
     * its own, under the scope's lock (judged on what Postgres holds, never on a cached copy);
     * answers 1 when it wrote a version, 0 when there was nothing left to move.
     */
    private Uni<Integer> move(Scope scope) {
        return inBackground(() -> {
            RequestCache.unitOfWork().attribute(null, Channel.MIGRATION);
            AtomicLong before = new AtomicLong();
            return saves.inTransaction(() -> saves.update(scope, IfMatch.NONE, (current, staging) -> {
                        before.set(current.version());
                        staging.migrateRenamed();
                    }))
                    .map(view -> view.version() > before.get() ? 1 : 0)
                    .invoke(count -> moved.increment(count));
        });
    }

    private List<String> oldNames() {
        return registry.renamedDefinitions().stream().flatMap(definition -> definition.renamedFrom().stream()).toList();
    }

    /** {@code work} on a new background context: a unit of work of its own, statements counted as background work. */
    private <T> Uni<T> inBackground(Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> OptionManager.inBackground(vertx, () -> {
            try {
                work.get().subscribe().with(emitter::complete, emitter::fail);
            } catch (RuntimeException thrown) {
                emitter.fail(thrown);
            }
        }));
    }
}
