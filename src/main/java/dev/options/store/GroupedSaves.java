package dev.options.store;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.options.scope.ScopeKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.pgclient.PgException;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * One-statement saves sent to Postgres together, as group commit does: while a batch is being sent,
 * the saves that arrive wait, and go as the members of the next one, up to {@code most} at a time.
 * Another batch goes beside those in flight (up to {@code inFlight}) only once the newest of them
 * has been in flight {@code overlapAfter}: so each commit's flush carries as many saves as it can,
 * and a batch held up by a row lock holds the others back no longer than that. The members of one
 * kind go as one statement ({@link ScopeSql#writeManyIfAt}), autocommitted, so many saves cost one
 * statement and one commit; a member alone in its kind goes as its own statement, as an unbatched
 * save does. Each member's outcome is its own: one whose conditions
 * fail (the scope moved on, a lock above) is not made and answers null, and when Postgres refuses a
 * statement, its members are sent again alone, so that the failure is only their own (a connection
 * lost under a statement fails its members, as it fails a save alone: it may have committed). A
 * statement is atomic: each member is committed (with its outbox row and history entry) or not.
 *
 * <p>Members are sent in the order of their kinds and scope keys, so that statements in flight at
 * once take the scopes' row locks in one order. Each member's caller is answered on the Vert.x
 * context it asked on.
 */
final class GroupedSaves {

    /**
     * A save: its kind, the scope key it is ordered by, its statement alone and that statement's
     * parameters (strings and longs, as {@link ScopeSql#writeManyIfAt} takes them in arrays).
     */
    record Save(ScopeKind kind, String scopeKey, List<Object> parameters, String sql) {
    }

    private final Pool primary;
    private final int batches;
    private final long overlapAfterNanos;
    private final int most;
    private final DistributionSummary sizes;
    private final Counter resent;
    /** Saves waiting for a batch, and the batches in flight; guarded by this. */
    private final ArrayDeque<Member> waiting = new ArrayDeque<>();
    private int sending;
    /** When the newest batch in flight was sent (nanoTime), and whether a timer will look again. */
    private long sentAt;
    private boolean looking;

    GroupedSaves(Pool primary, int inFlight, Duration overlapAfter, int most, MeterRegistry meters) {
        this.primary = primary;
        this.batches = inFlight;
        this.overlapAfterNanos = overlapAfter.toNanos();
        this.most = most;
        this.sizes = DistributionSummary.builder("options.saves.batch.size")
                .description("Saves sent to Postgres together, per batch (a batch of one is a statement of its own)")
                .register(meters);
        this.resent = Counter.builder("options.saves.batch.resent")
                .description("Batches whose statement Postgres refused (so it wrote nothing), their members then sent alone")
                .register(meters);
    }

    /** The save's outbox row id, or null when its guard found the scope changed (nothing written). */
    Uni<Long> save(Save save) {
        return Uni.createFrom().emitter(emitter -> {
            Member member = new Member(save, emitter, (ContextInternal) Vertx.currentContext());
            synchronized (this) {
                waiting.add(member);
            }
            startOrLookLater(member.context());
        });
    }

    /** Sends a batch when one may go now; else, when saves wait for that, has a timer look again. */
    private void startOrLookLater(ContextInternal context) {
        List<Member> batch;
        long lookIn;
        synchronized (this) {
            batch = startIfDue();
            lookIn = batch == null ? lookLater() : -1;
        }
        if (batch != null) {
            send(batch);
        } else if (lookIn >= 0) {
            lookAgainIn(lookIn, context);
        }
    }

    /** A new batch of the waiting saves, when one may go beside those in flight now; else null. Under this's lock. */
    private List<Member> startIfDue() {
        long now = System.nanoTime();
        if (waiting.isEmpty() || sending >= batches || (sending > 0 && now - sentAt < overlapAfterNanos)) {
            return null;
        }
        sending++;
        sentAt = now;
        return take();
    }

    /**
     * Nanoseconds until a batch may go beside those in flight, when saves wait for that and no timer
     * looks already; else -1. Under this's lock.
     */
    private long lookLater() {
        if (looking || waiting.isEmpty() || sending >= batches) {
            return -1;
        }
        looking = true;
        return Math.max(0, overlapAfterNanos - (System.nanoTime() - sentAt));
    }

    private void lookAgainIn(long nanos, ContextInternal context) {
        if (context == null) {
            // no event loop to time it (a caller off Vert.x): the next arrival or answer looks again
            synchronized (this) {
                looking = false;
            }
            return;
        }
        context.owner().setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), id -> {
            synchronized (this) {
                looking = false;
            }
            startOrLookLater(context);
        });
    }

    /** The next batch's members, in the order their row locks are taken. */
    private List<Member> take() {
        List<Member> batch = new ArrayList<>(Math.min(most, waiting.size()));
        while (batch.size() < most && !waiting.isEmpty()) {
            batch.add(waiting.poll());
        }
        batch.sort(Comparator.comparing((Member member) -> member.save().kind()).thenComparing(member -> member.save().scopeKey()));
        return batch;
    }

    private void send(List<Member> batch) {
        sizes.record(batch.size());
        // whatever happens, every member is answered (a second answer is ignored) and the next batch goes
        Uni.createFrom().deferred(() -> batch.size() == 1 ? alone(batch.get(0)) : together(batch)).subscribe().with(
                ignored -> next(),
                failure -> {
                    batch.forEach(member -> member.answer(null, failure));
                    next();
                });
    }

    /** Sends the next batch when saves wait, else counts one batch fewer in flight. */
    private void next() {
        List<Member> batch;
        synchronized (this) {
            if (waiting.isEmpty()) {
                sending--;
                return;
            }
            sentAt = System.nanoTime();
            batch = take();
        }
        send(batch);
    }

    private Uni<Void> alone(Member member) {
        return primary.preparedQuery(member.save().sql()).execute(Tuple.from(member.save().parameters()))
                .onItemOrFailure().invoke((rows, failure) -> member.answer(
                        rows == null || rows.size() == 0 ? null : rows.iterator().next().getLong(0), failure))
                .replaceWithVoid()
                .onFailure().recoverWithNull();
    }

    /** One statement per kind among the batch's members, sent at once; a kind with one member sends its own. */
    private Uni<Void> together(List<Member> batch) {
        List<Uni<Void>> statements = new ArrayList<>();
        int from = 0;
        while (from < batch.size()) {
            int end = from;
            while (end < batch.size() && batch.get(end).save().kind() == batch.get(from).save().kind()) {
                end++;
            }
            List<Member> ofKind = batch.subList(from, end);
            statements.add(ofKind.size() == 1 ? alone(ofKind.get(0)) : many(ofKind));
            from = end;
        }
        return Uni.join().all(statements).andCollectFailures().replaceWithVoid();
    }

    /**
     * The members (of one kind) as one statement, each parameter an array of the members' values. A
     * failed statement wrote nothing: its members are sent again alone, so that each fails by itself.
     */
    private Uni<Void> many(List<Member> members) {
        Save first = members.get(0).save();
        int width = first.parameters().size();
        Tuple arrays = Tuple.tuple();
        for (int j = 0; j < width; j++) {
            Object sample = null;
            for (Member member : members) {
                sample = sample != null ? sample : member.save().parameters().get(j);
            }
            if (sample instanceof Long) {
                Long[] column = new Long[members.size()];
                for (int i = 0; i < column.length; i++) {
                    column[i] = (Long) members.get(i).save().parameters().get(j);
                }
                arrays.addArrayOfLong(column);
            } else {
                String[] column = new String[members.size()];
                for (int i = 0; i < column.length; i++) {
                    column[i] = (String) members.get(i).save().parameters().get(j);
                }
                arrays.addArrayOfString(column);
            }
        }
        return primary.preparedQuery(ScopeSql.of(first.kind()).writeManyIfAt()).execute(arrays)
                .onItem().invoke(rows -> {
                    Long[] outboxIds = new Long[members.size()];
                    for (Row row : rows) {
                        outboxIds[row.getLong(0).intValue() - 1] = row.getLong(1);
                    }
                    for (int i = 0; i < outboxIds.length; i++) {
                        members.get(i).answer(outboxIds[i], null);
                    }
                })
                .replaceWithVoid()
                // Postgres refused the statement, so it committed nothing: each member alone then. A
                // connection lost on the way may have committed it: its members fail, as a save alone would.
                .onFailure(PgException.class).recoverWithUni(failure -> resend(members))
                .onFailure().invoke(failure -> members.forEach(member -> member.answer(null, failure)))
                .onFailure().recoverWithNull();
    }

    /** After a failed statement: every member alone, so that each fails or succeeds by itself. */
    private Uni<Void> resend(List<Member> members) {
        resent.increment();
        return Uni.join().all(members.stream().map(this::alone).toList()).andCollectFailures().replaceWithVoid();
    }

    /** A save waiting for its batch, and whom to answer. */
    private record Member(Save save, UniEmitter<? super Long> emitter, ContextInternal context) {

        void answer(Long outboxId, Throwable failure) {
            if (failure != null) {
                emit(emitter -> emitter.fail(failure));
                return;
            }
            emit(emitter -> emitter.complete(outboxId));
        }

        private void emit(Consumer<UniEmitter<? super Long>> answer) {
            if (context == null) {
                answer.accept(emitter);
            } else {
                context.emit(emitter, answer::accept);
            }
        }
    }
}
