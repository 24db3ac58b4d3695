package dev.options.hierarchy;

import static dev.options.hierarchy.ValuesInForceTest.inForce;
import static dev.options.hierarchy.ValuesInForceTest.patch;
import static dev.options.hierarchy.ValuesInForceTest.register;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.UnitsOfWork;
import dev.options.option.IfMatch;
import dev.options.option.OptionService;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/** Locks (API.md "Locks"): enforced below on every write path, part of the locking scope's state. */
@QuarkusTest
class LocksTest {

    @Inject
    OptionService service;

    @Inject
    MeterRegistry meters;

    private static ValidatableResponse refused(ValidatableResponse response, String lockedBy) {
        return response.statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("/problems/locked")).body("lockedBy", equalTo(lockedBy));
    }

    @Test
    void aLockIsPartOfItsScopesStateAndIdempotentToRemove() {
        long organization = Fixtures.newId();
        String base = "/v1/organizations/" + organization;
        patch(base + "/options", "{\"theme\": \"dark\"}");
        given().put(base + "/locks/theme").then().statusCode(200).header("ETag", "\"2\"")
                .body("version", equalTo(2)).body("locks", contains("theme")).body("options.theme", equalTo("dark"));
        // locking again changes nothing
        given().put(base + "/locks/theme").then().statusCode(200).body("version", equalTo(2));
        given().get(base + "/options").then().body("locks", contains("theme")).body("version", equalTo(2));
        given().queryParam("defaults", "exclude").get(base + "/options").then().body("locks", contains("theme"));
        assertThat(Database.outboxRowsAfterSweep("organization_options:" + organization)).isZero();
        given().delete(base + "/locks/theme").then().statusCode(200).body("version", equalTo(3)).body("locks", nullValue());
        given().delete(base + "/locks/theme").then().statusCode(200).body("version", equalTo(3));
        given().put(base + "/locks/bad key").then().statusCode(400);
        given().header("If-Match", "\"1\"").put(base + "/locks/theme").then().statusCode(412);
        given().put("/v1/users/" + organization + "/locks/theme").then().statusCode(404);
        given().get(base + "/options").then().body("version", equalTo(3)).body("locks", nullValue());
    }

    @Test
    void anOrganizationsLockIsInForceBelowAndRefusesEveryWriteOfTheKeyThere() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        register(project, organization);
        String org = "/v1/organizations/" + organization;
        String proj = "/v1/projects/" + project + "/options";
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        String uio = "/v1/users/" + user + "/organizations/" + organization + "/options";
        String usr = "/v1/users/" + user + "/options";
        patch(org + "/options", "{\"theme\": \"dark\"}");
        patch(proj, "{\"theme\": \"system\"}");
        // (light is theme's default: a scope that "stores" it stores nothing)
        patch(uip, "{\"theme\": \"system\", \"custom.n\": 1}");
        patch(uio, "{\"theme\": \"system\"}");
        patch(usr, "{\"theme\": \"system\"}");

        given().put(org + "/locks/theme").then().statusCode(200);
        String lockedBy = "organization_options:" + organization;
        for (String scope : List.of(proj, uip, uio)) {
            inForce(scope).body("options.theme", equalTo("dark")).body("sources.theme", equalTo("organization"))
                    .body("locked", contains("theme"));
            long version = given().get(scope).then().extract().jsonPath().getLong("version");
            refused(given().contentType("application/json").body("\"light\"").put(scope + "/theme").then(), lockedBy)
                    .body("key", equalTo("theme"));
            refused(given().delete(scope + "/theme").then(), lockedBy);
            refused(given().contentType("application/merge-patch+json").body("{\"theme\": null, \"custom.m\": 1}").patch(scope).then(), lockedBy);
            refused(given().delete(scope).then(), lockedBy);
            // the same value as stored is a write of the key too
            refused(given().contentType("application/json").body("\"system\"").put(scope + "/theme").then(), lockedBy);
            given().get(scope).then().body("version", equalTo((int) version)).body("options.'custom.m'", nullValue());
        }
        // the user's own scope is not below an organization
        given().contentType("application/json").body("\"light\"").put(usr + "/theme").then().statusCode(200);
        inForce(uip).body("options.theme", equalTo("dark"));
        // other keys below are free
        given().contentType("application/json").body("2").put(uip + "/custom.n").then().statusCode(200);

        // in process too: the service refuses, and writes nothing
        Scope scope = Scope.userInProject(user, project);
        long before = Database.version(scope.key().value());
        assertThatThrownBy(() -> UnitsOfWork.run(() -> service.update(scope, IfMatch.NONE,
                (current, staging) -> staging.set("theme", TextNode.valueOf("dark")))))
                .isInstanceOfSatisfying(ProblemException.class, problem -> {
                    assertThat(problem.type()).isEqualTo(ProblemType.LOCKED);
                    assertThat(problem.extensions()).containsEntry("lockedBy", lockedBy);
                });
        assertThatThrownBy(() -> UnitsOfWork.run(() -> service.inTransaction(() -> service.update(scope, IfMatch.NONE,
                (current, staging) -> staging.reset()))))
                .isInstanceOf(ProblemException.class);
        assertThat(Database.version(scope.key().value())).isEqualTo(before);

        // the values stored below were kept, and are in force again once the lock goes
        given().queryParam("defaults", "exclude").get(uip).then().body("options.theme", equalTo("system"));
        given().delete(org + "/locks/theme").then().statusCode(200);
        inForce(uip).body("options.theme", equalTo("system")).body("sources.theme", equalTo("user-in-project")).body("locked", not(hasItem("theme")));
        inForce(proj).body("options.theme", equalTo("system")).body("sources.theme", equalTo("project"));
        inForce(uio).body("options.theme", equalTo("system")).body("sources.theme", equalTo("user-in-organization"));
        given().contentType("application/json").body("\"dark\"").put(uip + "/theme").then().statusCode(200);
    }

    @Test
    void aProjectsLockBindsItsUsersAndAnOrganizationsLockWinsOverIt() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        register(project, organization);
        String proj = "/v1/projects/" + project;
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        patch(proj + "/options", "{\"theme\": \"system\"}");
        given().put(proj + "/locks/theme").then().statusCode(200).body("locks", contains("theme"));
        inForce(uip).body("options.theme", equalTo("system")).body("sources.theme", equalTo("project")).body("locked", contains("theme"));
        refused(given().contentType("application/json").body("\"dark\"").put(uip + "/theme").then(), "project_options:" + project);
        // the project's own scope is not below its lock
        given().contentType("application/json").body("\"light\"").put(proj + "/options/theme").then().statusCode(200);
        inForce(uip).body("options.theme", equalTo("light"));
        // a lock at a value the project only inherits enforces that value
        given().delete(proj + "/options/theme").then().statusCode(200);
        patch("/v1/organizations/" + organization + "/options", "{\"theme\": \"dark\"}");
        inForce(uip).body("options.theme", equalTo("dark")).body("sources.theme", equalTo("project"));

        patch(proj + "/options", "{\"theme\": \"system\"}");
        given().put("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
        inForce(uip).body("options.theme", equalTo("dark")).body("sources.theme", equalTo("organization"));
        refused(given().contentType("application/json").body("\"dark\"").put(uip + "/theme").then(), "organization_options:" + organization);
        refused(given().contentType("application/json").body("\"light\"").put(proj + "/options/theme").then(), "organization_options:" + organization);
    }

    private double statements() {
        return meters.find("options.store.statements").tag("caller", "request").counters().stream()
                .mapToDouble(counter -> counter.count()).sum();
    }

    @Test
    void aWriteBelowALockTheNearCacheHoldsIsRefusedWithoutADatabaseRoundTrip() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        register(project, organization);
        given().put("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        patch(uip, "{\"custom.a\": 1}");
        // the layers are in this instance's near cache after one read of the values in force
        inForce(uip).body("locked", contains("theme"));
        double before = statements();
        refused(given().contentType("application/json").body("\"dark\"").put(uip + "/theme").then(), "organization_options:" + organization);
        assertThat(statements() - before).isZero();
        assertThat(Database.version("user_options:" + user + ":project:" + project)).isEqualTo(1);
    }

    @Test
    void aLockTheCachesHaveNotHeardOfIsFoundByTheSaveItself() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        register(project, organization);
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        patch(uip, "{\"theme\": \"dark\"}");
        patch("/v1/organizations/" + organization + "/options", "{\"custom.a\": 1}");
        inForce(uip).body("locked", equalTo(List.of()));
        // locked behind the caches' back: only the one-statement save's guard can know
        Database.execute("UPDATE option_scopes SET locks = '[\"theme\"]' WHERE scope_key = ?", "organization_options:" + organization);
        refused(given().contentType("application/json").body("\"light\"").put(uip + "/theme").then(), "organization_options:" + organization);
        assertThat(Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND project_id = ? AND key = 'theme'", user, project))
                .isEqualTo("\"dark\"");
        assertThat(Database.version("user_options:" + user + ":project:" + project)).isEqualTo(1);

        // the locking save reads the scopes above it in its transaction: in process, and a scope's first write
        Scope scope = Scope.userInProject(user, project);
        assertThatThrownBy(() -> UnitsOfWork.run(() -> service.inTransaction(() -> service.update(scope, IfMatch.NONE,
                (current, staging) -> staging.set("theme", TextNode.valueOf("system"))))))
                .isInstanceOfSatisfying(ProblemException.class, problem -> assertThat(problem.type()).isEqualTo(ProblemType.LOCKED));
        long newcomer = Fixtures.newId();
        refused(given().contentType("application/json").body("\"light\"")
                .put("/v1/users/" + newcomer + "/projects/" + project + "/options/theme").then(), "organization_options:" + organization);
        assertThat(Database.version("user_options:" + newcomer + ":project:" + project)).isZero();
        assertThat(Database.version("user_options:" + user + ":project:" + project)).isEqualTo(1);
    }
}
