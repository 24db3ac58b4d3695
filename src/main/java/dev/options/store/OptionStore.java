package dev.options.store;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;
import io.micrometer.core.instrument.Counter;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Postgres, the source of truth, for all three option models through one set of generated
 * statements, on the reactive Postgres client. The methods that need a transaction run on the
 * connection of the one {@link #inTransaction} opened for this unit of work (held in its Vert.x
 * context, as Panache held its session) and issue their statements in sequence; the others each
 * take a pooled connection of their own.
 *
 * <p>Every statement is counted, per unit of work and in the {@code options.store.statements} meter,
 * which is how the "one query per scope per request" promise is checked.
 */
@ApplicationScoped
public class OptionStore {

    private static final String LOCK = "SELECT version FROM option_scopes WHERE scope_key = $1 FOR NO KEY UPDATE";
    private static final String CREATE = "INSERT INTO option_scopes (scope_key, version) VALUES ($1, 0)"
            + " ON CONFLICT (scope_key) DO NOTHING RETURNING version";
    /** The context-local key of the open transaction's connection. */
    private static final String TRANSACTION = "dev.options.transaction";

    /** Marks a Vert.x context whose statements are background work (the relay, refreshes), not requests'. */
    public static final String BACKGROUND = "dev.options.background";

    /**
     * Runs {@code work} on a new duplicated context of {@code vertx} marked as background work, so that
     * its statements count as such and never as those of the request that happened to start it.
     */
    public static void inBackground(Vertx vertx, Runnable work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(ignored -> {
            ContextLocals.put(BACKGROUND, Boolean.TRUE);
            work.run();
        });
    }

    private final Counter reads;
    private final Counter locks;
    private final Counter writes;
    private final Counter background;
    private final Counter replicaReads;
    private final List<Pool> replicas;
    private final Pool primary;

    public OptionStore(MeterRegistry meters, Pool primary, @ReactiveDataSource("replica") InjectableInstance<Pool> replica) {
        this.primary = primary;
        this.reads = statements(meters, "read", "request", "primary");
        this.locks = statements(meters, "lock", "request", "primary");
        this.writes = statements(meters, "write", "request", "primary");
        this.background = statements(meters, "any", "background", "primary");
        this.replicaReads = statements(meters, "read", "request", "replica");
        this.replicas = replica.listActive();
    }

    private static Counter statements(MeterRegistry meters, String kind, String caller, String pool) {
        return Counter.builder("options.store.statements")
                .description("SQL statements sent to Postgres")
                .tag("kind", kind)
                .tag("caller", caller)
                .tag("pool", pool)
                .register(meters);
    }

    /** Whether a read replica is configured ({@code quarkus.datasource.replica.reactive.url}). */
    public boolean hasReplica() {
        return !replicas.isEmpty();
    }

    /**
     * The scope as the read replica holds it, in one statement of the same shape as {@link #load};
     * for NORMAL reads only, since a replica may lag.
     */
    public Uni<StoredScope> loadFromReplica(Scope scope) {
        return loadFrom(replicas.get(0), scope).invoke(() -> replicaReads.increment());
    }

    /**
     * Runs {@code work} in one Postgres transaction on a pooled connection of the primary: committed
     * when its item arrives, rolled back when it fails. {@link #load}, {@link #lock} and {@link #write}
     * called from within it run on that connection.
     */
    public <T> Uni<T> inTransaction(Supplier<Uni<T>> work) {
        return primary.withTransaction(connection -> {
            ContextLocals.put(TRANSACTION, connection);
            return Uni.createFrom().<T>deferred(work::get).eventually(() -> ContextLocals.remove(TRANSACTION));
        });
    }

    /** The connection of the transaction {@link #inTransaction} opened. */
    private static Uni<SqlConnection> transaction() {
        return Uni.createFrom().deferred(() -> ContextLocals.<SqlConnection>get(TRANSACTION)
                .map(connection -> Uni.createFrom().item(connection))
                .orElseGet(() -> Uni.createFrom().failure(new IllegalStateException("no transaction is open"))));
    }

    /**
     * The scope as the primary holds it now, like {@link #load} but on a pooled connection of its own:
     * for reads outside a transaction.
     */
    public Uni<StoredScope> loadDirect(Scope scope) {
        return loadFrom(primary, scope).invoke(() -> count(reads));
    }

    /**
     * The scope as the primary holds it now, as {@link #loadDirect} reads it. Asked on an event loop
     * for a scope of one identifier, the load waits for the loop to finish the events at hand and
     * goes out with every other such load they asked for, in one statement per kind (from one
     * snapshot, each scope's version with exactly its rows), as the shared cache batches its reads:
     * the many first reads of a cold start or a burst of new scopes cost Postgres one statement and
     * one round trip a batch instead of one a scope. Each request counts it as one statement of its
     * own; the meter counts the statements sent.
     */
    public Uni<StoredScope> loadBatched(Scope scope) {
        if (!scope.kind().singleId()) {
            return loadDirect(scope);
        }
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            if (context == null || !Context.isOnEventLoopThread()) {
                return loadDirect(scope);
            }
            boolean background = inBackground();
            if (!background) {
                Statements.count();
            }
            ContextInternal caller = (ContextInternal) context;
            ContextInternal loop = caller.unwrap();
            Loads loads = (Loads) loop.contextData().computeIfAbsent(Loads.class, ignored -> new Loads());
            return Uni.createFrom().emitter(waiter -> {
                if (loads.add(scope, background, new Waiter(waiter, caller))) {
                    loop.runOnContext(ignored -> send(loads.take()));
                }
            });
        });
    }

    /**
     * A load's subscriber and the context it asked on (a request's duplicated context): it resumes
     * there, as it would after a statement of its own, so that what it does next (its unit of work,
     * its context locals) is its request's.
     */
    private record Waiter(UniEmitter<? super StoredScope> emitter, ContextInternal context) {
        void complete(StoredScope stored) {
            context.emit(stored, emitter::complete);
        }

        void fail(Throwable failure) {
            context.emit(failure, emitter::fail);
        }
    }

    /** The loads one event loop asked for since its batch was last sent; touched by that loop's thread only. */
    private static final class Loads {
        private List<Scope> scopes = new ArrayList<>();
        private List<Waiter> waiters = new ArrayList<>();
        private boolean forRequests;

        /** Adds a load; true when it is the first since the last {@link #take}, so the batch is to be sent. */
        boolean add(Scope scope, boolean background, Waiter waiter) {
            scopes.add(scope);
            waiters.add(waiter);
            forRequests |= !background;
            return scopes.size() == 1;
        }

        Loads take() {
            Loads taken = new Loads();
            taken.scopes = scopes;
            taken.waiters = waiters;
            taken.forRequests = forRequests;
            scopes = new ArrayList<>();
            waiters = new ArrayList<>();
            forRequests = false;
            return taken;
        }
    }

    private void send(Loads loads) {
        Map<ScopeKind, List<Integer>> byKind = new EnumMap<>(ScopeKind.class);
        for (int i = 0; i < loads.scopes.size(); i++) {
            byKind.computeIfAbsent(loads.scopes.get(i).kind(), ignored -> new ArrayList<>()).add(i);
        }
        byKind.forEach((kind, positions) -> {
            String[] keys = new String[positions.size()];
            Long[] ids = new Long[positions.size()];
            for (int j = 0; j < keys.length; j++) {
                Scope scope = loads.scopes.get(positions.get(j));
                keys[j] = scope.key().value();
                ids[j] = scope.ids().get(0);
            }
            primary.preparedQuery(ScopeSql.of(kind).loadMany()).execute(Tuple.of(keys, ids))
                    .invoke(() -> (loads.forRequests ? reads : background).increment())
                    // read before subscribing: a callback that threw would leave the waiters waiting
                    .map(rows -> toStoredScopes(rows, keys.length))
                    .subscribe().with(found -> {
                        for (int j = 0; j < found.length; j++) {
                            found[j].answer(loads.waiters.get(positions.get(j)));
                        }
                    }, failure -> positions.forEach(position -> loads.waiters.get(position).fail(failure)));
        });
    }

    /** One scope of a batch as it was read: its stored state, or why it could not be read. */
    private sealed interface Loaded {
        void answer(Waiter waiter);
    }

    private record Read(StoredScope stored) implements Loaded {
        public void answer(Waiter waiter) {
            waiter.complete(stored);
        }
    }

    private record Unreadable(RuntimeException failure) implements Loaded {
        public void answer(Waiter waiter) {
            waiter.fail(failure);
        }
    }

    /**
     * The scopes of a {@link ScopeSql#loadMany} answer, in the order they were asked for; a row that
     * cannot be read fails its own scope alone, never the others of its batch.
     */
    private static Loaded[] toStoredScopes(RowSet<Row> rows, int count) {
        long[] versions = new long[count];
        RuntimeException[] failures = new RuntimeException[count];
        List<Map<String, JsonNode>> options = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            options.add(new TreeMap<>());
        }
        for (Row row : rows) {
            int position = (int) (row.getLong(0) - 1);
            versions[position] = row.getLong(1);
            String key = row.getString(2);
            if (key != null && failures[position] == null) {
                try {
                    options.get(position).put(key, OptionJson.parseStored(row.getString(3)));
                } catch (RuntimeException unreadable) {
                    failures[position] = unreadable;
                }
            }
        }
        Loaded[] scopes = new Loaded[count];
        for (int i = 0; i < count; i++) {
            scopes[i] = failures[i] != null ? new Unreadable(failures[i]) : new Read(new StoredScope(versions[i], options.get(i)));
        }
        return scopes;
    }

    private static Uni<StoredScope> loadFrom(SqlClient client, Scope scope) {
        return client.preparedQuery(ScopeSql.of(scope.kind()).load())
                .execute(Tuple.from(scopeParameters(scope)))
                .map(OptionStore::toStoredScope);
    }

    /** The scope's version and stored options, in one statement; needs a transaction. */
    public Uni<StoredScope> load(Scope scope) {
        return transaction().chain(connection -> loadFrom(connection, scope)).invoke(() -> count(reads));
    }

    private static StoredScope toStoredScope(RowSet<Row> rows) {
        long version = 0;
        Map<String, JsonNode> options = new TreeMap<>();
        for (Row row : rows) {
            version = row.getLong(0);
            String key = row.getString(1);
            if (key != null) {
                options.put(key, OptionJson.parseStored(row.getString(2)));
            }
        }
        return new StoredScope(version, options);
    }

    /**
     * Locks the scope's row until the transaction ends, creating it (at version 0) on first use, and
     * answers the scope's version. Serializes all writers of one scope, including those that only add
     * keys. Needs a transaction.
     */
    public Uni<Long> lock(Scope scope) {
        Tuple key = Tuple.of(scope.key().value());
        return transaction().chain(connection -> lockRow(connection, key)
                .chain(version -> version != null
                        ? Uni.createFrom().item(version)
                        : createRow(connection, key).chain(created -> created != null
                                ? Uni.createFrom().item(created)
                                : lockRow(connection, key))));
    }

    private Uni<Long> lockRow(SqlConnection connection, Tuple key) {
        return connection.preparedQuery(LOCK).execute(key)
                .invoke(() -> count(locks))
                .map(rows -> firstLong(rows, null));
    }

    /** The new row's version, or null when another transaction created it first (then it is committed). */
    private Uni<Long> createRow(SqlConnection connection, Tuple key) {
        return connection.preparedQuery(CREATE).execute(key)
                .invoke(() -> count(locks))
                .map(rows -> firstLong(rows, null));
    }

    /**
     * Applies {@code changes} to the scope, sets its version to {@code version} and records the change
     * in the outbox, all in one statement; answers the outbox row's id. Needs a transaction that holds
     * the scope's lock.
     */
    public Uni<Long> write(Scope scope, long version, Changes changes) {
        String sql = ScopeSql.of(scope.kind()).write();
        return transaction()
                .chain(connection -> connection.preparedQuery(sql).execute(Tuple.from(saveParameters(scope, version, changes))))
                .invoke(() -> count(writes))
                .map(rows -> {
                    Long outboxId = firstLong(rows, null);
                    if (outboxId == null) {
                        throw new IllegalStateException("the save found no row of " + scope.key().value() + " to bump");
                    }
                    return outboxId;
                });
    }

    /**
     * {@link #write}, as one statement of its own (no transaction, no session), made only if the scope
     * is still at {@code version - 1}; answers the outbox row's id, or null when the scope has moved
     * on (then nothing is written). The statement's UPDATE takes the scope's row lock, so it
     * serializes with every other writer of the scope exactly as {@link #lock} does.
     */
    public Uni<Long> writeIfAt(Scope scope, long version, Changes changes) {
        return primary.preparedQuery(ScopeSql.of(scope.kind()).writeIfAt())
                .execute(Tuple.from(saveParameters(scope, version, changes)))
                .invoke(() -> count(writes))
                .map(rows -> firstLong(rows, null));
    }

    /** The scope's version now (0 when never written), in one statement of its own. */
    public Uni<Long> version(Scope scope) {
        return primary.preparedQuery("SELECT version FROM option_scopes WHERE scope_key = $1")
                .execute(Tuple.of(scope.key().value()))
                .invoke(() -> count(reads))
                .map(rows -> firstLong(rows, 0L));
    }

    /** Deletes the outbox rows whose ids are {@code $1}, an array. */
    public static final String DELETE_OUTBOX = "DELETE FROM option_outbox WHERE id = ANY($1)";

    /** Removes published changes from the outbox, in one statement of its own: background work, never a request's. */
    public Uni<Integer> deleteOutbox(List<Long> ids) {
        return primary.preparedQuery(DELETE_OUTBOX)
                .execute(Tuple.of(ids.toArray(new Long[0])))
                .invoke(() -> background.increment())
                .map(rows -> rows.rowCount());
    }

    /**
     * The stored value of {@code key} in each of the single-identifier scopes of {@code kind} named by
     * {@code ids}, in one statement on a pooled connection of its own; absent where nothing is stored.
     */
    public Uni<Map<Long, JsonNode>> bulk(ScopeKind kind, String key, List<Long> ids) {
        return primary.preparedQuery(ScopeSql.of(kind).bulk())
                .execute(Tuple.of(key, ids.toArray(new Long[0])))
                .invoke(() -> count(reads))
                .map(rows -> {
                    Map<Long, JsonNode> values = new HashMap<>();
                    for (Row row : rows) {
                        values.put(row.getLong(0), OptionJson.parseStored(row.getString(1)));
                    }
                    return values;
                });
    }

    /** The parameters every statement of a scope starts with (see {@link ScopeSql}): its key, then its ids. */
    private static List<Object> scopeParameters(Scope scope) {
        List<Object> parameters = new ArrayList<>(scope.ids().size() + 5);
        parameters.add(scope.key().value());
        parameters.addAll(scope.ids());
        return parameters;
    }

    /** The parameters of a save's statement, {@link ScopeSql#write} or {@link ScopeSql#writeIfAt}, in order. */
    private static List<Object> saveParameters(Scope scope, long version, Changes changes) {
        List<Object> parameters = scopeParameters(scope);
        parameters.add(OptionJson.text(OptionJson.object(changes.upserts())));
        parameters.add(OptionJson.text(changes.deletes()));
        parameters.add(version);
        parameters.add(OptionJson.text(changes.keys()));
        return parameters;
    }

    /** The first column of the first row as a long, or {@code none} when there is no row. */
    private static Long firstLong(RowSet<Row> rows, Long none) {
        return rows.size() == 0 ? none : rows.iterator().next().getLong(0);
    }

    private static boolean inBackground() {
        return VertxContext.isOnDuplicatedContext() && ContextLocals.get(BACKGROUND).isPresent();
    }

    private void count(Counter counter) {
        if (inBackground()) {
            background.increment();
            return;
        }
        counter.increment();
        Statements.count();
    }
}
