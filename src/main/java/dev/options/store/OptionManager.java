package dev.options.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.config.OptionsConfig;
import dev.options.scope.OptionModel;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.reactive.datasource.ReactiveDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Postgres, the source of truth, for all three option models: the one manager the service reads
 * and writes them through, dispatching on the scope's kind to its model's repository.
 *
 * <p>Two paths, for what each is good at. Saves that lock run in a Panache transaction
 * ({@link #inTransaction}): the scope's {@link dev.options.store.model.OptionScope} locked
 * {@code PESSIMISTIC_WRITE}, its rows read and written through its model's
 * {@link ScopedOptionRepository} on the transaction's session. Work that needs no transaction runs
 * as one statement on the reactive pool, with no session to open: cache-miss loads (batched per
 * event-loop turn), the conditional one-statement save, bulk reads, the relay's.
 *
 * <p>Every method's work runs to its end once started, whoever stops listening
 * ({@link Uncancellable}): a pipeline cut off between statements would leave its connection holding
 * a live transaction. Every statement is counted, per unit of work and in the
 * {@code options.store.statements} meter, which is how the "one query per scope per request"
 * promise is checked.
 */
@ApplicationScoped
public class OptionManager {

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

    private final StatementMeters meters;
    private final List<Pool> replicas;
    private final Pool primary;
    private final OptionScopes scopes;
    private final BatchedLoads batched;
    /** The one-statement saves' batches ({@code options.saves.batch}), or null when each is sent alone. */
    private final GroupedSaves grouped;
    private final Map<OptionModel, ScopedOptionRepository<?, ?>> models = new EnumMap<>(OptionModel.class);

    public OptionManager(MeterRegistry meters, StatementMeters statements, Pool primary,
            @ReactiveDataSource("replica") InjectableInstance<Pool> replica, OptionScopes scopes,
            OrganizationOptions organizations, ProjectOptions projects, UserOptions users, OptionsConfig config) {
        this.primary = primary;
        this.scopes = scopes;
        models.put(OptionModel.ORGANIZATION_OPTIONS, organizations);
        models.put(OptionModel.PROJECT_OPTIONS, projects);
        models.put(OptionModel.USER_OPTIONS, users);
        this.meters = statements;
        this.replicas = replica.listActive();
        this.batched = new BatchedLoads(primary, statements.reads, statements.background);
        OptionsConfig.Saves saves = config.saves();
        this.grouped = saves.batch() ? new GroupedSaves(primary, saves.batchInFlight(), saves.batchOverlapAfter(), saves.batchSize(), meters) : null;
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
        return Uncancellable.of(loadFrom(replicas.get(0), scope).invoke(() -> meters.replicaReads.increment()));
    }

    /**
     * Runs {@code work} in one Panache transaction (a Hibernate Reactive session on a pooled
     * connection of the primary): committed when its item arrives, rolled back when it fails.
     * {@link #load}, {@link #lock} and {@link #write} called from within it run on its session, in
     * sequence; a statement on the pool meanwhile would take a second connection.
     */
    public <T> Uni<T> inTransaction(Supplier<Uni<T>> work) {
        return Uncancellable.of(Panache.withTransaction(work));
    }

    /**
     * The scope as the primary holds it now, like {@link #load} but on a pooled connection of its own:
     * for reads outside a transaction.
     */
    public Uni<StoredScope> loadDirect(Scope scope) {
        return Uncancellable.of(loadFrom(primary, scope).invoke(() -> meters.count(meters.reads)));
    }

    /**
     * The scope as the primary holds it now, as {@link #loadDirect} reads it. Asked on an event loop,
     * the load waits for the loop to finish the events at hand and
     * goes out with every other such load they asked for ({@link BatchedLoads}), in one statement per
     * kind (from one snapshot, each scope's version with exactly its rows), as the shared cache
     * batches its reads: the many first reads of a cold start or a burst of new scopes cost Postgres
     * one statement and one round trip a batch instead of one a scope. Each request counts it as one
     * statement of its own; the meter counts the statements sent.
     */
    public Uni<StoredScope> loadBatched(Scope scope) {
        return Uni.createFrom().deferred(() -> {
            boolean background = StatementMeters.inBackground();
            if (!background) {
                Statements.count();
            }
            return batched.load(scope, background);
        });
    }

    private static Uni<StoredScope> loadFrom(SqlClient client, Scope scope) {
        return client.preparedQuery(ScopeSql.of(scope.kind()).load())
                .execute(Tuple.from(scopeParameters(scope)))
                .map(OptionManager::toStoredScope);
    }

    /** The scope's version and stored options, in one statement; needs a transaction. */
    public Uni<StoredScope> load(Scope scope) {
        return model(scope).load(scope).invoke(() -> meters.count(meters.reads));
    }

    private static StoredScope toStoredScope(RowSet<Row> rows) {
        long version = 0;
        Long organization = null;
        String locks = null;
        Integer epoch = null;
        Map<String, JsonNode> options = new TreeMap<>();
        for (Row row : rows) {
            version = row.getLong(0);
            organization = row.getLong(1);
            locks = row.getString(2);
            epoch = row.getInteger(5);
            String key = row.getString(3);
            if (key != null) {
                options.put(key, OptionJson.parseStored(row.getString(4)));
            }
        }
        return new StoredScope(version, options, StoredScope.parseLocks(locks), organization, epoch);
    }

    /**
     * Locks the scope's row until the transaction ends, creating it (at version 0) on first use, and
     * answers the scope's version. Serializes all writers of one scope, including those that only add
     * keys. Needs a transaction.
     */
    public Uni<Long> lock(Scope scope) {
        String key = scope.key().value();
        return lockRow(key).chain(version -> version != null
                ? Uni.createFrom().item(version)
                : scopes.create(key).invoke(() -> meters.count(meters.locks)).chain(created -> created != null
                        ? Uni.createFrom().item(created)
                        : lockRow(key)));
    }

    private Uni<Long> lockRow(String key) {
        return scopes.lock(key).invoke(() -> meters.count(meters.locks));
    }

    /** Who made a change (a token's subject, or null) and through which channel ({@code api}, {@code lock}...), for its history. */
    public record Attribution(String actor, String channel) {
    }

    /** The state of a scope above another that matters to a save below it: its locks, a project's organization. */
    public record Enclosing(SortedSet<String> locks, Long organization) {
    }

    /**
     * The scopes {@code scopeKeys} (those above a scope being saved that can lock it), each held
     * {@code FOR SHARE} until the transaction ends and created at version 0 when it has no row yet;
     * two statements. Needs a transaction.
     */
    public Uni<Map<ScopeKey, Enclosing>> enclosing(List<ScopeKey> scopeKeys) {
        if (scopeKeys.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return scopes.share(scopeKeys.stream().map(ScopeKey::value).toList()).map(rows -> {
            meters.count(meters.locks);
            meters.count(meters.locks);
            Map<ScopeKey, Enclosing> found = new HashMap<>();
            rows.forEach((key, row) -> found.put(new ScopeKey(key),
                    new Enclosing(StoredScope.parseLocks((String) row[2]), row[1] == null ? null : ((Number) row[1]).longValue())));
            return found;
        });
    }

    /**
     * What the one-statement save ({@link #writeIfAt}) requires of the scopes above the one it saves:
     * each of {@code lockers} has a row and locks none of {@code written}; {@code pinned}, a project,
     * still belongs to {@code pinnedOrganization} (null: to none). {@link #NONE} requires nothing.
     */
    public record Guard(List<ScopeKey> lockers, Set<String> written, ScopeKey pinned, Long pinnedOrganization) {

        public static final Guard NONE = new Guard(List.of(), Set.of(), null, null);

        public Guard {
            lockers = List.copyOf(lockers);
            written = Set.copyOf(written);
        }

        /** The guard's parameters of a save's statement, in order: the lockers, the keys written, the pin. */
        private List<Object> parameters() {
            return List.of(OptionJson.text(lockers.stream().map(ScopeKey::value).toList()), OptionJson.text(written), pin());
        }

        private String pin() {
            if (pinned == null) {
                return "{}";
            }
            Map<String, Object> pin = new HashMap<>();
            pin.put("scope", pinned.value());
            pin.put("organization", pinnedOrganization);
            return OptionJson.text(pin);
        }
    }

    /**
     * Applies {@code changes} to the scope (its options, locks and organization), sets its version to
     * {@code version} and records the change in the outbox and, as made {@code by}, in the history,
     * all in one statement; answers the outbox row's id. Needs a transaction that holds the scope's lock.
     */
    public Uni<Long> write(Scope scope, long version, Changes changes, Attribution by) {
        return model(scope).write(scope, saveParameters(scope, version, changes, by))
                .invoke(() -> meters.count(meters.writes))
                .map(outboxId -> {
                    if (outboxId == null) {
                        throw new IllegalStateException("the save found no row of " + scope.key().value() + " to bump");
                    }
                    return outboxId;
                });
    }

    private ScopedOptionRepository<?, ?> model(Scope scope) {
        return models.get(scope.kind().model());
    }

    /**
     * {@link #write}, as one statement of its own (no transaction, no session), made only if the scope
     * is still at {@code version - 1} and the scopes above it are as {@code guard} requires;
     * answers the outbox row's id, or null when either is not so (then nothing is written). The
     * statement's UPDATE takes the scope's row lock, so it serializes with every other writer of the
     * scope exactly as {@link #lock} does, and it holds the guard's scopes shared, as {@link #enclosing} does.
     */
    public Uni<Long> writeIfAt(Scope scope, long version, Changes changes, Attribution by, Guard guard) {
        GroupedSaves.Save save = conditional(scope, version, changes, by, guard);
        if (grouped != null) {
            // a batch is sent whoever waits for it, so the save runs to its end like the statement below
            return grouped.save(save).invoke(() -> meters.count(meters.writes));
        }
        return Uncancellable.of(primary.preparedQuery(save.sql())
                .execute(Tuple.from(save.parameters()))
                .invoke(() -> meters.count(meters.writes))
                .map(rows -> firstLong(rows, null)));
    }

    /** One save of {@link #writeInOrderIfAt}: {@link #writeIfAt}'s arguments. */
    public record Conditional(Scope scope, long version, Changes changes, Attribution by, Guard guard) {
    }

    /**
     * {@link #writeIfAt} for saves of one scope that follow one another, each at the version after the
     * one before it, as one statement, made only if the scope is at the version before the first's and
     * the scopes above it are as every save's guard requires: the options as the last save leaves
     * them, the version set to the last's, and each save's own history entry and outbox row. Answers
     * the saves' outbox row ids in order; all null when the conditions fail or Postgres refuses the
     * statement (nothing is written then). Fails when the connection is lost (it may have committed)
     * or the scope's lock could not be had in time. Only saves of options (no locks, organization or
     * epoch) and of one pinned scope may follow one another.
     */
    public Uni<List<Long>> writeChainIfAt(List<Conditional> saves) {
        Conditional first = saves.get(0);
        Scope scope = first.scope();
        Map<String, JsonNode> upserts = new TreeMap<>();
        Set<String> deletes = new TreeSet<>();
        Set<ScopeKey> lockers = new LinkedHashSet<>();
        Set<String> written = new TreeSet<>();
        List<Long> versions = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<String> histories = new ArrayList<>();
        List<String> actors = new ArrayList<>();
        List<String> channels = new ArrayList<>();
        for (Conditional save : saves) {
            Changes changes = save.changes();
            if (!save.scope().equals(scope) || save.version() != first.version() + versions.size()
                    || changes.locks() != null || changes.organization() != null || changes.epoch() != null
                    || !Objects.equals(save.guard().pinned(), first.guard().pinned())
                    || !Objects.equals(save.guard().pinnedOrganization(), first.guard().pinnedOrganization())) {
                throw new IllegalArgumentException("saves that do not follow one another in one scope: " + saves);
            }
            changes.deletes().forEach(key -> {
                upserts.remove(key);
                deletes.add(key);
            });
            changes.upserts().forEach((key, value) -> {
                deletes.remove(key);
                upserts.put(key, value);
            });
            lockers.addAll(save.guard().lockers());
            written.addAll(save.guard().written());
            versions.add(save.version());
            keys.add(OptionJson.text(changes.keys()));
            histories.add(changes.historyJson());
            actors.add(save.by().actor() == null ? "" : save.by().actor());
            channels.add(save.by().channel());
        }
        Guard guard = new Guard(List.copyOf(lockers), written, first.guard().pinned(), first.guard().pinnedOrganization());
        Tuple parameters = Tuple.tuple();
        scopeParameters(scope).forEach(parameters::addValue);
        parameters.addString(OptionJson.text(OptionJson.object(upserts)))
                .addString(OptionJson.text(deletes))
                .addArrayOfLong(versions.toArray(Long[]::new))
                .addArrayOfString(keys.toArray(String[]::new))
                .addString(first.changes().stateJson())
                .addArrayOfString(histories.toArray(String[]::new))
                .addArrayOfString(actors.toArray(String[]::new))
                .addArrayOfString(channels.toArray(String[]::new));
        guard.parameters().forEach(parameters::addValue);
        List<Long> none = new ArrayList<>(Collections.nCopies(saves.size(), (Long) null));
        return Uncancellable.of(primary.preparedQuery(ScopeSql.of(scope.kind()).writeChainIfAt()).execute(parameters)
                .invoke(() -> meters.count(meters.writes))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return none;
                    }
                    Map<Long, Long> byVersion = new HashMap<>();
                    rows.forEach(row -> byVersion.put(row.getLong(1), row.getLong(0)));
                    return versions.stream().map(byVersion::get).toList();
                })
                // refused, the statement wrote nothing
                .onFailure(failure -> failure instanceof PgException && !PostgresWaits.gaveUp(failure))
                .recoverWithItem(none));
    }

    /** {@link #writeIfAt}'s statement and parameters. */
    static GroupedSaves.Save conditional(Scope scope, long version, Changes changes, Attribution by, Guard guard) {
        List<Object> parameters = saveParameters(scope, version, changes, by);
        parameters.addAll(guard.parameters());
        return new GroupedSaves.Save(scope.kind(), scope.key().value(), parameters, ScopeSql.of(scope.kind()).writeIfAt());
    }

    /** The scope's version now (0 when never written), in one statement of its own. */
    public Uni<Long> version(Scope scope) {
        return Uncancellable.of(primary.preparedQuery("SELECT version FROM option_scopes WHERE scope_key = $1")
                .execute(Tuple.of(scope.key().value()))
                .invoke(() -> meters.count(meters.reads))
                .map(rows -> firstLong(rows, 0L)));
    }

    /** Deletes the outbox rows whose ids are {@code $1}, an array. */
    public static final String DELETE_OUTBOX = "DELETE FROM option_outbox WHERE id = ANY($1)";

    /** Removes published changes from the outbox, in one statement of its own: background work, never a request's. */
    public Uni<Integer> deleteOutbox(List<Long> ids) {
        return Uncancellable.of(primary.preparedQuery(DELETE_OUTBOX)
                .execute(Tuple.of(ids.toArray(new Long[0])))
                .invoke(() -> meters.background.increment())
                .map(rows -> rows.rowCount()));
    }

    /** One scope's part of a bulk read: its epoch of defaults (null when never written) and its stored value (null for none). */
    public record Stored(Integer epoch, JsonNode value) {
    }

    /**
     * The stored value of {@code key} in each of the single-identifier scopes of {@code kind} named by
     * {@code ids} (or, where it has none, that of the first of {@code oldNames} it stores), with the
     * scope's epoch, in one statement on a pooled connection of its own.
     */
    public Uni<Map<Long, Stored>> bulk(ScopeKind kind, String key, List<String> oldNames, List<Long> ids) {
        String[] keys = ids.stream().map(id -> Scope.of(kind, id).key().value()).toArray(String[]::new);
        List<String> names = new ArrayList<>(oldNames.size() + 1);
        names.add(key);
        names.addAll(oldNames);
        return Uncancellable.of(primary.preparedQuery(ScopeSql.of(kind).bulk())
                .execute(Tuple.of(names.toArray(new String[0]), keys, ids.toArray(new Long[0])))
                .invoke(() -> meters.count(meters.reads))
                .map(rows -> {
                    Map<Long, Stored> values = new HashMap<>();
                    for (Row row : rows) {
                        String value = row.getString(2);
                        values.put(row.getLong(0), new Stored(row.getInteger(1), value == null ? null : OptionJson.parseStored(value)));
                    }
                    return values;
                }));
    }

    /** The parameters every statement of a scope starts with (see {@link ScopeSql}): its key, then its ids. */
    private static List<Object> scopeParameters(Scope scope) {
        List<Object> parameters = new ArrayList<>(scope.ids().size() + 5);
        parameters.add(scope.key().value());
        parameters.addAll(scope.ids());
        return parameters;
    }

    /** The parameters of a save's statement, {@link ScopeSql#write} or {@link ScopeSql#writeIfAt}, in order. */
    private static List<Object> saveParameters(Scope scope, long version, Changes changes, Attribution by) {
        List<Object> parameters = scopeParameters(scope);
        parameters.add(OptionJson.text(OptionJson.object(changes.upserts())));
        parameters.add(OptionJson.text(changes.deletes()));
        parameters.add(version);
        parameters.add(OptionJson.text(changes.keys()));
        parameters.add(changes.stateJson());
        parameters.add(changes.historyJson());
        parameters.add(by.actor() == null ? "" : by.actor());
        parameters.add(by.channel());
        return parameters;
    }

    /** The first column of the first row as a long, or {@code none} when there is no row. */
    static Long firstLong(RowSet<Row> rows, Long none) {
        return rows.size() == 0 ? none : rows.iterator().next().getLong(0);
    }
}
