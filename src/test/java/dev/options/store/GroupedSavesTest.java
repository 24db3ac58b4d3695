package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.scope.Scope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Saves sent together are each their own: members whose conditions fail are not made and fail no
 * other; a member whose statement Postgres refuses fails alone (the batch's statement is rolled back
 * and its members sent again one by one); a statement cut off in the middle leaves every member made
 * once or not at all, with its outbox row and history entry. Batches are made to form by holding one scope's
 * row lock, so that the save in flight waits and the saves behind it gather.
 */
@QuarkusTest
class GroupedSavesTest {

    @Inject
    Pool pool;

    @Inject
    Vertx vertx;

    @Inject
    OptionManager manager;

    /** How the statements of a batch and of a save alone begin. */
    private static final String MANY = "WITH m AS";
    private static final String ALONE = "WITH bumped AS";

    private static final OptionManager.Attribution BY = new OptionManager.Attribution("grouped-test", "api");

    @Test
    void aMemberWhoseScopeMovedOnIsNotMadeAndTheOthersAre() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        GroupedSaves grouped = new GroupedSaves(pool, 1, Duration.ZERO, 64, meters);
        List<Scope> scopes = scopesAtVersionOne(9);
        Scope blocker = scopes.get(0);
        Scope movedOn = scopes.get(8);
        List<CompletableFuture<Long>> answers = new ArrayList<>();
        try (Held held = hold(blocker)) {
            answers.add(send(grouped, blocker, 2));
            awaitWaiting(blocker, ALONE);
            for (Scope scope : scopes.subList(1, 8)) {
                answers.add(send(grouped, scope, 2));
            }
            // judged against version 4: the scope is at 1, so its save is not made
            answers.add(send(grouped, movedOn, 5));
        }
        for (int i = 0; i < 8; i++) {
            assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).as("save %d", i).isNotNull();
            assertMadeOnce(scopes.get(i), 2);
        }
        assertThat(answers.get(8).get(30, TimeUnit.SECONDS)).isNull();
        assertNotMade(movedOn);
        assertThat(meters.summary("options.saves.batch.size").max()).isEqualTo(8);
        assertThat(meters.counter("options.saves.batch.resent").count()).isZero();
    }

    /**
     * A batch held up by a row lock holds back the saves behind it only {@code overlapAfter}: then
     * they go beside it, from a timer when nothing else arrives.
     */
    @Test
    void aBatchHeldUpByARowLockHoldsTheOthersBackOnlyForAWhile() throws Exception {
        GroupedSaves grouped = new GroupedSaves(pool, 2, Duration.ofMillis(200), 64, new SimpleMeterRegistry());
        List<Scope> scopes = scopesAtVersionOne(2);
        Scope blocker = scopes.get(0);
        try (Held held = hold(blocker)) {
            CompletableFuture<Long> stuck = send(grouped, blocker, 2);
            awaitWaiting(blocker, ALONE);
            // asked on an event loop, within the 200 ms: it waits, and the timer sends it
            CompletableFuture<Long> behind = new CompletableFuture<>();
            vertx.getOrCreateContext().runOnContext(() -> grouped.save(save(scopes.get(1), 2)).subscribe()
                    .with(behind::complete, behind::completeExceptionally));
            assertThat(behind.get(10, TimeUnit.SECONDS)).isNotNull();
            assertMadeOnce(scopes.get(1), 2);
            assertThat(stuck).isNotDone();
            held.close();
            assertThat(stuck.get(30, TimeUnit.SECONDS)).isNotNull();
            assertMadeOnce(blocker, 2);
        }
    }

    @Test
    void aMemberWhoseStatementFailsFailsAloneAndTheOthersAreMade() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        GroupedSaves grouped = new GroupedSaves(pool, 1, Duration.ZERO, 64, meters);
        List<Scope> scopes = scopesAtVersionOne(6);
        Scope broken = scopes.get(3);
        List<CompletableFuture<Long>> answers = new ArrayList<>();
        try (Held held = hold(scopes.get(0))) {
            answers.add(send(grouped, scopes.get(0), 2));
            awaitWaiting(scopes.get(0), ALONE);
            for (Scope scope : scopes.subList(1, 6)) {
                GroupedSaves.Save save = save(scope, 2);
                if (scope == broken) {
                    // upserts that are not JSON: Postgres refuses the statement
                    List<Object> parameters = new ArrayList<>(save.parameters());
                    parameters.set(2, "{not json");
                    save = new GroupedSaves.Save(save.kind(), save.scopeKey(), parameters, save.sql());
                }
                answers.add(grouped.save(save).subscribeAsCompletionStage());
            }
        }
        for (int i = 0; i < 6; i++) {
            if (scopes.get(i) == broken) {
                CompletableFuture<Long> failed = answers.get(i);
                assertThat(failed).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(ExecutionException.class)
                        .withMessageContaining("json");
                assertNotMade(broken);
            } else {
                assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).as("save %d", i).isNotNull();
                assertMadeOnce(scopes.get(i), 2);
            }
        }
        assertThat(meters.counter("options.saves.batch.resent").count()).isEqualTo(1);
    }

    @Test
    void aStatementCutOffInTheMiddleLeavesEveryMemberMadeOnceWithItsOutboxAndHistory() throws Exception {
        // a pool of its own: the connection cut off is not the service's, whose later requests would meet it
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.reactive.url", String.class);
        PgConnectOptions options = PgConnectOptions.fromUri(url)
                .setUser(ConfigProvider.getConfig().getValue("quarkus.datasource.username", String.class));
        Pool own = Pool.pool(vertx, options, new PoolOptions().setMaxSize(4));
        try {
            cutOff(own);
        } finally {
            own.close().await().atMost(Duration.ofSeconds(10));
        }
    }

    private void cutOff(Pool own) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        GroupedSaves grouped = new GroupedSaves(own, 1, Duration.ZERO, 64, meters);
        List<Scope> scopes = scopesAtVersionOne(7);
        Scope last = scopes.get(6);
        List<CompletableFuture<Long>> answers = new ArrayList<>();
        try (Held first = hold(scopes.get(0))) {
            answers.add(send(grouped, scopes.get(0), 2));
            awaitWaiting(scopes.get(0), ALONE);
            try (Held held = hold(last)) {
                for (Scope scope : scopes.subList(1, 7)) {
                    answers.add(send(grouped, scope, 2));
                }
                first.close();
                // the batch's statement has made its first members and waits for the last one's row lock: cut it off
                awaitWaiting(last, MANY);
                Row cut = pool.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE query LIKE '" + MANY + "%' AND wait_event_type = 'Lock'").execute()
                        .await().atMost(Duration.ofSeconds(10)).iterator().next();
                assertThat(cut.getLong(0)).isEqualTo(1);
            }
        }
        assertThat(answers.get(0).get(30, TimeUnit.SECONDS)).isNotNull();
        assertMadeOnce(scopes.get(0), 2);
        // cut off with its connection, the statement committed nothing: its members fail, none made (a
        // save whose connection is lost may have committed, so none is sent again); had Postgres answered
        // with an error first, they would have been sent again alone, each then made once
        for (int i = 1; i < 7; i++) {
            CompletableFuture<Long> answer = answers.get(i);
            try {
                assertThat(answer.get(30, TimeUnit.SECONDS)).as("save %d", i).isNotNull();
                assertMadeOnce(scopes.get(i), 2);
            } catch (ExecutionException failed) {
                assertNotMade(scopes.get(i));
            }
        }
    }

    @Test
    void savesOfOneScopeThatFollowOneAnotherAreEachMadeAtTheirOwnVersionInOneStatement() {
        Scope scope = scopesAtVersionOne(1).get(0);
        List<Long> made = manager.writeChainIfAt(List.of(following(scope, 2, "a"), following(scope, 3, "b"),
                following(scope, 4, "c"))).await().atMost(Duration.ofSeconds(30));

        assertThat(made).doesNotContainNull().doesNotHaveDuplicates().hasSize(3);
        assertThat(history(scope)).containsExactly("2 a", "3 b", "4 c");
        assertThat(Database.version(scope.key().value())).isEqualTo(4);
    }

    @Test
    void savesThatFollowOneAnotherLeaveTheOptionsAsTheLastLeavesThem() {
        Scope scope = scopesAtVersionOne(1).get(0);
        Changes setBoth = new Changes(Map.of("k2", TextNode.valueOf("a"), "z.gone", TextNode.valueOf("soon")), Set.of(), 1);
        Changes unsetOne = new Changes(Map.of(), Set.of("z.gone"), 1);
        Changes setAgain = new Changes(Map.of("k2", TextNode.valueOf("c")), Set.of(), 1);
        List<Long> made = manager.writeChainIfAt(List.of(
                new OptionManager.Conditional(scope, 2, setBoth, BY, OptionManager.Guard.NONE),
                new OptionManager.Conditional(scope, 3, unsetOne, BY, OptionManager.Guard.NONE),
                new OptionManager.Conditional(scope, 4, setAgain, BY, OptionManager.Guard.NONE)))
                .await().atMost(Duration.ofSeconds(30));

        assertThat(made).doesNotContainNull().hasSize(3);
        assertThat(history(scope)).containsExactly("2 a", "3 null", "4 c");
        assertThat(Database.text("SELECT string_agg(key || '=' || (value #>> '{}'), ',' ORDER BY key) FROM project_options"
                + " WHERE project_id = ?", scope.ids().get(0))).isEqualTo("k2=c");
        assertThat(Database.version(scope.key().value())).isEqualTo(4);
    }

    @Test
    void eachSaveOfAChainHasItsOwnOutboxRowAndHistoryEntryWithItsOwnAttribution() {
        Scope scope = scopesAtVersionOne(1).get(0);
        List<OptionManager.Conditional> saves = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Changes changes = new Changes(Map.of("k" + i, TextNode.valueOf("v" + i)), Set.of(), 1);
            saves.add(new OptionManager.Conditional(scope, 2 + i, changes,
                    new OptionManager.Attribution("writer-" + i, i == 1 ? "revert" : "api"), OptionManager.Guard.NONE));
        }
        List<Long> made = manager.writeChainIfAt(saves).await().atMost(Duration.ofSeconds(30));

        for (int i = 0; i < 3; i++) {
            assertThat(Database.scalar("SELECT version FROM option_outbox WHERE id = ?", made.get(i)))
                    .as("the outbox row answered for save %d", i).isEqualTo(2 + i);
            assertThat(Database.text("SELECT actor || ' ' || channel || ' ' || (changes -> 0 ->> 'key') FROM option_history"
                    + " WHERE scope_key = ? AND version = ?", scope.key().value(), 2 + i))
                    .isEqualTo("writer-" + i + " " + (i == 1 ? "revert" : "api") + " k" + i);
        }
    }

    @Test
    void aChainOneOfWhoseKeysALockAboveHoldsIsNoneOfItMade() {
        Scope project = scopesAtVersionOne(1).get(0);
        Scope organization = Scope.organization(Fixtures.newId());
        pool.preparedQuery("INSERT INTO option_scopes (scope_key, version, epoch, locks) VALUES ($1, 1, 1, '[\"k3\"]')")
                .execute(Tuple.of(organization.key().value())).await().atMost(Duration.ofSeconds(10));
        OptionManager.Guard free = new OptionManager.Guard(List.of(organization.key()), Set.of("k2"), null, null);
        OptionManager.Guard locked = new OptionManager.Guard(List.of(organization.key()), Set.of("k3"), null, null);
        List<Long> made = manager.writeChainIfAt(List.of(
                new OptionManager.Conditional(project, 2, new Changes(Map.of("k2", TextNode.valueOf("a")), Set.of(), 1), BY, free),
                new OptionManager.Conditional(project, 3, new Changes(Map.of("k3", TextNode.valueOf("b")), Set.of(), 1), BY, locked)))
                .await().atMost(Duration.ofSeconds(30));

        assertNoneMade(project, made, 2);
    }

    @Test
    void savesThatDoNotFollowTheScopesVersionAreNoneOfThemMade() {
        Scope scope = scopesAtVersionOne(1).get(0);
        // judged as if the scope were at version 4; it is at 1
        List<Long> made = manager.writeChainIfAt(List.of(following(scope, 5, "a"), following(scope, 6, "b")))
                .await().atMost(Duration.ofSeconds(30));

        assertNoneMade(scope, made, 2);
    }

    @Test
    void aStatementPostgresRefusesMakesNoneOfTheSaves() {
        Scope scope = scopesAtVersionOne(1).get(0);
        // Postgres's jsonb holds no NUL character: the chain's one statement is refused, so writes nothing
        List<Long> made = manager.writeChainIfAt(List.of(following(scope, 2, "a"), following(scope, 3, "b\u0000"),
                following(scope, 4, "c"))).await().atMost(Duration.ofSeconds(30));

        assertNoneMade(scope, made, 3);
    }

    private static OptionManager.Conditional following(Scope scope, long version, String value) {
        Changes changes = new Changes(Map.of("k" + version, TextNode.valueOf(value)), Set.of(), 1);
        return new OptionManager.Conditional(scope, version, changes, BY, OptionManager.Guard.NONE);
    }

    /** That none of a chain of {@code saves} was made: every answer null, no history entry, the scope still at version 1. */
    private void assertNoneMade(Scope scope, List<Long> made, int saves) {
        assertThat(made).hasSize(saves).containsOnlyNulls();
        assertThat(history(scope)).isEmpty();
        assertThat(Database.version(scope.key().value())).isEqualTo(1);
    }

    /** The scope's history entries as "version value", oldest first. */
    private List<String> history(Scope scope) {
        List<String> entries = new ArrayList<>();
        pool.preparedQuery("SELECT version || ' ' || coalesce(changes -> 0 ->> 'new', 'null')"
                        + " FROM option_history WHERE scope_key = $1 ORDER BY version")
                .execute(Tuple.of(scope.key().value())).await().atMost(Duration.ofSeconds(10))
                .forEach(row -> entries.add(row.getString(0)));
        return entries;
    }

    private List<Scope> scopesAtVersionOne(int count) {
        List<Scope> scopes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Scope scope = Scope.project(Fixtures.newId());
            pool.preparedQuery("INSERT INTO option_scopes (scope_key, version, epoch) VALUES ($1, 1, 1)")
                    .execute(Tuple.of(scope.key().value())).await().atMost(Duration.ofSeconds(10));
            scopes.add(scope);
        }
        return scopes;
    }

    private static GroupedSaves.Save save(Scope scope, long version) {
        Changes changes = new Changes(Map.of("k", TextNode.valueOf("v" + version)), Set.of(), 1);
        return OptionManager.conditional(scope, version, changes, BY, OptionManager.Guard.NONE);
    }

    private static CompletableFuture<Long> send(GroupedSaves grouped, Scope scope, long version) {
        return grouped.save(save(scope, version)).subscribeAsCompletionStage();
    }

    private void assertMadeOnce(Scope scope, long version) {
        Row row = row("SELECT s.version,"
                + " (SELECT count(*) FROM option_history h WHERE h.scope_key = s.scope_key AND h.actor = 'grouped-test'),"
                + " (SELECT count(*) FROM option_outbox o WHERE o.scope_key = s.scope_key),"
                + " (SELECT p.value #>> '{}' FROM project_options p WHERE p.project_id = $2 AND p.key = 'k')"
                + " FROM option_scopes s WHERE s.scope_key = $1",
                Tuple.of(scope.key().value(), scope.ids().get(0)));
        assertThat(row.getLong(0)).as("version of %s", scope).isEqualTo(version);
        assertThat(row.getLong(1)).as("history entries of %s", scope).isEqualTo(1);
        // the relay publishes and the sweep deletes outbox rows: at most the one
        assertThat(row.getLong(2)).as("outbox rows of %s", scope).isLessThanOrEqualTo(1);
        assertThat(row.getString(3)).isEqualTo("v" + version);
    }

    private void assertNotMade(Scope scope) {
        Row row = row("SELECT s.version,"
                + " (SELECT count(*) FROM option_history h WHERE h.scope_key = s.scope_key),"
                + " (SELECT count(*) FROM project_options p WHERE p.project_id = $2)"
                + " FROM option_scopes s WHERE s.scope_key = $1",
                Tuple.of(scope.key().value(), scope.ids().get(0)));
        assertThat(row.getLong(0)).isEqualTo(1);
        assertThat(row.getLong(1)).isZero();
        assertThat(row.getLong(2)).isZero();
    }

    /** The statement's first row; sent again once when it meets a pooled connection a test cut off. */
    private Row row(String sql, Tuple parameters) {
        try {
            return pool.preparedQuery(sql).execute(parameters).await().atMost(Duration.ofSeconds(10)).iterator().next();
        } catch (RuntimeException closed) {
            return pool.preparedQuery(sql).execute(parameters).await().atMost(Duration.ofSeconds(10)).iterator().next();
        }
    }

    /** Waits until a statement beginning {@code prefix} waits for the row lock of {@code scope} (held by {@link #hold}). */
    private void awaitWaiting(Scope scope, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long waiting = pool.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE '" + prefix + "%' AND state = 'active'").execute()
                    .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
            if (waiting > 0) {
                return;
            }
            Thread.sleep(20);
        }
        List<String> activity = new ArrayList<>();
        pool.query("SELECT state || ' ' || coalesce(wait_event_type, '-') || ' ' || left(query, 40) FROM pg_stat_activity WHERE datname = current_database()")
                .execute().await().atMost(Duration.ofSeconds(10)).forEach(row -> activity.add(row.getString(0)));
        throw new AssertionError("no save waits for the row lock of " + scope + ": " + activity);
    }

    /** Holds the scope's row lock in a transaction of its own until closed. */
    private Held hold(Scope scope) {
        SqlConnection connection = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        Transaction transaction = connection.begin().await().atMost(Duration.ofSeconds(10));
        connection.preparedQuery("SELECT 1 FROM option_scopes WHERE scope_key = $1 FOR UPDATE")
                .execute(Tuple.of(scope.key().value())).await().atMost(Duration.ofSeconds(10));
        return new Held(connection, transaction);
    }

    private static final class Held implements AutoCloseable {
        private final SqlConnection connection;
        private final Transaction transaction;
        private boolean closed;

        Held(SqlConnection connection, Transaction transaction) {
            this.connection = connection;
            this.transaction = transaction;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                transaction.commit().await().atMost(Duration.ofSeconds(10));
                connection.close().await().atMost(Duration.ofSeconds(10));
            }
        }
    }
}
