package dev.options.option;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.options.cache.NearCache;
import dev.options.config.OptionsConfig;
import dev.options.events.ChangePublisher;
import dev.options.problem.ProblemException;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.Changes;
import dev.options.store.OptionManager;
import dev.options.store.StoredScope;
import dev.options.store.Uncancellable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * The conditional one-statement save: staged and judged against the scope as a NORMAL read finds it
 * (or, queued behind another save, as that one is to write it), sent as one statement that is made
 * only if the scope is still at that version, then published. Whatever it cannot settle is left to
 * the locking save ({@link Saves}).
 */
@ApplicationScoped
class ConditionalSaves {

    private final LayeredReads reads;
    private final Locks locks;
    private final OptionManager store;
    private final OptionRegistry registry;
    private final OptionsConfig config;
    private final NearCache near;
    private final ChangePublisher publisher;
    private final boolean caches;
    /** Scopes whose one-statement save lost a race lately: their saves lock first, as contention wants. */
    private final Cache<ScopeKey, Boolean> contended = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(1)).build();
    private final Counter conditionalSaves;
    private final Counter conflicts;
    private final Counter historyEntries;

    ConditionalSaves(LayeredReads reads, Locks locks, OptionManager store, OptionRegistry registry, OptionsConfig config,
            NearCache near, ChangePublisher publisher, MeterRegistry meters) {
        this.reads = reads;
        this.locks = locks;
        this.store = store;
        this.registry = registry;
        this.config = config;
        this.near = near;
        this.publisher = publisher;
        this.caches = config.cache().enabled();
        this.conditionalSaves = Saves.saves(meters, "conditional");
        this.conflicts = Counter.builder("options.saves.conflicts")
                .description("One-statement saves another writer got ahead of (each then saved under the lock)")
                .register(meters);
        this.historyEntries = Saves.historyEntries(meters);
    }

    /**
     * What the one-statement save came to: the scope saved (or found unchanged), left to the locking
     * save, or staged and judged, ready to send.
     */
    sealed interface Outcome permits Settled, ForTheLock, Prepared {
    }

    /**
     * A one-statement save ready to send: what it writes ({@code after}, from {@code changes}, under
     * {@code guard}), and what to go back to if it is not made.
     */
    record Prepared(ScopeEntry entry, ScopeEntry.Staged staged, ScopeEntry.Held held, Changes changes,
            OptionManager.Guard guard, StoredScope after, long ticket, OptionManager.Attribution by)
            implements Outcome {

        OptionManager.Conditional statement() {
            return new OptionManager.Conditional(entry.scope(), after.version(), changes, by, guard);
        }
    }

    record Settled(ScopeView view) implements Outcome {
    }

    record ForTheLock() implements Outcome {
    }

    static final Uni<Outcome> FOR_THE_LOCK = Uni.createFrom().item(new ForTheLock());

    /** Whether the scope's one-statement saves lost a race lately, so that its saves should lock at once. */
    boolean contended(ScopeKey key) {
        return contended.getIfPresent(key) != null;
    }

    /** The scope saved, or else what {@code locking} comes to. */
    static Uni<ScopeView> settledOr(Outcome outcome, Uni<ScopeView> locking) {
        return outcome instanceof Settled settled ? Uni.createFrom().item(settled.view()) : locking;
    }

    /**
     * The save as one statement: stage and diff against the scope as a NORMAL read finds it (the near
     * cache, Redis, or Postgres), and write only if the scope is still at that version (the statement
     * takes the scope's row lock and checks the version under it, so it serializes with every other
     * writer exactly as the locking save does). Nothing to write is settled by one look at the
     * version. Answers {@link ForTheLock}, having written nothing and staged nothing more, when the
     * locking save must decide instead: a scope never written (or, with the caches off, not read in this unit of
     * work), a precondition, an edit or a limit that fails against that version, or a scope that has
     * moved on (after a lost race it counts as contended for a while, and its saves lock at once).
     */
    Uni<Outcome> writeIfUnchanged(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit) {
        if (!caches) {
            return entry.holds(ReadFlag.NORMAL) ? writeIfAt(entry, ifMatch, edit, entry.held(), false) : FOR_THE_LOCK;
        }
        // the version to write against: the near cache's, else Redis's, else a read (as NORMAL reads do)
        return reads.cached(entry.scope()).chain(held -> {
            if (!entry.holds(ReadFlag.NORMAL) || entry.originals().version() < held.stored().version()) {
                entry.loaded(held.stored(), ReadFlag.NORMAL, held.document());
            }
            return writeIfAt(entry, ifMatch, edit, entry.held(), false);
        });
    }

    /**
     * Stages and judges the one-statement save against the originals {@code entry} holds. When
     * {@code following} a save not yet made, those are the state that save is to write: nothing to
     * change then is left to the save's own turn, since only that state's commit would settle it.
     */
    private Uni<Outcome> writeIfAt(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit, ScopeEntry.Held held,
            boolean following) {
        Scope scope = entry.scope();
        if (entry.originals().version() < 1 || !ifMatch.matches(entry.originals().version())) {
            return FOR_THE_LOCK;
        }
        ScopeEntry.Staged staged = entry.staged();
        Changes changes;
        try {
            edit.apply(entry.view(registry), entry);
            changes = entry.diff(registry, config.limits().maxKeysPerScope());
        } catch (RuntimeException judgedUnderTheLock) {
            entry.restore(staged);
            return FOR_THE_LOCK;
        }
        Set<String> written = entry.writtenKeys(registry);
        if (following && changes.isEmpty()) {
            entry.restore(staged);
            return FOR_THE_LOCK;
        }
        if (!Locks.below(scope) || written.isEmpty()) {
            return prepared(entry, staged, held, changes, OptionManager.Guard.NONE);
        }
        // a lock the caches know of refuses the save at once; one they do not is the statement's to find
        return locks.cached(entry).chain(above -> {
            try {
                above.refuse(written);
            } catch (ProblemException locked) {
                entry.restore(staged);
                throw locked;
            }
            if (changes.isEmpty()) {
                // nothing to write, but a lock committed meanwhile would refuse it: the locking save decides
                entry.restore(staged);
                return FOR_THE_LOCK;
            }
            // the statement reads the locks as stored: a lock taken under an old name of a key holds it too
            return prepared(entry, staged, held, changes, above.guard(registry.withOldNames(written)));
        });
    }

    /** The save staged and judged against the locks the caches know, ready to send (or settled, when it changes nothing). */
    private Uni<Outcome> prepared(ScopeEntry entry, ScopeEntry.Staged staged, ScopeEntry.Held held, Changes changes,
            OptionManager.Guard guard) {
        Scope scope = entry.scope();
        StoredScope before = entry.originals();
        if (changes.isEmpty()) {
            // nothing to write if the scope is still at this version: one look at the version settles it
            return store.version(scope).map(current -> {
                if (current != before.version()) {
                    entry.restore(staged);
                    return (Outcome) new ForTheLock();
                }
                conditionalSaves.increment();
                entry.discardModifications();
                return new Settled(entry.view(registry));
            });
        }
        StoredScope after = changes.applyTo(before, before.version() + 1);
        // taken before the version can be committed: a newer one's invalidation can only come after
        long ticket = near.ticket(scope.key());
        return Uni.createFrom().item(new Prepared(entry, staged, held, changes, guard, after, ticket, attribution()));
    }

    /** Sends a save ready to send as its own statement (in a batch of other scopes' maybe), and what came of it. */
    Uni<Outcome> sent(Outcome outcome) {
        if (!(outcome instanceof Prepared prepared)) {
            return Uni.createFrom().item(outcome);
        }
        // the store's statement runs to its end by itself; so must the publishing of what it committed
        return Uncancellable.of(store.writeIfAt(prepared.entry().scope(), prepared.after().version(), prepared.changes(),
                prepared.by(), prepared.guard()).chain(outboxId -> made(prepared, outboxId)));
    }

    /** A sent save's outcome, on its own context: made ({@code outboxId}), then published; or left to the locking save. */
    Uni<Outcome> made(Prepared prepared, Long outboxId) {
        ScopeEntry entry = prepared.entry();
        Scope scope = entry.scope();
        if (outboxId == null) {
            conflicts.increment();
            contended.put(scope.key(), Boolean.TRUE);
            abandon(prepared);
            return FOR_THE_LOCK;
        }
        Written written = written(prepared, outboxId);
        ChangePublisher.Committed change = written.change();
        return Uncancellable.of(publisher.committed(scope, change.after(), change.document(), change.keys(), outboxId,
                        change.ticket())
                .map(ignored -> (Outcome) new Settled(written.view())));
    }

    /** A save made, on its own context, before it is published: the scope as it answers, and the change to publish. */
    record Written(ScopeView view, ChangePublisher.Committed change) {
    }

    /** Records on its own context that {@code prepared} was made ({@code outboxId}), without publishing it yet. */
    Written written(Prepared prepared, long outboxId) {
        ScopeEntry entry = prepared.entry();
        conditionalSaves.increment();
        historyEntries.increment();
        entry.written(prepared.after());
        return new Written(entry.view(registry), new ChangePublisher.Committed(prepared.after(), entry.document(registry),
                prepared.changes().keys(), outboxId, prepared.ticket()));
    }

    /** Publishes changes of one scope made together, in version order ({@link ChangePublisher#committedInOrder}). */
    Uni<Void> published(Scope scope, List<ChangePublisher.Committed> changes) {
        return Uncancellable.of(publisher.committedInOrder(scope, changes));
    }

    /** Puts a save not made back as it was before it was staged: its modifications, and the originals it was staged on. */
    static void abandon(Prepared prepared) {
        prepared.entry().restore(prepared.staged());
        prepared.entry().restore(prepared.held());
    }

    /** Whether a save changes options only (no lock, organization or epoch), as saves that follow one another must. */
    static boolean optionsOnly(Prepared prepared) {
        Changes changes = prepared.changes();
        return changes.locks() == null && changes.organization() == null && changes.epoch() == null;
    }

    /**
     * Stages a save queued behind another against the scope as {@code before} is to write it: a save
     * ready to send only when it changes options alone, judged against the same scopes above. Anything
     * else leaves its entry as it was.
     */
    Uni<Outcome> following(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit, Prepared before) {
        ScopeEntry.Held held = entry.held();
        if (entry.holds(ReadFlag.NORMAL) && entry.originals().version() > before.after().version()) {
            return FOR_THE_LOCK;
        }
        entry.loaded(before.after(), ReadFlag.NORMAL);
        return Uni.createFrom().deferred(() -> writeIfAt(entry, ifMatch, edit, held, true))
                .onFailure().recoverWithItem(new ForTheLock())
                .map(outcome -> {
                    // one statement makes them all: only changes of options, judged against the same scopes above
                    if (outcome instanceof Prepared prepared && !(optionsOnly(prepared)
                            && Objects.equals(prepared.guard().pinned(), before.guard().pinned())
                            && Objects.equals(prepared.guard().pinnedOrganization(), before.guard().pinnedOrganization()))) {
                        abandon(prepared);
                        return new ForTheLock();
                    }
                    if (!(outcome instanceof Prepared)) {
                        entry.restore(held);
                    }
                    return outcome;
                });
    }

    /** Who this unit of work's changes are made by, and through what, for the history. */
    static OptionManager.Attribution attribution() {
        UnitOfWork unit = RequestCache.unitOfWork();
        return new OptionManager.Attribution(unit.actor(), unit.channel().label());
    }

}
