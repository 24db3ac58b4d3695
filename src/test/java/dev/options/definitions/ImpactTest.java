package dev.options.definitions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.value.OptionJson;
import io.quarkus.test.junit.QuarkusTest;

/**
 * API.md "Definitions", impact: the counts of {@code GET /v1/definitions/{key}/impact} agree with a
 * brute-force count over a seeded data set, made by reading every seeded scope's values in force and
 * counting those whose value comes from the default and differs from the candidate. Other tests'
 * scopes are in the same database, so the counts compared are what the seeding added.
 */
@QuarkusTest
class ImpactTest {

    /** The scopes seeded, by kind label, as their options paths. */
    private final Map<String, List<String>> seeded = new LinkedHashMap<>();

    private void write(String kind, String scope, String body) {
        given().contentType("application/merge-patch+json").body(body).patch(scope).then().statusCode(200)
                .body("version", org.hamcrest.Matchers.greaterThan(0));
        seeded.computeIfAbsent(kind, k -> new ArrayList<>()).add(scope);
    }

    private void plant(String kind, String scopeKey, String scope, int epoch, Long organization) {
        Database.execute("INSERT INTO option_scopes (scope_key, version, epoch, organization_id) VALUES (?, 1, ?, ?)",
                scopeKey, epoch, organization);
        seeded.computeIfAbsent(kind, k -> new ArrayList<>()).add(scope);
    }

    private static void register(long project, long organization) {
        given().contentType("application/json").body("{\"organization\": " + organization + "}").put("/v1/projects/" + project)
                .then().statusCode(200);
    }

    private static Map<String, Long> impact(String key, String candidate) {
        JsonNode document = OptionJson.parseStored(given().queryParam("default", candidate).get("/v1/definitions/" + key + "/impact")
                .then().statusCode(200).extract().asString());
        Map<String, Long> counts = new LinkedHashMap<>();
        document.get("scopes").fields().forEachRemaining(field -> counts.put(field.getKey(), field.getValue().asLong()));
        return counts;
    }

    /** Per kind, the seeded scopes whose value in force of {@code key} comes from the default and is not {@code candidate}. */
    private Map<String, Long> bruteForce(String key, String candidate, List<String> kinds) {
        JsonNode value = OptionJson.parseStored(candidate);
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String kind : kinds) {
            long count = 0;
            for (String scope : seeded.getOrDefault(kind, List.of())) {
                JsonNode inForce = OptionJson.parseStored(given().get(scope + "?inherit=true").then().statusCode(200).extract().asString());
                if (inForce.get("version").asLong() == 0) {
                    continue; // never written: not a scope the service knows
                }
                boolean fromDefault = !inForce.get("sources").has(key) || inForce.get("sources").get(key).asText().equals("default");
                if (fromDefault && !value.equals(inForce.get("options").get(key))) {
                    count++;
                }
            }
            counts.put(kind, count);
        }
        return counts;
    }

    @Test
    void theCountsAgreeWithABruteForceCountOverASeededDataSet() {
        List<String> candidates = List.of("\"classic\"", "\"compact\"", "\"dense\"");
        List<String> all = List.of("organization", "project", "user", "user-in-project", "user-in-organization");
        List<String> languageKinds = List.of("organization", "user", "user-in-project", "user-in-organization");
        Map<String, Map<String, Long>> before = new LinkedHashMap<>();
        candidates.forEach(candidate -> before.put(candidate, impact("sidebar", candidate)));
        Map<String, Long> languageBefore = impact("language", "\"de\"");
        Map<String, Long> dateFormatBefore = impact("date_format", "\"eu\"");

        long o1 = Fixtures.newId(), o2 = Fixtures.newId(), o3 = Fixtures.newId();
        long p1 = Fixtures.newId(), p2 = Fixtures.newId(), p3 = Fixtures.newId(), p4 = Fixtures.newId(), p5 = Fixtures.newId(),
                p6 = Fixtures.newId();
        long u1 = Fixtures.newId(), u2 = Fixtures.newId(), u3 = Fixtures.newId();
        write("organization", "/v1/organizations/" + o1 + "/options", "{\"sidebar\": \"classic\", \"language\": \"fr\"}");
        write("organization", "/v1/organizations/" + o2 + "/options", "{\"theme\": \"dark\"}");
        plant("organization", "organization_options:" + o3, "/v1/organizations/" + o3 + "/options", 1, null);
        register(p1, o1);
        seeded.computeIfAbsent("project", k -> new ArrayList<>()).add("/v1/projects/" + p1 + "/options");
        register(p2, o2);
        write("project", "/v1/projects/" + p2 + "/options", "{\"sidebar\": \"dense\"}");
        register(p3, o2);
        write("project", "/v1/projects/" + p3 + "/options", "{\"theme\": \"dark\"}");
        write("project", "/v1/projects/" + p4 + "/options", "{\"theme\": \"dark\"}");
        plant("project", "project_options:" + p5, "/v1/projects/" + p5 + "/options", 2, o3);
        // stored before language stopped applying to projects: it does not count for the scopes below
        plant("project", "project_options:" + p6, "/v1/projects/" + p6 + "/options", 3, o2);
        Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, 'language', '\"fr\"')", p6);
        write("user", "/v1/users/" + u1 + "/options", "{\"sidebar\": \"compact\"}");
        write("user", "/v1/users/" + u2 + "/options", "{\"theme\": \"dark\"}");
        plant("user", "user_options:" + u3 + ":user", "/v1/users/" + u3 + "/options", 1, null);
        write("user-in-project", "/v1/users/" + u1 + "/projects/" + p3 + "/options", "{\"theme\": \"dark\"}");
        write("user-in-project", "/v1/users/" + u2 + "/projects/" + p1 + "/options", "{\"theme\": \"dark\"}");
        write("user-in-project", "/v1/users/" + u2 + "/projects/" + p3 + "/options", "{\"theme\": \"system\"}");
        write("user-in-project", "/v1/users/" + u3 + "/projects/" + p4 + "/options", "{\"theme\": \"dark\"}");
        write("user-in-project", "/v1/users/" + u2 + "/projects/" + p2 + "/options", "{\"sidebar\": \"classic\"}");
        write("user-in-project", "/v1/users/" + u1 + "/projects/" + p6 + "/options", "{\"theme\": \"dark\"}");
        plant("user-in-project", "user_options:" + u3 + ":project:" + p5, "/v1/users/" + u3 + "/projects/" + p5 + "/options", 1, null);
        write("user-in-organization", "/v1/users/" + u2 + "/organizations/" + o1 + "/options", "{\"theme\": \"dark\"}");
        write("user-in-organization", "/v1/users/" + u3 + "/organizations/" + o2 + "/options", "{\"theme\": \"dark\"}");
        write("user-in-organization", "/v1/users/" + u2 + "/organizations/" + o3 + "/options", "{\"language\": \"it\"}");

        for (String candidate : candidates) {
            Map<String, Long> after = impact("sidebar", candidate);
            Map<String, Long> added = new LinkedHashMap<>();
            after.forEach((kind, count) -> added.put(kind, count - before.get(candidate).get(kind)));
            assertThat(added).as("sidebar := " + candidate).isEqualTo(bruteForce("sidebar", candidate, all));
        }
        Map<String, Long> languageAfter = impact("language", "\"de\"");
        Map<String, Long> languageAdded = new LinkedHashMap<>();
        languageAfter.forEach((kind, count) -> languageAdded.put(kind, count - languageBefore.get(kind)));
        assertThat(languageAfter.keySet()).as("the kinds the key applies to").containsExactlyElementsOf(languageKinds);
        assertThat(languageAdded).isEqualTo(bruteForce("language", "\"de\"", languageKinds));
        assertThat(languageAdded.values().stream().mapToLong(Long::longValue).sum()).as("the data set exercises the count").isPositive();
        // a value stored under an old name counts as stored
        long renamed = Fixtures.newId();
        plant("user", "user_options:" + renamed + ":user", "/v1/users/" + renamed + "/options", 3, null);
        Database.execute("INSERT INTO user_options (user_id, key, value) VALUES (?, 'dateformat', '\"us\"')", renamed);
        Map<String, Long> dateFormatAdded = new LinkedHashMap<>();
        impact("date_format", "\"eu\"").forEach((kind, count) -> dateFormatAdded.put(kind, count - dateFormatBefore.get(kind)));
        assertThat(dateFormatAdded).isEqualTo(bruteForce("date_format", "\"eu\"", all));
        assertThat(dateFormatAdded.get("user")).as("u1, u2 and u3 take the default; the planted one stores it").isEqualTo(3);
    }

    @Test
    void aBadCandidateOrAnUnknownKeyIsRefused() {
        given().queryParam("default", "\"nope\"").get("/v1/definitions/sidebar/impact").then().statusCode(422)
                .contentType("application/problem+json").body("errors[0].key", equalTo("sidebar"));
        given().get("/v1/definitions/sidebar/impact").then().statusCode(400).body("type", equalTo("/problems/invalid-parameter"));
        given().queryParam("default", "{").get("/v1/definitions/sidebar/impact").then().statusCode(400).body("type", equalTo("/problems/malformed-json"));
        given().queryParam("default", "null").get("/v1/definitions/sidebar/impact").then().statusCode(400);
        given().queryParam("default", "1").get("/v1/definitions/no-such-key/impact").then().statusCode(404);
        given().queryParam("default", "true").get("/v1/definitions/notifications.email/impact").then().statusCode(404);
        given().queryParam("default", "\"us\"").get("/v1/definitions/dateformat/impact").then().statusCode(200).body("key", equalTo("date_format"));
        given().queryParam("default", "\"pt_br\"").get("/v1/definitions/language/impact").then().statusCode(200).body("default", equalTo("pt-BR"));
    }
}
