package dev.options.option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.config.OptionsConfig;
import dev.options.option.ConditionalSaves.ForTheLock;
import dev.options.option.ConditionalSaves.Outcome;
import dev.options.option.ConditionalSaves.Prepared;
import dev.options.scope.ScopeKey;
import dev.options.store.OptionManager;
import dev.options.store.Uncancellable;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The saves of one scope on this instance, one after another ({@link ScopeWriters}), outside
 * transactions: each a conditional one-statement save ({@link ConditionalSaves}) unless the scope is
 * contended, and with {@code options.saves.batch} on, those queued behind the save whose turn it is
 * made together with it in one statement, each its own version.
 */
@ApplicationScoped
class QueuedSaves {

    private final ConditionalSaves conditional;
    private final OptionManager store;
    /** Whether the save whose turn it is takes the saves waiting behind it along ({@code options.saves.batch}). */
    private final boolean together;
    private final int longestChain;
    private final ScopeWriters<ScopeView, Pending> writers = new ScopeWriters<>();
    private final DistributionSummary chains;

    QueuedSaves(ConditionalSaves conditional, OptionManager store, OptionsConfig config, MeterRegistry meters) {
        this.conditional = conditional;
        this.store = store;
        this.together = config.saves().batch();
        this.longestChain = config.saves().batchSize();
        this.chains = DistributionSummary.builder("options.saves.chain.size")
                .description("Saves of one scope made by one statement, the one whose turn it was and those queued behind it")
                .register(meters);
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

    /**
     * {@code entry}'s save once every earlier save of its scope on this instance has finished:
     * {@code locking} when the scope is contended, else the conditional save, taking the saves queued
     * behind it along; whatever that cannot settle, {@code locking}.
     */
    Uni<ScopeView> save(ScopeEntry entry, IfMatch ifMatch, OptionService.Edit edit, Uni<ScopeView> locking) {
        ScopeKey key = entry.scope().key();
        Context context = Vertx.currentContext();
        Pending pending = together && context != null ? new Pending(entry, ifMatch, edit, locking, context) : null;
        return writers.oneAtATime(key, pending, () -> conditional.contended(key) ? locking
                : conditional.writeIfUnchanged(entry, ifMatch, edit)
                        .chain(outcome -> together && outcome instanceof Prepared prepared ? withFollowers(prepared, pending)
                                : conditional.sent(outcome))
                        .chain(outcome -> ConditionalSaves.settledOr(outcome, locking)));
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
        if (own == null || !ConditionalSaves.optionsOnly(leader)) {
            return conditional.sent(leader);
        }
        ScopeKey key = leader.entry().scope().key();
        List<Link> chain = new ArrayList<>();
        chain.add(new Link(leader, null));
        // whatever context a step ends on, the leader's own goes on (and answers) on its own
        Executor ownContext = task -> own.context().runOnContext(ignored -> task.run());
        return gather(key, chain).emitOn(ownContext)
                .chain(links -> links.size() == 1 ? conditional.sent(leader) : sentTogether(own, key, links))
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
                        return answered(own, links, made);
                    }
                    if (failure != null && !(failure instanceof IllegalArgumentException)) {
                        // the connection lost, or the lock not had in time: it may have committed; all fail
                        return onContext(own.context(), () -> {
                                    ConditionalSaves.abandon(leader);
                                    return Uni.createFrom().voidItem();
                                })
                                .chain(() -> Uni.join().all(followers.stream().map(link -> link.answer(() -> {
                                    ConditionalSaves.abandon(link.prepared());
                                    return Uni.createFrom().failure(failure);
                                })).toList()).andCollectFailures().onFailure().recoverWithNull())
                                .chain(ignored -> Uni.createFrom().failure(failure));
                    }
                    // none made: the followers back first in line as they were, the leader to the lock
                    return putBack(key, followers).chain(() -> onContext(own.context(), () -> conditional.made(leader, null)));
                }));
    }

    /**
     * The saves of a chain made ({@code made}, their outbox ids): each recorded on its own context,
     * then all published in version order at once, then each follower answered with its own version's
     * document; the leader's outcome last.
     */
    private Uni<Outcome> answered(Pending own, List<Link> links, List<Long> made) {
        List<Uni<ConditionalSaves.Written>> recorded = new ArrayList<>();
        for (int i = 0; i < links.size(); i++) {
            Link link = links.get(i);
            long outboxId = made.get(i);
            Context context = i == 0 ? own.context() : link.follower().payload().context();
            recorded.add(onContext(context, () -> Uni.createFrom().item(conditional.written(link.prepared(), outboxId))));
        }
        return Uni.join().all(recorded).andFailFast().chain(written -> conditional
                .published(links.get(0).prepared().entry().scope(), written.stream().map(ConditionalSaves.Written::change).toList())
                .chain(() -> {
                    List<Uni<Void>> answers = new ArrayList<>();
                    for (int i = 1; i < links.size(); i++) {
                        ScopeView view = written.get(i).view();
                        answers.add(links.get(i).answer(() -> Uni.createFrom().item(view)));
                    }
                    return Uni.join().all(answers).andCollectFailures().onFailure().recoverWithNull();
                })
                .map(ignored -> (Outcome) new ConditionalSaves.Settled(written.get(0).view())));
    }

    /** Puts {@code followers} back first in line, in their order, each restored on its own context first. */
    private Uni<Void> putBack(ScopeKey key, List<Link> followers) {
        Uni<Void> restored = Uni.createFrom().voidItem();
        for (Link link : followers) {
            restored = restored.chain(() -> onContext(link.follower().payload().context(), () -> {
                ConditionalSaves.abandon(link.prepared());
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

    /** Stages {@code pending}'s save against the scope as {@code before} is to write it (see {@link ConditionalSaves#following}). */
    private Uni<Outcome> follow(Pending pending, Prepared before) {
        return conditional.following(pending.entry(), pending.ifMatch(), pending.edit(), before);
    }

    /** Runs {@code work} on {@code context}, answering on it. */
    private static <T> Uni<T> onContext(Context context, Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> context.runOnContext(ignored -> Uni.createFrom().<T>deferred(work::get)
                .subscribe().with(emitter::complete, emitter::fail)));
    }

}
