package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.scope.Scope;
import dev.options.store.model.OutboxRecord;
import dev.options.store.model.UserOption;
import dev.options.value.OptionJson;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The model layer: the three option models' entities and their one manager, the locking save in a
 * Panache transaction on the scope's row locked PESSIMISTIC_WRITE, values exact through it.
 */
@QuarkusTest
class ModelLayerTest {

    private static final OptionManager.Attribution BY_TEST = new OptionManager.Attribution(null, "api");

    @Inject
    OptionManager manager;

    @Inject
    UserOptions users;

    /** Values that a double, a Vert.x JsonObject or a reordering would change. */
    private static final Map<String, String> EXACT = new LinkedHashMap<>();

    static {
        EXACT.put("big", "9007199254740993");
        EXACT.put("decimal", "1.50");
        EXACT.put("tiny", "1E-400");
        EXACT.put("string", "\"fr\"");
        EXACT.put("array", "[1,\"a\",{\"b\":null},[]]");
        EXACT.put("object", "{\"z\":1,\"a\":[true,false]}");
        EXACT.put("flag", "false");
    }

    private static <T> T run(java.util.function.Supplier<Uni<T>> work) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(work);
    }

    private static Changes upserts(Map<String, String> values) {
        Map<String, JsonNode> upserts = new LinkedHashMap<>();
        values.forEach((key, text) -> upserts.put(key, OptionJson.parseStored(text)));
        return new Changes(upserts, Set.of(), 1);
    }

    @Test
    void theLockingSaveKeepsEveryJsonValueExactThroughEachKindsModel() throws Throwable {
        long user = Fixtures.newId();
        long project = Fixtures.newId();
        for (Scope scope : List.of(Scope.user(user), Scope.userInProject(user, project), Scope.project(project),
                Scope.organization(Fixtures.newId()), Scope.userInOrganization(user, Fixtures.newId()))) {
            Changes changes = upserts(EXACT);
            run(() -> manager.inTransaction(() -> manager.lock(scope)
                    .chain(version -> manager.write(scope, version + 1, changes, BY_TEST))));

            StoredScope inTransaction = run(() -> manager.inTransaction(() -> manager.load(scope)));
            StoredScope direct = run(() -> manager.loadDirect(scope));
            assertThat(inTransaction.version()).as("%s", scope).isEqualTo(1);
            assertThat(inTransaction).as("the session's load and the pool's agree on %s", scope).isEqualTo(direct);
            EXACT.forEach((key, text) -> {
                assertThat(inTransaction.options().get(key)).as("%s %s", scope, key).isEqualTo(OptionJson.parseStored(text));
            });
            assertThat(inTransaction.options().get("decimal").decimalValue().scale()).isEqualTo(2);
            assertThat(inTransaction.options().get("big").bigIntegerValue()).isEqualTo(new java.math.BigInteger("9007199254740993"));
        }
        // each kind read exactly its own rows: the user alone holds 7, not those narrowed to a project
        assertThat(run(() -> manager.inTransaction(() -> manager.load(Scope.user(user)))).options()).hasSize(EXACT.size());
    }

    @Test
    void theEntityMappingReadsAndWritesTheJsonbColumnAsExactText() throws Throwable {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        run(() -> manager.inTransaction(() -> manager.lock(scope).chain(v -> manager.write(scope, v + 1, upserts(EXACT), BY_TEST))));

        List<UserOption> rows = run(() -> Panache.withSession(() -> users
                .list("userId = ?1 and projectId is null and organizationId is null order by key", user)));
        assertThat(rows).extracting(UserOption::key).containsExactly("array", "big", "decimal", "flag", "object", "string", "tiny");
        assertThat(rows).allSatisfy(row -> assertThat(OptionJson.parseStored(row.value)).isEqualTo(OptionJson.parseStored(EXACT.get(row.key))));

        // written through the entity (then rolled back): cast(? AS jsonb), the number as it was given
        long other = Fixtures.newId();
        assertThatThrownBy(() -> run(() -> Panache.withTransaction(() -> {
            UserOption row = new UserOption();
            row.userId = other;
            row.key = "decimal";
            row.value = "1.50";
            return users.persistAndFlush(row)
                    .chain(() -> Panache.getSession())
                    .chain(session -> session.createNativeQuery("SELECT cast(value AS text) FROM user_options WHERE user_id = ?1")
                            .setParameter(1, other).getSingleResult())
                    .invoke(text -> assertThat(text).isEqualTo("1.50"))
                    .chain(() -> Uni.createFrom().failure(new IllegalStateException("roll back")));
        }))).hasMessage("roll back");
        assertThat(Database.userRows(other)).isZero();
    }

    @Test
    void theSaveRecordsItsChangeInTheOutboxInTheSameTransaction() throws Throwable {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        OutboxRecord recorded = run(() -> manager.inTransaction(() -> manager.lock(scope)
                .chain(version -> manager.write(scope, version + 1, upserts(Map.of("b", "1", "a", "2")), BY_TEST))
                .chain(outboxId -> Panache.getSession().chain(session -> session.find(OutboxRecord.class, outboxId)))));
        assertThat(recorded.scopeKey).isEqualTo(scope.key().value());
        assertThat(recorded.version).isEqualTo(1);
        assertThat(OptionJson.parseStored(recorded.keys)).isEqualTo(OptionJson.parseStored("[\"a\",\"b\"]"));
    }

    @Test
    void theScopesLockIsForNoKeyUpdateAndHeldUntilTheTransactionEnds() throws Throwable {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        String key = scope.key().value();
        run(() -> manager.inTransaction(() -> manager.lock(scope).chain(v -> manager.write(scope, v + 1, upserts(Map.of("a", "1")), BY_TEST))));

        CompletableFuture<Long> locked = new CompletableFuture<>();
        CompletableFuture<Void> release = new CompletableFuture<>();
        ExecutorService holder = Executors.newSingleThreadExecutor();
        try {
            Future<Long> held = holder.submit(() -> {
                try {
                    return run(() -> manager.inTransaction(() -> manager.lock(scope)
                            .invoke(locked::complete)
                            .call(() -> resumedHereWhen(release))));
                } catch (Throwable failure) {
                    locked.completeExceptionally(failure);
                    throw new IllegalStateException(failure);
                }
            });
            assertThat(locked.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            // FOR NO KEY UPDATE: a key-share lock (a foreign key's check) still passes, a share lock does not
            assertThat(tryLock(key, "FOR KEY SHARE")).as("FOR KEY SHARE while held").isTrue();
            assertThat(tryLock(key, "FOR SHARE")).as("FOR SHARE while held").isFalse();
            release.complete(null);
            assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(tryLock(key, "FOR UPDATE")).as("FOR UPDATE after the transaction ended").isTrue();
        } finally {
            release.complete(null);
            holder.shutdownNow();
        }
    }

    @Test
    void concurrentLockingSavesOfOneScopeLoseNoIncrementAndOfManyScopesRunSideBySide() throws Throwable {
        long project = Fixtures.newId();
        Scope shared = Scope.project(project);
        int clients = 8;
        int increments = 20;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Void>> done = new java.util.ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Scope own = Scope.userInProject(Fixtures.newId(), project);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < increments; i++) {
                        // each save: lock, read the counter under the lock, write it + 1, on its own session
                        for (Scope scope : List.of(shared, own)) {
                            try {
                                run(() -> manager.inTransaction(() -> manager.lock(scope)
                                        .chain(version -> manager.load(scope).chain(stored -> {
                                            JsonNode counter = stored.options().get("counter");
                                            long next = counter == null ? 1 : counter.longValue() + 1;
                                            return manager.write(scope, version + 1, upserts(Map.of("counter", String.valueOf(next))), BY_TEST);
                                        }))));
                            } catch (Throwable failure) {
                                throw new IllegalStateException(failure);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<Void> client : done) {
                client.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        StoredScope stored = run(() -> manager.loadDirect(shared));
        assertThat(stored.options().get("counter").longValue()).as("no increment lost").isEqualTo(clients * increments);
        assertThat(stored.version()).isEqualTo(clients * increments);
    }

    @Test
    void theFirstSaveOfAScopeCreatesItsRowAndLocksOutsideATransactionAreRefused() throws Throwable {
        Scope scope = Scope.user(Fixtures.newId());
        assertThat(run(() -> manager.inTransaction(() -> manager.lock(scope)))).isZero();
        assertThat(Database.version(scope.key().value())).isZero();
        assertThatThrownBy(() -> run(() -> manager.lock(scope))).hasMessageContaining("Session");
    }

    /** Completes on this Vert.x context once {@code released} does: a session is used on its own thread only. */
    private static Uni<Void> resumedHereWhen(CompletableFuture<Void> released) {
        Context context = Vertx.currentContext();
        return Uni.createFrom().emitter(emitter -> released.thenRun(() -> context.runOnContext(ignored -> emitter.complete(null))));
    }

    /** Whether a session of its own gets the lock {@code mode} on the scope's row at once. */
    private static boolean tryLock(String scopeKey, String mode) throws SQLException {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        try (Connection other = DriverManager.getConnection(url, "postgres", "")) {
            other.setAutoCommit(false);
            try (Statement statement = other.createStatement()) {
                statement.execute("SELECT version FROM option_scopes WHERE scope_key = '" + scopeKey + "' " + mode + " NOWAIT");
                return true;
            } catch (SQLException notGranted) {
                if ("55P03".equals(notGranted.getSQLState())) {
                    return false;
                }
                throw notGranted;
            } finally {
                other.rollback();
            }
        }
    }
}
