package dev.options.option;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.Statements;
import io.smallrye.mutiny.Uni;

/**
 * The request-local cache: every scope one unit of work (one HTTP request) has read or staged, by
 * scope key. It lives on the request's Vert.x duplicated context and dies with it, so nothing in it is
 * ever visible to another request; see {@link dev.options.option.RequestCache}.
 */
public final class UnitOfWork {

    private final Map<ScopeKey, ScopeEntry> entries = new HashMap<>();
    private boolean inTransaction;
    private final List<Supplier<Uni<Void>>> afterCommit = new ArrayList<>();
    private String actor;
    private Channel channel = Channel.API;

    /** Who this unit of work's changes are recorded as made by (a token's subject), or null for no one known. */
    public String actor() {
        return actor;
    }

    public Channel channel() {
        return channel;
    }

    /** Records this unit of work's later changes as made by {@code actor} through {@code channel}. */
    void attribute(String actor, Channel channel) {
        this.actor = actor;
        this.channel = channel;
    }

    /** The entry of {@code scope}, created empty on first use. */
    public ScopeEntry entry(Scope scope) {
        return entries.computeIfAbsent(scope.key(), key -> new ScopeEntry(scope));
    }

    /** Whether this unit of work has read or staged nothing yet. */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public Optional<ScopeEntry> find(Scope scope) {
        return Optional.ofNullable(entries.get(scope.key()));
    }

    /** SQL statements this unit of work (its request) has sent to Postgres. */
    public int statements() {
        return Statements.counted();
    }

    boolean inTransaction() {
        return inTransaction;
    }

    void beginTransaction() {
        if (inTransaction) {
            throw new IllegalStateException("a transaction is already open in this unit of work");
        }
        inTransaction = true;
    }

    void endTransaction(boolean committed) {
        inTransaction = false;
        entries.values().forEach(entry -> entry.transactionEnded(committed));
        if (!committed) {
            afterCommit.clear();
        }
    }

    /** Runs {@code action} once the current transaction has committed (and never if it rolls back). */
    void afterCommit(Supplier<Uni<Void>> action) {
        afterCommit.add(action);
    }

    /** The actions of the transaction that just committed, in order. */
    Uni<Void> runAfterCommit() {
        List<Supplier<Uni<Void>>> actions = List.copyOf(afterCommit);
        afterCommit.clear();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Supplier<Uni<Void>> action : actions) {
            chain = chain.chain(ignored -> action.get());
        }
        return chain;
    }
}
