package dev.options.hierarchy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/**
 * The chains of API.md ("Hierarchy and values in force"), for every scope kind, with the registry of
 * the tests: {@code language} excludes projects, {@code project-only} applies to projects alone,
 * {@code user-only} to users alone, {@code custom.*} keys are undefined and apply everywhere.
 */
@QuarkusTest
class ValuesInForceTest {

    static void register(long project, long organization) {
        given().contentType("application/json").body("{\"organization\": " + organization + "}")
                .when().put("/v1/projects/" + project).then().statusCode(200)
                .body("project", equalTo(project)).body("organization", equalTo(organization));
    }

    static void patch(String scope, String body) {
        given().contentType("application/merge-patch+json").body(body).when().patch(scope).then().statusCode(200);
    }

    static ValidatableResponse inForce(String scope) {
        return given().queryParam("inherit", "true").when().get(scope).then().statusCode(200);
    }

    @Test
    void aProjectIsRegisteredInAnOrganizationAndMoves() {
        long project = Fixtures.newId();
        long first = Fixtures.newId();
        long second = Fixtures.newId();
        given().when().get("/v1/projects/" + project).then().statusCode(404)
                .contentType("application/problem+json").body("type", equalTo("/problems/not-found"));

        register(project, first);
        given().when().get("/v1/projects/" + project).then().statusCode(200).header("ETag", "\"1\"")
                .body("project", equalTo(project)).body("organization", equalTo(first));
        // the same registration again changes nothing
        register(project, first);
        assertThat(Database.version("project_options:" + project)).isEqualTo(1);

        register(project, second);
        given().when().get("/v1/projects/" + project).then().body("organization", equalTo(second));
        assertThat(Database.version("project_options:" + project)).isEqualTo(2);
        assertThat(Database.scalar("SELECT organization_id FROM option_scopes WHERE scope_key = ?", "project_options:" + project))
                .isEqualTo(second);
        // its options are untouched by a move
        given().when().get("/v1/projects/" + project + "/options").then().body("version", equalTo(2)).body("options.project-only", equalTo(7));
    }

    @Test
    void aRegistrationWithABadBodyIsRefusedAndChangesNothing() {
        long project = Fixtures.newId();
        long organization = Fixtures.newId();
        register(project, organization);
        String[] bad = { "null", "7", "\"7\"", "[]", "{}", "{\"organization\": 0}", "{\"organization\": -3}",
                "{\"organization\": 1.5}", "{\"organization\": \"7\"}", "{\"organization\": 9223372036854775808}",
                "{\"organization\": 7, \"name\": \"x\"}", "{\"organization\": null}", "{" };
        for (String body : bad) {
            int status = given().contentType("application/json").body(body).when().put("/v1/projects/" + project)
                    .then().contentType("application/problem+json").extract().statusCode();
            assertThat(status).as(body).isEqualTo(400);
        }
        given().body("{\"organization\": 7}").when().put("/v1/projects/" + project).then().statusCode(415);
        given().contentType("application/json").body("{\"organization\": 7}").when().put("/v1/projects/0").then().statusCode(400);
        given().contentType("application/json").header("If-Match", "\"9\"").body("{\"organization\": 7}")
                .when().put("/v1/projects/" + project).then().statusCode(412).body("currentVersion", equalTo(1));
        given().when().get("/v1/projects/" + project).then().body("organization", equalTo(organization));
        assertThat(Database.version("project_options:" + project)).isEqualTo(1);
    }

    @Test
    void everyChainResolvesInItsOrderWithTheSourceOfEveryValue() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        String org = "/v1/organizations/" + organization + "/options";
        String proj = "/v1/projects/" + project + "/options";
        String usr = "/v1/users/" + user + "/options";
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        String uio = "/v1/users/" + user + "/organizations/" + organization + "/options";

        // before the project is registered, its chain has no organization
        patch(org, "{\"theme\": \"dark\", \"language\": \"fr\", \"custom.a\": 1, \"custom.b\": 1, \"custom.c\": 1, \"custom.d\": 1}");
        inForce(proj).header("ETag", "\"0\"").body("options.theme", equalTo("light")).body("sources.theme", equalTo("default"));
        register(project, organization);

        patch(proj, "{\"project-only\": 9, \"custom.b\": 2, \"custom.c\": 2}");
        patch(usr, "{\"user-only\": true, \"language\": \"de\", \"custom.c\": 3}");
        patch(uip, "{\"custom.d\": 4}");
        patch(uio, "{\"ui.density\": 5}");

        inForce(org).header("ETag", "\"1\"")
                .body("options.theme", equalTo("dark")).body("sources.theme", equalTo("organization"))
                .body("options.language", equalTo("fr")).body("sources.language", equalTo("organization"))
                .body("options.'ui.density'", equalTo(3)).body("sources.'ui.density'", equalTo("default"))
                .body("locked", empty());

        // project: default -> organization -> project; language excludes projects, so the organization's is in force
        inForce(proj).header("ETag", "\"2.1\"")
                .body("options.theme", equalTo("dark")).body("sources.theme", equalTo("organization"))
                .body("options.language", equalTo("fr")).body("sources.language", equalTo("organization"))
                .body("options.project-only", equalTo(9)).body("sources.project-only", equalTo("project"))
                .body("options.'custom.a'", equalTo(1)).body("sources.'custom.a'", equalTo("organization"))
                .body("options.'custom.b'", equalTo(2)).body("sources.'custom.b'", equalTo("project"));

        inForce(usr).header("ETag", "\"1\"")
                .body("options.theme", equalTo("light")).body("sources.theme", equalTo("default"))
                .body("options.language", equalTo("de")).body("sources.language", equalTo("user"))
                .body("options.'custom.a'", nullValue()).body("sources.'custom.a'", nullValue());

        // user in a project: default -> organization of the project -> project -> user -> user in the project
        inForce(uip).header("ETag", "\"1.1.2.1\"")
                .body("version", equalTo(1))
                .body("options.theme", equalTo("dark")).body("sources.theme", equalTo("organization"))
                .body("options.language", equalTo("de")).body("sources.language", equalTo("user"))
                .body("options.'custom.a'", equalTo(1)).body("sources.'custom.a'", equalTo("organization"))
                .body("options.'custom.b'", equalTo(2)).body("sources.'custom.b'", equalTo("project"))
                .body("options.'custom.c'", equalTo(3)).body("sources.'custom.c'", equalTo("user"))
                .body("options.'custom.d'", equalTo(4)).body("sources.'custom.d'", equalTo("user-in-project"))
                .body("options.project-only", equalTo(9)).body("sources.project-only", equalTo("project"))
                .body("options.user-only", equalTo(true)).body("sources.user-only", equalTo("user"))
                .body("options.'ui.density'", equalTo(3)).body("sources.'ui.density'", equalTo("default"));

        // user in an organization: default -> organization -> user -> user in the organization
        inForce(uio).header("ETag", "\"1.1.1\"")
                .body("options.theme", equalTo("dark")).body("sources.theme", equalTo("organization"))
                .body("options.language", equalTo("de")).body("sources.language", equalTo("user"))
                .body("options.'custom.b'", equalTo(1)).body("sources.'custom.b'", equalTo("organization"))
                .body("options.'ui.density'", equalTo(5)).body("sources.'ui.density'", equalTo("user-in-organization"))
                .body("options.project-only", nullValue());

        // a change in any layer changes the entity tag; the old one no longer answers 304
        given().queryParam("inherit", "true").header("If-None-Match", "\"1.1.2.1\"").when().get(uip).then().statusCode(304);
        patch(org, "{\"custom.e\": 5}");
        given().queryParam("inherit", "true").header("If-None-Match", "\"1.1.2.1\"").when().get(uip).then().statusCode(200)
                .header("ETag", "\"1.1.2.2\"").body("options.'custom.e'", equalTo(5));
    }

    @Test
    void aMoveChangesTheValuesInForceOfTheProjectsScopes() {
        long first = Fixtures.newId();
        long second = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        patch("/v1/organizations/" + first + "/options", "{\"theme\": \"dark\"}");
        patch("/v1/organizations/" + second + "/options", "{\"theme\": \"system\", \"custom.x\": true}");
        register(project, first);
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        inForce(uip).body("options.theme", equalTo("dark")).body("options.'custom.x'", nullValue()).header("ETag", "\"0.0.1.1\"");
        register(project, second);
        inForce(uip).body("options.theme", equalTo("system")).body("options.'custom.x'", equalTo(true)).header("ETag", "\"0.0.2.1\"");
        inForce("/v1/projects/" + project + "/options").body("sources.theme", equalTo("organization")).body("options.theme", equalTo("system"));
    }

    @Test
    void explainNamesTheWholeChainNarrowestFirst() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        register(project, organization);
        patch("/v1/organizations/" + organization + "/options", "{\"theme\": \"dark\"}");
        patch("/v1/users/" + user + "/projects/" + project + "/options", "{\"theme\": \"system\"}");
        patch("/v1/users/" + user + "/options", "{\"language\": \"de\"}");
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";

        given().when().get(uip + "/theme/explain").then().statusCode(200)
                .body("key", equalTo("theme")).body("value", equalTo("system"))
                .body("source", equalTo("user_options:" + user + ":project:" + project)).body("locked", equalTo(false))
                .body("chain.scope", contains("user_options:" + user + ":project:" + project, "user_options:" + user + ":user",
                        "project_options:" + project, "organization_options:" + organization, "default"))
                .body("chain[0].version", equalTo(1)).body("chain[0].value", equalTo("system"))
                .body("chain[1].version", equalTo(1)).body("chain[1].value", nullValue())
                .body("chain[2].version", equalTo(1))
                .body("chain[3].value", equalTo("dark")).body("chain[3].lock", nullValue())
                .body("chain[4].value", equalTo("light"));

        given().put("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
        given().when().get(uip + "/theme/explain").then().statusCode(200)
                .body("value", equalTo("dark")).body("source", equalTo("organization_options:" + organization))
                .body("locked", equalTo(true)).body("chain[3].lock", equalTo(true)).body("chain[3].version", equalTo(2))
                .body("chain[0].value", equalTo("system"));

        // language excludes projects; a key with no value anywhere has none
        given().when().get("/v1/projects/" + project + "/options/language/explain").then().statusCode(200)
                .body("chain[0].applies", equalTo(false)).body("chain[1].applies", nullValue());
        given().when().get(uip + "/custom.none/explain").then().statusCode(200)
                .body("value", nullValue()).body("source", nullValue()).body("chain[4].scope", equalTo("default"));
        given().when().get(uip + "/bad key/explain").then().statusCode(400);
    }
}
