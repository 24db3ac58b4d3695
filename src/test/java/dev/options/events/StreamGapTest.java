package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.cache.SharedCache;
import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;

/**
 * Events trimmed from the stream before this instance read them (another instance's write among
 * them) are noticed while the feed stays connected: the near cache is flushed, and the next read
 * answers what Postgres holds instead of the version the lost event would have invalidated.
 */
@QuarkusTest
@TestProfile(StreamGapTest.OwnStream.class)
class StreamGapTest {

    private static final String STREAM = "options:changes:test-gap";

    public static class OwnStream implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.feed.stream", STREAM, "options.feed.gap-check", "PT0.2S");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @Test
    void eventsTrimmedBeforeTheyWereReadFlushTheNearCache() throws Exception {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        long project = Fixtures.newId();
        String key = "project_options:" + project;
        String scope = "/v1/projects/" + project + "/options";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
        assertThat(http.get(scope).json().get("options").get("a").asInt()).isEqualTo(1);
        Thread.sleep(500);
        long gaps = feed.gaps();

        // another instance commits version 2; its event is appended and, with thousands after it,
        // trimmed away in one step, before this instance's tail could read it
        Database.execute("UPDATE project_options SET value = '2'::jsonb WHERE project_id = ? AND key = 'a'", project);
        Database.execute("UPDATE option_scopes SET version = 2 WHERE scope_key = ?", key);
        redis.send(Request.cmd(Command.DEL).arg("options:test:scope:" + SharedCache.FORMAT + key)).await().atMost(Duration.ofSeconds(5));
        String script = "redis.call('XADD', KEYS[1], '*', 'scope', ARGV[1], 'version', 2, 'keys', '[\"a\"]')"
                + " for i = 1, 5000 do redis.call('XADD', KEYS[1], 'MAXLEN', 10, '*', 'scope', 'project_options:1', 'version', i, 'keys', '[]') end"
                + " return 1";
        redis.send(Request.cmd(Command.EVAL).arg(script).arg(1).arg(STREAM).arg(key)).await().atMost(Duration.ofSeconds(30));

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (feed.gaps() == gaps && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(feed.gaps()).as("the gap was noticed").isGreaterThan(gaps);
        Events.awaitConnected(feed);
        Http.Answer read = http.get(scope);
        assertThat(read.json().get("version").asLong()).as("the near cache no longer answers version 1").isEqualTo(2);
        assertThat(read.json().get("options").get("a").asInt()).isEqualTo(2);
    }
}
