package dev.options.option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.options.cache.NearCache;
import dev.options.config.OptionsConfig;
import dev.options.events.ChangePublisher;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.Changes;
import dev.options.store.OptionManager;
import dev.options.store.StoredScope;
import dev.options.store.Uncancellable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Saves: the conditional one-statement save when the scope's version is at hand and nothing
 * contends for it, else the locking save in a transaction; after commit, the caches and the feed.
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
    private final boolean caches;
    private final boolean serializeSaves;
    /** Whether the save whose turn it is takes the saves waiting behind it along ({@code options.saves.batch}). */
    private final boolean together;
    private final int longestChain;
    private final ScopeWriters<ScopeView, Pending> writers = new ScopeWriters<>();
    /** Scopes whose one-statement save lost a race lately: their saves lock first, as contention wants. */
    private final Cache<ScopeKey, Boolean> contended = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(1)).build();
    private final Counter conditionalSaves;
    private final Counter lockedSaves;
    private final Counter conflicts;
    private final Counter historyEntries;
    private final DistributionSummary chains;

    Saves(LayeredReads reads, Locks locks, OptionManager store, OptionRegistry registry, OptionsConfig config, NearCache near,
            ChangePublisher publisher, MeterRegistry meters) {
        this.reads = reads;
        this.locks = locks;
        this.store = store;
        this.registry = registry;
        this.config = config;
        this.near = near;
        this.publisher = publisher;
        this.caches = config.cache().enabled();
        this.serializeSaves = config.saves().oneAtATime();
        this.together = config.saves().batch();
        this.longestChain = config.saves().batchSize();
        this.conditionalSaves = saves(meters, "conditional");
        this.lockedSaves = saves(meters, "locking");
        this.conflicts = Counter.builder("options.saves.conflicts")
                .description("One-statement saves another writer got ahead of (each then saved under the lock)")
                .register(meters);
        this.historyEntries = Counter.builder("options.history.entries")
                .description("History entries committed, one per committed change, written by the change's own statement")
                .register(meters);
        this.chains = DistributionSummary.builder("options.saves.chain.size")
                .description("Saves of one scope made by one statement, the one whose turn it was and those queued behind it")
                .register(meters);
    }

    /**
     * What the one-statement save came to: the scope saved (or found unchanged), left to the locking
     * save, or staged and judged, ready to send.
     */
    private sealed interface Outcome permits Settled, ForTheLock, Prepared {
    }

    /**
     * A one-statement save ready to send: what it writes ({@code after}, from {@code changes}, under
     * {@code guard}), and what to go back to if it is not made.
     */
    private record Prepared(ScopeEntry entry, ScopeEntry.Staged staged, ScopeEntry.Held held, Changes changes,
            OptionManager.Guard guard, StoredScope after, long ticket, OptionManager.Attribution by)
            implements Outcome {

        OptionManager.Conditional statement() {
            return new OptionManager.Conditional(entry.scope(), after.version(), changes, by, guard);
        }
    }

    /** A save waiting for its scope's turn, as the save before it may take it along. */
    private record Pending(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit, Uni<ScopeView> locking, Context context) {
    }

    /** A save of a chain, and its caller when it is not the save whose turn it is. */
    private record Link(Prepared prepared, ScopeWriters.Follower<ScopeView, Pending> follower) {

        /** Answers the follower, on its context, with what came of its save. */
        Uni<Void> answer(Supplier<Uni<ScopeView>> outcome) {
            return Uni.createFrom().emitter(done -> follower.answer(Uni.createFrom().deferred(outcome::get)
                    .onTermination().invoke(() -> done.complete(null))));
        }
    }

    private record Settled(ScopeView view) implements Outcome {
    }

    private record ForTheLock() implements Outcome {
    }

    private static final Uni<Outcome> FOR_THE_LOCK = Uni.createFrom().item(new ForTheLock());

    private static Counter saves(MeterRegistry meters, String path) {
        return Counter.builder("options.saves")
                .description("Saves completed (written, or found to change nothing), by path: the conditional"
                        + " statement, or a transaction holding the scope's lock")
                .tag("path", path)
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
     * conditional on the version a NORMAL read finds ({@link #writeIfUnchanged}); whatever that cannot settle falls back to the
     * locking save, so the outcome is the same either way.
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
        if (!serializeSaves) {
            return contended.getIfPresent(scope.key()) != null ? locking
                    : writeIfUnchanged(entry, ifMatch, edit).chain(this::sent).chain(outcome -> settledOr(outcome, locking));
        }
        Context context = Vertx.currentContext();
        Pending pending = together && context != null ? new Pending(entry, ifMatch, edit, locking, context) : null;
        return writers.oneAtATime(scope.key(), pending, () -> contended.getIfPresent(scope.key()) != null ? locking
                : writeIfUnchanged(entry, ifMatch, edit)
                        .chain(outcome -> together && outcome instanceof Prepared prepared ? withFollowers(prepared, pending)
                                : sent(outcome))
                        .chain(outcome -> settledOr(outcome, locking)));
    }

    private static Uni<ScopeView> settledOr(Outcome outcome, Uni<ScopeView> locking) {
        return outcome instanceof Settled settled ? Uni.createFrom().item(settled.view()) : locking;
    }

    /**
     * The save whose turn it is, with the saves waiting behind it that can follow it: each in turn,
     * on its own context, stages its edit against the scope as the one before it is to write it; then
     * all go as one statement ({@link OptionManager#writeChainIfAt}), all made or none, each its own
     * version, history entry and outbox row. When made, each answers its own caller with the document
     * of its own version, published in version order (the leader first), and the leader's outcome
     * comes once all have been answered, so the turn ends after all. When none is made, the followers
     * are put back first in line, in their order, as they were, and the leader takes the locking
     * save: each then takes its own turn again. The first that cannot follow (a precondition or an
     * edit that fails against that state, nothing to change, a change of more than options) stays
     * first in line. Everything of the leader's runs on its own context ({@code own}).
     */
    private Uni<Outcome> withFollowers(Prepared leader, Pending own) {
        if (own == null || !optionsOnly(leader)) {
            return sent(leader);
        }
        ScopeKey key = leader.entry().scope().key();
        List<Link> chain = new ArrayList<>();
        chain.add(new Link(leader, null));
        // whatever context a step ends on, the leader's own goes on (and answers) on its own
        Executor ownContext = task -> own.context().runOnContext(ignored -> task.run());
        return gather(key, chain).emitOn(ownContext)
                .chain(links -> links.size() == 1 ? sent(leader) : sentTogether(own, key, links))
                .emitOn(ownContext);
    }

    /** The leader and its followers ({@code links}, in order) as one statement, and what came of it. */
    private Uni<Outcome> sentTogether(Pending own, ScopeKey key, List<Link> links) {
        Prepared leader = links.get(0).prepared();
        List<Link> followers = links.subList(1, links.size());
        // the statement runs to its end by itself; so must the publishing of what it committed
        return Uncancellable.of(Uni.createFrom().deferred(() -> store.writeChainIfAt(links.stream()
                                .map(link -> link.prepared().statement()).toList()))
                .onItemOrFailure().transformToUni((made, failure) -> {
                    if (failure == null && made.get(0) != null) {
                        chains.record(links.size());
                        // published in version order: each once the one before it has been
                        Uni<Outcome> published = onContext(own.context(), () -> made(leader, made.get(0)));
                        for (int i = 0; i < followers.size(); i++) {
                            Link link = followers.get(i);
                            Long outboxId = made.get(i + 1);
                            published = published.call(ignored -> link.answer(() -> made(link.prepared(), outboxId)
                                    .chain(outcome -> settledOr(outcome, link.follower().payload().locking()))));
                        }
                        return published;
                    }
                    if (failure != null && !(failure instanceof IllegalArgumentException)) {
                        // the connection lost, or the lock not had in time: it may have committed; all fail
                        return onContext(own.context(), () -> {
                                    abandon(leader);
                                    return Uni.createFrom().voidItem();
                                })
                                .chain(() -> Uni.join().all(followers.stream().map(link -> link.answer(() -> {
                                    abandon(link.prepared());
                                    return Uni.createFrom().failure(failure);
                                })).toList()).andCollectFailures().onFailure().recoverWithNull())
                                .chain(ignored -> Uni.createFrom().failure(failure));
                    }
                    // none made: the followers back first in line as they were, the leader to the lock
                    return putBack(key, followers).chain(() -> onContext(own.context(), () -> made(leader, null)));
                }));
    }

    /** Puts {@code followers} back first in line, in their order, each restored on its own context first. */
    private Uni<Void> putBack(ScopeKey key, List<Link> followers) {
        Uni<Void> restored = Uni.createFrom().voidItem();
        for (Link link : followers) {
            restored = restored.chain(() -> onContext(link.follower().payload().context(), () -> {
                abandon(link.prepared());
                return Uni.createFrom().voidItem();
            }));
        }
        return restored.invoke(() -> {
            for (int i = followers.size() - 1; i >= 0; i--) {
                writers.putBack(key, followers.get(i).follower());
            }
        });
    }

    /** Adds to {@code chain} the saves waiting behind it that can follow its last, one by one, up to the batch size. */
    private Uni<List<Link>> gather(ScopeKey key, List<Link> chain) {
        ScopeWriters.Follower<ScopeView, Pending> follower = chain.size() < longestChain ? writers.follower(key) : null;
        if (follower == null) {
            return Uni.createFrom().item(chain);
        }
        Pending pending = follower.payload();
        Prepared before = chain.get(chain.size() - 1).prepared();
        return onContext(pending.context(), () -> follow(pending, before))
                .onFailure().recoverWithItem(new ForTheLock())
                .chain(outcome -> {
                    if (outcome instanceof Prepared prepared) {
                        chain.add(new Link(prepared, follower));
                        return gather(key, chain);
                    }
                    writers.putBack(key, follower);
                    return Uni.createFrom().item(chain);
                });
    }

    /** Whether a save changes options only (no lock, organization or epoch), as saves that follow one another must. */
    private static boolean optionsOnly(Prepared prepared) {
        Changes changes = prepared.changes();
        return changes.locks() == null && changes.organization() == null && changes.epoch() == null;
    }

    /**
     * Stages {@code pending}'s save against the scope as {@code before} is to write it. Anything but a
     * save ready to send leaves its entry as it was.
     */
    private Uni<Outcome> follow(Pending pending, Prepared before) {
        ScopeEntry entry = pending.entry();
        ScopeEntry.Held held = entry.held();
        if (entry.holds(ReadFlag.NORMAL) && entry.originals().version() > before.after().version()) {
            return FOR_THE_LOCK;
        }
        entry.loaded(before.after(), ReadFlag.NORMAL);
        return Uni.createFrom().deferred(() -> writeIfAt(entry, pending.ifMatch(), pending.edit(), held, true))
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

    /** Runs {@code work} on {@code context}, answering on it. */
    private static <T> Uni<T> onContext(Context context, Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> context.runOnContext(ignored -> Uni.createFrom().<T>deferred(work::get)
                .subscribe().with(emitter::complete, emitter::fail)));
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
    private Uni<Outcome> writeIfUnchanged(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit) {
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
    private Uni<Outcome> sent(Outcome outcome) {
        if (!(outcome instanceof Prepared prepared)) {
            return Uni.createFrom().item(outcome);
        }
        // the store's statement runs to its end by itself; so must the publishing of what it committed
        return Uncancellable.of(store.writeIfAt(prepared.entry().scope(), prepared.after().version(), prepared.changes(),
                prepared.by(), prepared.guard()).chain(outboxId -> made(prepared, outboxId)));
    }

    /** A sent save's outcome, on its own context: made ({@code outboxId}), then published; or left to the locking save. */
    private Uni<Outcome> made(Prepared prepared, Long outboxId) {
        ScopeEntry entry = prepared.entry();
        Scope scope = entry.scope();
        if (outboxId == null) {
            conflicts.increment();
            contended.put(scope.key(), Boolean.TRUE);
            abandon(prepared);
            return FOR_THE_LOCK;
        }
        conditionalSaves.increment();
        historyEntries.increment();
        entry.written(prepared.after());
        return Uncancellable.of(publisher.committed(scope, prepared.after(), entry.document(registry), prepared.changes().keys(),
                        outboxId, prepared.ticket())
                .map(ignored -> (Outcome) new Settled(entry.view(registry))));
    }

    /** Puts a save not made back as it was before it was staged: its modifications, and the originals it was staged on. */
    private static void abandon(Prepared prepared) {
        prepared.entry().restore(prepared.staged());
        prepared.entry().restore(prepared.held());
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

    /** Who this unit of work's changes are made by, and through what, for the history. */
    private static OptionManager.Attribution attribution() {
        UnitOfWork unit = RequestCache.unitOfWork();
        return new OptionManager.Attribution(unit.actor(), unit.channel().label());
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
        return store.write(entry.scope(), after.version(), changes, attribution())
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
