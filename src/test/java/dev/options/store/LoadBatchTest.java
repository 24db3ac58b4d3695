package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import dev.options.scope.Scope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Loads asked for together on an event loop go out as one statement per kind, and each scope gets
 * exactly what a load of its own reads: its version (0 when never written) and its rows, whatever
 * its place in the batch.
 */
@QuarkusTest
class LoadBatchTest {

    @Inject
    OptionManager store;

    @Inject
    Pool pool;

    @Inject
    Vertx vertx;

    @Inject
    MeterRegistry meters;

    private double reads() {
        return meters.find("options.store.statements").tag("kind", "read").tag("caller", "request").tag("pool", "primary")
                .counters().stream().mapToDouble(Counter::count).sum();
    }

    /** Writes scope {@code scope} (of one identifier) at {@code version} with options n0..n(count-1) = i, in SQL. */
    private void seed(Scope scope, String table, String column, long version, int count) {
        long id = scope.ids().get(0);
        pool.preparedQuery("INSERT INTO option_scopes (scope_key, version) VALUES ($1, $2)")
                .execute(Tuple.of(scope.key().value(), version)).await().atMost(Duration.ofSeconds(10));
        for (int i = 0; i < count; i++) {
            pool.preparedQuery("INSERT INTO " + table + " (" + column + ", key, value) VALUES ($1, $2, cast(cast($3 AS text) AS jsonb))")
                    .execute(Tuple.of(id, "n" + i, Integer.toString(i))).await().atMost(Duration.ofSeconds(10));
        }
    }

    @Test
    void loadsAskedForTogetherGoOutAsOneStatementPerKindAndEachGetsItsOwnScope() throws Exception {
        List<Scope> scopes = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            Scope scope = i % 3 == 2 ? Scope.project(Fixtures.newId()) : Scope.organization(Fixtures.newId());
            scopes.add(scope);
            // every fourth never written: version 0, no options
            if (i % 4 != 0) {
                boolean project = scope instanceof Scope.Project;
                seed(scope, project ? "project_options" : "organization_options", project ? "project_id" : "organization_id",
                        10 + i, i % 5);
            }
        }
        double before = reads();
        Context loop = vertx.getOrCreateContext();
        CompletableFuture<List<StoredScope>> loaded = new CompletableFuture<>();
        loop.runOnContext(ignored -> Uni.join().all(scopes.stream().map(store::loadBatched).toList()).andFailFast()
                .subscribe().with(loaded::complete, loaded::completeExceptionally));
        List<StoredScope> found = loaded.get(10, TimeUnit.SECONDS);
        assertThat(reads() - before).as("statements for 24 loads of two kinds asked for in one event-loop task").isEqualTo(2);

        for (int i = 0; i < scopes.size(); i++) {
            StoredScope alone = store.loadDirect(scopes.get(i)).await().atMost(Duration.ofSeconds(10));
            assertThat(found.get(i)).as("scope %d, loaded in a batch, against a load of its own", i).isEqualTo(alone);
            assertThat(found.get(i).version()).as("scope %d", i).isEqualTo(i % 4 == 0 ? 0 : 10 + i);
            assertThat(found.get(i).options()).as("scope %d", i).hasSize(i % 4 == 0 ? 0 : i % 5);
        }
    }

    @Test
    void scopesOfTwoIdentifiersBatchTooEachWithExactlyItsOwnRows() throws Exception {
        List<Scope> scopes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            long user = Fixtures.newId();
            long project = Fixtures.newId();
            long organization = Fixtures.newId();
            // one user's rows in all three of its kinds, under the same keys, so that a join that mixed them would show
            String[] narrowing = { "NULL, NULL", project + ", NULL", "NULL, " + organization };
            String[] keys = { "user_options:" + user + ":user", "user_options:" + user + ":project:" + project,
                    "user_options:" + user + ":organization:" + organization };
            for (int n = 0; n < 3; n++) {
                pool.preparedQuery("INSERT INTO option_scopes (scope_key, version) VALUES ($1, $2)")
                        .execute(Tuple.of(keys[n], 20 + n)).await().atMost(Duration.ofSeconds(10));
                for (int k = 0; k <= n; k++) {
                    pool.preparedQuery("INSERT INTO user_options (user_id, project_id, organization_id, key, value) VALUES ($1, "
                            + narrowing[n] + ", $2, cast(cast($3 AS text) AS jsonb))")
                            .execute(Tuple.of(user, "n" + k, Integer.toString(10 * n + k))).await().atMost(Duration.ofSeconds(10));
                }
            }
            scopes.add(Scope.user(user));
            scopes.add(Scope.userInProject(user, project));
            scopes.add(Scope.userInOrganization(user, organization));
        }
        scopes.add(Scope.userInProject(Fixtures.newId(), Fixtures.newId()));
        double before = reads();
        Context loop = vertx.getOrCreateContext();
        CompletableFuture<List<StoredScope>> loaded = new CompletableFuture<>();
        loop.runOnContext(ignored -> Uni.join().all(scopes.stream().map(store::loadBatched).toList()).andFailFast()
                .subscribe().with(loaded::complete, loaded::completeExceptionally));
        List<StoredScope> found = loaded.get(10, TimeUnit.SECONDS);
        assertThat(reads() - before).as("statements for 19 loads of three kinds asked for in one event-loop task").isEqualTo(3);
        for (int i = 0; i < scopes.size(); i++) {
            StoredScope alone = store.loadDirect(scopes.get(i)).await().atMost(Duration.ofSeconds(10));
            assertThat(found.get(i)).as("scope %s, loaded in a batch, against a load of its own", scopes.get(i).key()).isEqualTo(alone);
        }
        for (int i = 0; i < 18; i++) {
            assertThat(found.get(i).version()).isEqualTo(20 + i % 3);
            assertThat(found.get(i).options()).hasSize(1 + i % 3);
        }
        assertThat(found.get(18).version()).as("never written").isZero();
    }

    @Test
    void aLoadOffTheEventLoopIsAnsweredOnItsOwn() {
        Scope organization = Scope.organization(Fixtures.newId());
        seed(organization, "organization_options", "organization_id", 4, 2);
        assertThat(store.loadBatched(organization).await().atMost(Duration.ofSeconds(10)).version()).isEqualTo(4);
        Scope narrowed = Scope.userInProject(Fixtures.newId(), Fixtures.newId());
        assertThat(store.loadBatched(narrowed).await().atMost(Duration.ofSeconds(10)))
                .isEqualTo(store.loadDirect(narrowed).await().atMost(Duration.ofSeconds(10)));
    }

    @Test
    void eachLoadOfABatchResumesOnTheRequestContextItWasAskedOn() throws Exception {
        int count = 6;
        List<Scope> scopes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            scopes.add(Scope.organization(Fixtures.newId()));
        }
        double before = reads();
        Context loop = vertx.getOrCreateContext();
        List<CompletableFuture<Boolean>> resumed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            resumed.add(new CompletableFuture<>());
        }
        loop.runOnContext(ignored -> {
            for (int i = 0; i < count; i++) {
                Scope scope = scopes.get(i);
                // as each request has: a duplicated context of the same event loop
                ContextInternal request = (ContextInternal) VertxContext.createNewDuplicatedContext(loop);
                CompletableFuture<Boolean> here = resumed.get(i);
                request.emit(null, asked -> store.loadBatched(scope).subscribe()
                        .with(found -> here.complete(Vertx.currentContext() == request), here::completeExceptionally));
            }
        });
        for (int i = 0; i < count; i++) {
            assertThat(resumed.get(i).get(10, TimeUnit.SECONDS)).as("load %d resumed on its own context", i).isTrue();
        }
        assertThat(reads() - before).as("one statement for the six").isEqualTo(1);
    }

    @Test
    void aRowThatCannotBeReadFailsItsOwnScopeAloneAndNeverTheOthersOfItsBatch() throws Exception {
        Scope unreadable = Scope.organization(Fixtures.newId());
        Scope sameKind = Scope.organization(Fixtures.newId());
        Scope otherKind = Scope.project(Fixtures.newId());
        seed(sameKind, "organization_options", "organization_id", 2, 1);
        seed(otherKind, "project_options", "project_id", 3, 1);
        // Postgres keeps a value nested deeper than the service's reader takes, written by hand
        String deep = "[".repeat(200) + "]".repeat(200);
        pool.preparedQuery("INSERT INTO option_scopes (scope_key, version) VALUES ($1, 1)")
                .execute(Tuple.of(unreadable.key().value())).await().atMost(Duration.ofSeconds(10));
        pool.preparedQuery("INSERT INTO organization_options (organization_id, key, value) VALUES ($1, 'deep', cast(cast($2 AS text) AS jsonb))")
                .execute(Tuple.of(unreadable.ids().get(0), deep)).await().atMost(Duration.ofSeconds(10));

        Context loop = vertx.getOrCreateContext();
        List<CompletableFuture<StoredScope>> loads = List.of(new CompletableFuture<>(), new CompletableFuture<>(),
                new CompletableFuture<>());
        List<Scope> scopes = List.of(unreadable, sameKind, otherKind);
        loop.runOnContext(ignored -> {
            for (int i = 0; i < scopes.size(); i++) {
                CompletableFuture<StoredScope> load = loads.get(i);
                store.loadBatched(scopes.get(i)).subscribe().with(load::complete, load::completeExceptionally);
            }
        });
        assertThat(loads.get(0)).as("the unreadable scope: failed, not left waiting")
                .failsWithin(Duration.ofSeconds(10)).withThrowableThat().withMessageContaining("stored value is not JSON");
        StoredScope neighbour = loads.get(1).get(10, TimeUnit.SECONDS);
        assertThat(neighbour.version()).as("the other organization of the same statement").isEqualTo(2);
        assertThat(neighbour).isEqualTo(store.loadDirect(sameKind).await().atMost(Duration.ofSeconds(10)));
        assertThat(loads.get(2).get(10, TimeUnit.SECONDS).version()).as("the project, of a statement of its own").isEqualTo(3);
    }
}
