package dev.options.option;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.UnitsOfWork;
import dev.options.Http;
import dev.options.option.RequestCache;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

/**
 * The request cache through the service API: one unit of work per Vert.x duplicated context (here
 * one {@code subscribeAndAwait}), reads counted in statements, other units of work simulated by HTTP
 * requests made from inside the pipeline. The near and shared caches are off, so that what is
 * counted is the request cache against Postgres alone.
 */
@QuarkusTest
@TestProfile(RequestCacheTest.RequestCacheOnly.class)
public class RequestCacheTest {

    public static class RequestCacheOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.cache.enabled", "false");
        }
    }

    @Inject
    OptionService service;

    @TestHTTPResource("/")
    URI base;

    /** Runs {@code work} as one unit of work (on a duplicated context of its own) and waits for its item. */
    static <T> T inUnitOfWork(Supplier<Uni<T>> work) {
        return UnitsOfWork.run(work);
    }


    /** Another unit of work: an HTTP request, sent off the event loop. */
    private Uni<Http.Answer> elsewhere(String method, String path, String body) {
        return VertxContextSupport.executeBlocking(() -> new Http(base).send(method, path, "application/json", body));
    }

    private static int statements() {
        return RequestCache.unitOfWork().statements();
    }

    @Test
    void anyNumberOfReadsOfAScopeInOneUnitOfWorkCostOneStatement() {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        new Http(base).send("PUT", "/v1/users/" + user + "/options/a", "application/json", "1");

        int statements = inUnitOfWork(() -> service.read(scope, ReadFlag.NORMAL)
                .chain(() -> service.read(scope, ReadFlag.NORMAL))
                .chain(() -> service.get(scope, "a", ReadFlag.NORMAL))
                .chain(() -> service.get(scope, "theme", ReadFlag.NORMAL))
                .chain(() -> service.read(scope, ReadFlag.NORMAL))
                .chain(() -> service.bulk(ScopeKind.USER, "a", List.of(user)))
                .invoke(values -> assertThat(values.get(user)).isEqualTo(IntNode.valueOf(1)))
                .map(ignored -> statements()));

        assertThat(statements).isEqualTo(1);
    }

    @Test
    void aStrongerFlagReadsAgainAndAWeakerOneReuses() {
        long project = Fixtures.newId();
        Scope scope = Scope.project(project);
        String path = "/v1/projects/" + project + "/options/a";
        new Http(base).send("PUT", path, "application/json", "1");
        List<String> seen = new ArrayList<>();

        inUnitOfWork(() -> service.read(scope, ReadFlag.NORMAL)
                .invoke(view -> seen.add("normal v" + view.version() + " after " + statements()))
                .call(() -> elsewhere("PUT", path, "2"))
                .chain(() -> service.read(scope, ReadFlag.NORMAL))
                .invoke(view -> seen.add("normal v" + view.version() + " after " + statements()))
                .chain(() -> service.read(scope, ReadFlag.LATEST))
                .invoke(view -> seen.add("latest v" + view.version() + " after " + statements()))
                .chain(() -> service.read(scope, ReadFlag.NORMAL))
                .invoke(view -> seen.add("normal v" + view.version() + " after " + statements()))
                .call(() -> elsewhere("PUT", path, "3"))
                .chain(() -> service.inTransaction(() -> service.read(scope, ReadFlag.LOCKING)))
                .invoke(view -> seen.add("locking v" + view.version() + " a=" + view.options().get("a") + " after " + statements()))
                .chain(() -> service.read(scope, ReadFlag.LATEST))
                .invoke(view -> seen.add("latest v" + view.version() + " after " + statements())));

        assertThat(seen).containsExactly(
                "normal v1 after 1",
                "normal v1 after 1",
                "latest v2 after 2",
                "normal v2 after 2",
                "locking v3 a=3 after 4",
                "latest v3 after 4");
    }

    @Test
    void aSaveUnderALockingReadNeverReadsAgainAndAFollowingReadIsFree() {
        long organization = Fixtures.newId();
        Scope scope = Scope.organization(organization);
        new Http(base).send("PUT", "/v1/organizations/" + organization + "/options/a", "application/json", "1");
        List<String> seen = new ArrayList<>();

        inUnitOfWork(() -> service.inTransaction(() -> service.read(scope, ReadFlag.LOCKING)
                        .invoke(view -> seen.add("locked v" + view.version() + " after " + statements()))
                        .invoke(() -> service.set(scope, "a", IntNode.valueOf(5)))
                        .chain(() -> service.save(scope, IfMatch.version(1))))
                .invoke(view -> seen.add("saved v" + view.version() + " after " + statements()))
                .chain(() -> service.get(scope, "a", ReadFlag.LATEST))
                .invoke(value -> seen.add("read " + value.orElseThrow() + " after " + statements())));

        // the save: one write statement (the published change leaves the outbox in the background)
        assertThat(seen).containsExactly("locked v1 after 2", "saved v2 after 3", "read 5 after 3");
        assertThat(Database.version("organization_options:" + organization)).isEqualTo(2);
    }

    @Test
    void whatTheServiceSavesAFollowingHttpReadReturnsAndTheOtherWayRound() {
        long user = Fixtures.newId();
        long project = Fixtures.newId();
        Scope scope = Scope.userInProject(user, project);
        String path = "/v1/users/" + user + "/projects/" + project + "/options";

        ScopeView saved = inUnitOfWork(() -> {
            service.set(scope, "x", IntNode.valueOf(1));
            service.set(scope, "y", IntNode.valueOf(2));
            return service.save(scope, IfMatch.NONE);
        });
        assertThat(saved.version()).isEqualTo(1);
        assertThat(new Http(base).get(path).json().get("options").get("x").asInt()).isEqualTo(1);

        new Http(base).send("PATCH", path, "application/merge-patch+json", "{\"y\": null, \"z\": 3}");
        ScopeView read = inUnitOfWork(() -> service.read(scope, ReadFlag.NORMAL));
        assertThat(read.version()).isEqualTo(2);
        assertThat(read.stored()).containsOnlyKeys("x", "z");

        // and within one unit of work, a save is what the next read returns, with no statement
        List<Integer> counts = new ArrayList<>();
        ScopeView afterSave = inUnitOfWork(() -> service.read(scope, ReadFlag.NORMAL)
                .invoke(() -> service.unset(scope, "x"))
                .chain(() -> service.save(scope, IfMatch.NONE))
                .invoke(() -> counts.add(statements()))
                .chain(() -> service.read(scope, ReadFlag.NORMAL))
                .invoke(() -> counts.add(statements())));
        assertThat(afterSave.stored()).containsOnlyKeys("z");
        assertThat(afterSave.version()).isEqualTo(3);
        assertThat(counts.get(1)).isEqualTo(counts.get(0));
    }

    @Test
    void stagedModificationsShowInThisUnitOfWorkOnlyUntilSaved() {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        String path = "/v1/users/" + user + "/options";
        new Http(base).send("PUT", path + "/a", "application/json", "1");
        List<String> seen = new ArrayList<>();

        inUnitOfWork(() -> service.read(scope, ReadFlag.NORMAL)
                .invoke(() -> service.set(scope, "b", IntNode.valueOf(9)))
                .invoke(() -> service.unset(scope, "a"))
                .chain(() -> service.read(scope, ReadFlag.NORMAL))
                .invoke(view -> seen.add("here v" + view.version() + " " + view.stored()))
                .chain(() -> elsewhere("GET", path + "?defaults=exclude", null))
                .invoke(answer -> seen.add("elsewhere " + answer.json().get("options"))));

        assertThat(seen).containsExactly("here v1 {b=9}", "elsewhere {\"a\":1}");
        assertThat(new Http(base).get(path).json().get("version").asLong()).isEqualTo(1);
    }

    @Test
    void aRolledBackTransactionLeavesNothingOfItsWritesInTheRequestCache() {
        long user = Fixtures.newId();
        Scope scope = Scope.user(user);
        new Http(base).send("PUT", "/v1/users/" + user + "/options/a", "application/json", "1");
        // the first save's outbox row leaves with the next sweep: gone before the transaction, so
        // that a row found after it can only be the rolled-back save's
        assertThat(Database.outboxRowsAfterSweep("user_options:" + user + ":user")).isZero();
        List<String> seen = new ArrayList<>();

        assertThatThrownBy(() -> inUnitOfWork(() -> service.inTransaction(() -> {
                    service.set(scope, "a", IntNode.valueOf(7));
                    return service.save(scope, IfMatch.NONE)
                            .invoke(view -> seen.add("inside v" + view.version()))
                            .chain(() -> Uni.createFrom().failure(new IllegalStateException("abort")));
                })
                .onFailure().recoverWithUni(failure -> service.read(scope, ReadFlag.NORMAL)
                        .invoke(view -> seen.add("after v" + view.version() + " a=" + view.options().get("a")))
                        .chain(() -> Uni.createFrom().failure(failure)))))
                .hasMessageContaining("abort");

        assertThat(seen).containsExactly("inside v2", "after v1 a=1");
        assertThat(Database.version("user_options:" + user + ":user")).isEqualTo(1);
        assertThat(Database.outboxRows("user_options:" + user + ":user")).as("nothing of the rolled-back save").isZero();
    }

    @Test
    void aLockingReadOutsideATransactionIsRefused() {
        assertThatThrownBy(() -> inUnitOfWork(() -> service.read(Scope.user(Fixtures.newId()), ReadFlag.LOCKING)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("transaction");
    }
}
