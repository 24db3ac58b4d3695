package dev.options.option;

import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.cache.NearCache;
import dev.options.config.OptionsConfig;
import dev.options.events.ChangePublisher;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.store.Changes;
import dev.options.store.OptionManager;
import dev.options.store.StoredScope;
import dev.options.store.Uncancellable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * Saves: the conditional one-statement save when the scope's version is at hand and nothing
 * contends for it ({@link ConditionalSaves}, one save of a scope at a time through
 * {@link QueuedSaves}), else the locking save in a transaction; after commit, the caches and the feed.
 */
@ApplicationScoped
class Saves {

    private final LayeredReads reads;
    private final Locks locks;
    private final OptionManager store;
    private final OptionRegistry registry;
    private final OptionsConfig config;
    private final NearCache near;
    private final ChangePublisher publisher;
    private final ConditionalSaves conditional;
    private final QueuedSaves queued;
    private final boolean serializeSaves;
    private final Counter lockedSaves;
    private final Counter historyEntries;

    Saves(LayeredReads reads, Locks locks, OptionManager store, OptionRegistry registry, OptionsConfig config, NearCache near,
            ChangePublisher publisher, ConditionalSaves conditional, QueuedSaves queued, MeterRegistry meters) {
        this.reads = reads;
        this.locks = locks;
        this.store = store;
        this.registry = registry;
        this.config = config;
        this.near = near;
        this.publisher = publisher;
        this.conditional = conditional;
        this.queued = queued;
        this.serializeSaves = config.saves().oneAtATime();
        this.lockedSaves = saves(meters, "locking");
        this.historyEntries = historyEntries(meters);
    }

    /** The counter of saves completed by {@code path}. */
    static Counter saves(MeterRegistry meters, String path) {
        return Counter.builder("options.saves")
                .description("Saves completed (written, or found to change nothing), by path: the conditional"
                        + " statement, or a transaction holding the scope's lock")
                .tag("path", path)
                .register(meters);
    }

    /** The counter of history entries committed (one meter, whichever path registers it). */
    static Counter historyEntries(MeterRegistry meters) {
        return Counter.builder("options.history.entries")
                .description("History entries committed, one per committed change, written by the change's own statement")
                .register(meters);
    }

    /**
     * The locking save. In one transaction: lock the scope (creating its row on first write); read
     * the originals under the lock unless this unit of work already holds the current version; check
     * {@code ifMatch}; apply {@code edit} to the scope as it is now; diff what is staged against the
     * originals; and when anything changed, write the changes, the version + 1 and an outbox row in
     * one statement. The request cache then holds the new originals without reading them again.
     *
     * <p>Outside a transaction, the same save is made in one autocommitted statement instead,
     * conditional on the version a NORMAL read finds ({@link ConditionalSaves}); whatever that cannot
     * settle falls back to the locking save, so the outcome is the same either way.
     *
     * @throws ProblemException {@code 412 version-mismatch} (with {@code currentVersion}) when
     *     {@code ifMatch} does not match, {@code 422 too-many-keys}; nothing is written then
     */
    Uni<ScopeView> update(Scope scope, IfMatch ifMatch, OptionService.Edit edit) {
        UnitOfWork work = RequestCache.unitOfWork();
        ScopeEntry entry = work.entry(scope);
        Uni<ScopeView> locking = Uni.createFrom().deferred(() -> inTransaction(() -> reads.lockAndLoad(entry)
                .map(version -> stage(entry, ifMatch, edit))
                .call(changes -> refuseLocked(entry))
                .chain(changes -> persist(entry, changes)))
                .invoke(() -> lockedSaves.increment()));
        if (work.inTransaction()) {
            return locking;
        }
        if (serializeSaves) {
            return queued.save(entry, ifMatch, edit, locking);
        }
        return conditional.contended(scope.key()) ? locking
                : conditional.writeIfUnchanged(entry, ifMatch, edit).chain(conditional::sent)
                        .chain(outcome -> ConditionalSaves.settledOr(outcome, locking));
    }

    /**
     * Runs {@code work} in one Postgres transaction, or in the transaction this unit of work already
     * has open. Saves inside it are committed or rolled back together.
     */
    <T> Uni<T> inTransaction(Supplier<Uni<T>> work) {
        UnitOfWork unit = RequestCache.unitOfWork();
        if (unit.inTransaction()) {
            return Uni.createFrom().deferred(work::get);
        }
        // the transaction runs to its end by itself; so must the publishing of what it committed
        return Uncancellable.of(Uni.createFrom().deferred(() -> {
                    unit.beginTransaction();
                    return store.inTransaction(work);
                })
                .onItemOrFailure().invoke((item, failure) -> unit.endTransaction(failure == null))
                .call(unit::runAfterCommit));
    }

    private Changes stage(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit) {
        long current = entry.originals().version();
        if (!ifMatch.matches(current)) {
            throw new ProblemException(ProblemType.VERSION_MISMATCH,
                    "the scope is at version " + current + ", which If-Match does not name",
                    Map.of("currentVersion", current));
        }
        edit.apply(entry.view(registry), entry);
        return entry.diff(registry, config.limits().maxKeysPerScope());
    }

    /** Refuses, under the locks of the scopes above it (held shared), a save that writes a key one of them locks. */
    private Uni<Void> refuseLocked(ScopeEntry entry) {
        Set<String> written = entry.writtenKeys(registry);
        if (!Locks.below(entry.scope()) || written.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return locks.held(entry).invoke(above -> above.refuse(written)).replaceWithVoid();
    }

    private Uni<ScopeView> persist(ScopeEntry entry, Changes changes) {
        if (changes.isEmpty()) {
            entry.discardModifications();
            return Uni.createFrom().item(entry.view(registry));
        }
        StoredScope before = entry.originals();
        StoredScope after = changes.applyTo(before, before.version() + 1);
        UnitOfWork unit = RequestCache.unitOfWork();
        return store.write(entry.scope(), after.version(), changes, ConditionalSaves.attribution())
                .map(outboxId -> {
                    entry.saved(after);
                    byte[] document = entry.document(registry);
                    // the scope is locked until the commit, so no newer version can be heard of before this
                    long ticket = near.ticket(entry.scope().key());
                    unit.afterCommit(() -> {
                        historyEntries.increment();
                        return publisher.committed(entry.scope(), after, document, changes.keys(), outboxId, ticket);
                    });
                    return entry.view(registry);
                });
    }
}
