package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.cache.SharedCache;
import dev.options.events.InvalidationFeed;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import dev.options.value.OptionJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What the door accepts, every path reads back: Postgres, the shared cache, another read; what it
 * cannot read back is refused at the door and changes nothing. One version has one byte form.
 */
@QuarkusTest
class ValuesAtTheLimitsTest {

    private static final String JSON = "application/json";

    @TestHTTPResource("/")
    URI base;

    @Inject
    SharedCache shared;

    @Inject
    InvalidationFeed feed;

    @Test
    void aNumberTooLongToReadBackIsRefusedAndTheScopeStaysReadable() {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        assertThat(http.send("PUT", scope + "/a", JSON, "1").status()).isEqualTo(200);
        for (String body : new String[] { "1e1000", "1e-1001", "[1e1000]" }) {
            Http.Answer refused = http.send("PUT", scope + "/x", JSON, body);
            assertThat(refused.status()).as("%s: %s", body, refused.body()).isEqualTo(422);
            assertThat(refused.json().get("type").asText()).isEqualTo("/problems/unstorable-value");
            Http.Answer patched = http.send("PATCH", scope, "application/merge-patch+json", "{\"x\": " + body + "}");
            assertThat(patched.status()).as("PATCH %s", body).isEqualTo(422);
        }
        assertThat(Database.version("user_options:" + user + ":user")).isEqualTo(1);
        Http.Answer primary = http.get(scope, "Cache-Control", "no-cache");
        assertThat(primary.status()).as("a read of the primary: %s", primary.body()).isEqualTo(200);
        assertThat(primary.json().get("options").has("x")).isFalse();
    }

    @Test
    void theLongestNumbersAcceptedAreReadBackExactlyFromPostgresAndBatchedWithOthers() {
        Http http = new Http(base);
        long user = Fixtures.newId();
        String scope = "/v1/users/" + user + "/options";
        String longest = "-" + "9".repeat(OptionJson.MAX_NUMBER_LENGTH - 1);
        assertThat(http.send("PUT", scope + "/big", JSON, longest).status()).isEqualTo(200);
        assertThat(http.send("PUT", scope + "/small", JSON, "1e-998").status()).isEqualTo(200);
        Http.Answer primary = http.get(scope, "Cache-Control", "no-cache");
        assertThat(primary.status()).as(primary.body()).isEqualTo(200);
        assertThat(primary.json().get("options").get("big").bigIntegerValue().toString()).isEqualTo(longest);
        assertThat(primary.body()).as("written out in full, exactly").contains("\"small\":0." + "0".repeat(997) + "1");
        Http.Answer one = http.get(scope + "/big", "Cache-Control", "no-cache");
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body()).isEqualTo(longest);
        assertThat(http.send("DELETE", scope + "/big", null, null).status()).as("and it can be unset").isEqualTo(200);
    }

    @Test
    void aValueNestedAsDeepAsAllowedIsServedFromTheSharedCache() {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        long user = Fixtures.newId();
        String deepest = "[".repeat(OptionJson.MAX_NESTING_DEPTH) + "]".repeat(OptionJson.MAX_NESTING_DEPTH);
        assertThat(http.send("PUT", "/v1/users/" + user + "/options/deep", JSON, deepest).status()).isEqualTo(200);
        ScopeKey key = new ScopeKey("user_options:" + user + ":user");
        Optional<StoredScope> cached = Optional.empty();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (cached.isEmpty() && System.nanoTime() < deadline) {
            cached = shared.get(key).await().atMost(Duration.ofSeconds(5));
        }
        assertThat(cached).as("the shared cache reads its own value of the scope back").isPresent();
        assertThat(cached.get().version()).isEqualTo(1);
        assertThat(OptionJson.text(cached.get().options().get("deep"))).isEqualTo(deepest);
    }

    @Test
    void oneVersionHasOneByteFormWhateverOrderTheClientSentMembersIn() {
        Http http = new Http(base);
        String scope = "/v1/projects/" + Fixtures.newId() + "/options";
        Http.Answer written = http.send("PUT", scope + "/o", JSON, "{\"bb\": 1, \"b\": {\"d\": 1, \"c\": 2}, \"a\": 3}");
        assertThat(written.status()).isEqualTo(200);
        Http.Answer primary = http.get(scope + "/o", "Cache-Control", "no-cache");
        assertThat(primary.etag()).isEqualTo(written.etag());
        assertThat(primary.body()).isEqualTo("{\"a\":3,\"b\":{\"c\":2,\"d\":1},\"bb\":1}");
        assertThat(http.get(scope + "/o").body()).as("from the caches the writer filled").isEqualTo(primary.body());
        Http.Answer patched = http.send("PATCH", scope, "application/merge-patch+json", "{\"o\": {\"aa\": 0, \"b\": {\"a\": 9}}}");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(http.get(scope + "/o").body()).isEqualTo(http.get(scope + "/o", "Cache-Control", "no-cache").body())
                .isEqualTo("{\"a\":3,\"b\":{\"a\":9,\"c\":2,\"d\":1},\"aa\":0,\"bb\":1}");
    }
}
