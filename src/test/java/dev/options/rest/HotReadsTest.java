package dev.options.rest;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.options.cache.SharedCache;
import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.events.InvalidationFeed;
import dev.options.scope.ScopeKey;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * The hot-read route answers plain whole-scope reads exactly as the REST resource does (same bytes,
 * same headers, same 304), and hands every other form of the request on to the resource.
 */
@QuarkusTest
class HotReadsTest {

    @Inject
    MeterRegistry meters;

    @Inject
    InvalidationFeed feed;

    @Inject
    Redis redis;

    @BeforeEach
    void feedConnected() {
        Events.awaitConnected(feed);
    }

    private double hotReads() {
        return meters.find("options.http.hot_reads").counter().count();
    }

    private double cache(String meter, String layer) {
        return meters.find(meter).tag("layer", layer).counter().count();
    }

    private static String scopeWithOptions() {
        String scope = "/v1/projects/" + Fixtures.newId() + "/options";
        given().contentType("application/merge-patch+json").body("{\"b\": [1, 2], \"a\": {\"x\": true}}").when().patch(scope)
                .then().statusCode(200);
        return scope;
    }

    @Test
    void aPlainReadIsAnsweredOnTheRouteWithTheResourcesBytesAndHeaders() {
        String scope = scopeWithOptions();
        double before = hotReads();
        Response hot = given().when().get(scope);
        assertThat(hotReads() - before).as("answered on the hot-read route").isEqualTo(1);

        Response resource = given().queryParam("inherit", "false").when().get(scope);
        assertThat(hotReads() - before).as("a query goes to the resource").isEqualTo(1);
        assertThat(hot.statusCode()).isEqualTo(200);
        assertThat(resource.statusCode()).isEqualTo(200);
        assertThat(hot.asByteArray()).isEqualTo(resource.asByteArray());
        for (String header : new String[] { "Content-Type", "ETag", "Cache-Control", "X-Content-Type-Options" }) {
            assertThat(hot.header(header)).as(header).isNotNull().isEqualTo(resource.header(header));
        }
        assertThat(hot.jsonPath().getInt("version")).isEqualTo(1);
    }

    @Test
    void valuesInForceAreAnsweredOnTheRouteWithTheResourcesBytesAndHeaders() {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        given().contentType(ContentType.JSON).body("{\"organization\": " + organization + "}").when().put("/v1/projects/" + project)
                .then().statusCode(200);
        given().contentType("application/merge-patch+json").body("{\"theme\": \"dark\", \"custom.o\": 1}")
                .when().patch("/v1/organizations/" + organization + "/options").then().statusCode(200);
        given().when().put("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
        given().contentType("application/merge-patch+json").body("{\"custom.u\": [1, 2]}")
                .when().patch("/v1/users/" + user + "/projects/" + project + "/options").then().statusCode(200);
        for (String scope : new String[] { "/v1/users/" + user + "/projects/" + project + "/options",
                "/v1/users/" + user + "/organizations/" + organization + "/options", "/v1/projects/" + project + "/options",
                "/v1/organizations/" + organization + "/options", "/v1/users/" + user + "/options" }) {
            double before = hotReads();
            Response hot = given().queryParam("inherit", "true").when().get(scope);
            Response again = given().queryParam("inherit", "true").when().get(scope);
            assertThat(hotReads() - before).as("%s answered on the route, twice", scope).isEqualTo(2);
            Response resource = given().queryParam("inherit", "true").queryParam("defaults", "include").when().get(scope);
            assertThat(hotReads() - before).as("another query goes to the resource").isEqualTo(2);
            assertThat(hot.statusCode()).isEqualTo(200);
            assertThat(hot.asByteArray()).as(scope).isEqualTo(resource.asByteArray()).isEqualTo(again.asByteArray());
            for (String header : new String[] { "Content-Type", "ETag", "Cache-Control", "X-Content-Type-Options" }) {
                assertThat(hot.header(header)).as(header).isNotNull().isEqualTo(resource.header(header));
            }
            given().queryParam("inherit", "true").header("If-None-Match", hot.header("ETag")).when().get(scope).then().statusCode(304);
        }
        // a kept document is answered from the near cache's entries of its four layers, without reading
        // them into a unit of work
        String uip = "/v1/users/" + user + "/projects/" + project + "/options";
        given().queryParam("inherit", "true").when().get(uip).then().statusCode(200);
        double nearHits = cache("options.cache.hits", "near");
        double requestMisses = cache("options.cache.misses", "request");
        byte[] kept = given().queryParam("inherit", "true").when().get(uip).then().statusCode(200).extract().asByteArray();
        assertThat(cache("options.cache.hits", "near") - nearHits).as("a near hit per layer").isEqualTo(4);
        assertThat(cache("options.cache.misses", "request") - requestMisses).as("no unit-of-work reads").isZero();
        assertThat(kept).isEqualTo(given().queryParam("inherit", "true").queryParam("defaults", "include").when().get(uip).asByteArray());
        // a change of any layer is in the next answer, not the document kept before it
        given().queryParam("inherit", "true").when().get(uip).then().body("options.'custom.o'", equalTo(1));
        given().contentType(ContentType.JSON).body("2").when().put("/v1/organizations/" + organization + "/options/custom.o").then().statusCode(200);
        given().queryParam("inherit", "true").when().get(uip).then().body("options.'custom.o'", equalTo(2)).body("locked[0]", equalTo("theme"));
        given().when().delete("/v1/organizations/" + organization + "/locks/theme").then().statusCode(200);
        given().queryParam("inherit", "true").when().get(uip).then().body("locked.size()", equalTo(0));
    }

    @Test
    void ifNoneMatchOfTheCurrentVersionIs304OnTheRoute() {
        String scope = scopeWithOptions();
        double before = hotReads();
        given().header("If-None-Match", "\"1\"").when().get(scope).then().statusCode(304).header("ETag", "\"1\"");
        given().header("If-None-Match", "\"0\"").when().get(scope).then().statusCode(200).body("version", equalTo(1));
        assertThat(hotReads() - before).isEqualTo(2);
    }

    @Test
    void everyOtherFormGoesToTheResource() {
        String scope = scopeWithOptions();
        String id = scope.split("/")[3];
        double before = hotReads();
        given().header("Cache-Control", "no-cache").when().get(scope).then().statusCode(200).body("version", equalTo(1));
        given().when().get("/v1/projects/00" + id + "/options").then().statusCode(200).body("version", equalTo(1));
        given().when().get("/v1/projects/0/options").then().statusCode(400).contentType("application/problem+json");
        given().when().get("/v1/projects/99999999999999999999/options").then().statusCode(400);
        given().when().get("/v1/teams/1/options").then().statusCode(404);
        given().queryParam("defaults", "exclude").when().get(scope).then().statusCode(200);
        given().header("If-None-Match", "abc").when().get(scope).then().statusCode(400)
                .contentType("application/problem+json");
        assertThat(hotReads() - before).as("none of them on the route").isZero();
        given().contentType(ContentType.JSON).body("3").when().put(scope + "/c").then().statusCode(200);
        given().when().get(scope).then().statusCode(200).body("version", equalTo(2)).body("options.c", equalTo(3));
        assertThat(hotReads() - before).as("a read after a write sees it, on the route").isEqualTo(1);
    }

    private double count(String name, String layer) {
        return meters.find(name).tag("layer", layer).counter().count();
    }

    @Test
    void aScopeHeldNearIsAnsweredFromTheDocumentsTierUntilAnEventOfANewerVersion() {
        long project = Fixtures.newId();
        String scope = "/v1/projects/" + project + "/options";
        given().contentType(ContentType.JSON).body("1").when().put(scope + "/a").then().statusCode(200);
        double requestMisses = count("options.cache.misses", "request");
        double nearHits = count("options.cache.hits", "near");
        given().when().get(scope).then().statusCode(200).body("version", equalTo(1)).body("options.a", equalTo(1));
        assertThat(count("options.cache.hits", "near") - nearHits).as("answered near").isEqualTo(1);
        assertThat(count("options.cache.misses", "request") - requestMisses)
                .as("from the documents tier: no unit of work was asked").isZero();

        // another instance's save: Postgres and its event move on, this instance's near cache did not
        String key = "project_options:" + project;
        Database.execute("UPDATE option_scopes SET version = 2 WHERE scope_key = ?", key);
        Database.execute("UPDATE project_options SET value = cast('5' AS jsonb) WHERE project_id = ? AND key = 'a'", project);
        given().when().get(scope).then().statusCode(200).body("version", equalTo(1));
        feed.appendAll(List.of(feed.appendCommand(new ScopeKey(key), 2, List.of("a"), InvalidationFeed.Order.ANY))).await().atMost(Duration.ofSeconds(5));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int version = 1;
        while (version == 1 && System.nanoTime() < deadline) {
            version = given().when().get(scope).then().statusCode(200).extract().jsonPath().getInt("version");
        }
        assertThat(version).as("the event took the old document away").isEqualTo(2);
        given().when().get(scope).then().statusCode(200).body("version", equalTo(2)).body("options.a", equalTo(5));
    }

    @Test
    void aScopeReadFromPostgresIsOfferedToRedisForTheOtherInstances() throws Exception {
        long project = Fixtures.newId();
        String key = "project_options:" + project;
        // written by another instance whose offer to Redis was lost: Postgres alone holds it
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 3)", key);
        Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, 'a', cast('7' AS jsonb))", project);
        double loads = count("options.cache.misses", "shared");
        given().when().get("/v1/projects/" + project + "/options").then().statusCode(200)
                .body("version", equalTo(3)).body("options.a", equalTo(7));
        assertThat(count("options.cache.misses", "shared") - loads).as("Redis did not hold it").isEqualTo(1);

        // the reader was answered without waiting for the offer, which lands soon after
        Request get = Request.cmd(Command.GET).arg("options:test:scope:" + SharedCache.FORMAT + key);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        io.vertx.mutiny.redis.client.Response held = null;
        while (held == null && System.nanoTime() < deadline) {
            held = redis.send(get).await().atMost(Duration.ofSeconds(5));
            if (held == null) {
                Thread.sleep(20);
            }
        }
        assertThat(held).as("Redis holds what was read").isNotNull();
        assertThat(held.toString()).isEqualTo("3:{\"a\":7}");
    }

    @Test
    void whileRedisDoesNotAnswerFillsColdReadsAreAnsweredAndAtMost64FillsWait() throws Exception {
        int scopes = 150;
        long first = Fixtures.newId() * 1000;
        Database.execute("INSERT INTO option_scopes (scope_key, version) SELECT 'project_options:' || g, 1"
                + " FROM generate_series(?::bigint, ?::bigint) g", first, first + scopes - 1);
        double dropped = meters.find("options.cache.shared-fills-dropped").counter().count();
        // Redis answers reads but holds every command that may write, fills among them
        redis.send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(5000).arg("WRITE")).await().atMost(Duration.ofSeconds(5));
        // all at once: each waits for Redis's read timeout (its MGET queues behind the held fills) before Postgres
        ExecutorService clients = Executors.newFixedThreadPool(scopes);
        try {
            List<Future<Integer>> reads = new ArrayList<>();
            for (int i = 0; i < scopes; i++) {
                String scope = "/v1/projects/" + (first + i) + "/options";
                reads.add(clients.submit(() -> given().when().get(scope).then().extract().statusCode()));
            }
            for (Future<Integer> read : reads) {
                assertThat(read.get(10, TimeUnit.SECONDS)).as("answered without waiting for its fill").isEqualTo(200);
            }
            assertThat(meters.find("options.cache.shared-fills-dropped").counter().count() - dropped)
                    .as("fills beyond the 64 waiting were dropped").isGreaterThanOrEqualTo(scopes - 64);
        } finally {
            clients.shutdownNow();
            redis.send(Request.cmd(Command.CLIENT).arg("UNPAUSE")).await().atMost(Duration.ofSeconds(5));
        }
    }
}
