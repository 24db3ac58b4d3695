package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Fixtures;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;

/**
 * Reads of Redis asked for together on an event loop go out as one MGET, and each reader gets its
 * own scope: a hit its own version, a miss nothing, whatever its place in the batch.
 */
@QuarkusTest
class SharedCacheBatchTest {

    @Inject
    SharedCache shared;

    @Inject
    Redis redis;

    @Inject
    Vertx vertx;

    @Test
    void readsAskedForTogetherGoOutInOneCommandAndEachGetsItsOwnScope() throws Exception {
        List<ScopeKey> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ScopeKey key = Scope.organization(Fixtures.newId()).key();
            keys.add(key);
            // every third scope is not in Redis; the others at a version of their own
            if (i % 3 != 0) {
                shared.offer(key, new StoredScope(100 + i, Map.of("n", IntNode.valueOf(i)))).await().indefinitely();
            }
        }
        long mgetsBefore = calls("mget");
        long getsBefore = calls("get");

        Context loop = vertx.getOrCreateContext();
        CompletableFuture<List<Optional<StoredScope>>> read = new CompletableFuture<>();
        loop.runOnContext(ignored -> {
            List<Uni<Optional<StoredScope>>> reads = keys.stream().map(shared::get).toList();
            Uni.join().all(reads).andFailFast().subscribe().with(read::complete, read::completeExceptionally);
        });
        List<Optional<StoredScope>> found = read.get(10, TimeUnit.SECONDS);

        for (int i = 0; i < keys.size(); i++) {
            if (i % 3 == 0) {
                assertThat(found.get(i)).as("scope %d, not in Redis", i).isEmpty();
            } else {
                assertThat(found.get(i)).as("scope %d", i).isPresent();
                assertThat(found.get(i).get().version()).as("scope %d", i).isEqualTo(100 + i);
                assertThat(found.get(i).get().options().get("n").asInt()).as("scope %d", i).isEqualTo(i);
            }
        }
        assertThat(calls("mget") - mgetsBefore).as("MGETs for 40 reads asked for in one event-loop task").isEqualTo(1);
        assertThat(calls("get") - getsBefore).as("single GETs").isZero();
    }

    @Test
    void aReadOffTheEventLoopIsAnsweredToo() {
        ScopeKey key = Scope.organization(Fixtures.newId()).key();
        shared.offer(key, new StoredScope(7, Map.of("n", IntNode.valueOf(7)))).await().indefinitely();
        assertThat(shared.get(key).await().atMost(java.time.Duration.ofSeconds(5)))
                .hasValueSatisfying(stored -> assertThat(stored.version()).isEqualTo(7));
        assertThat(shared.get(Scope.organization(Fixtures.newId()).key()).await().atMost(java.time.Duration.ofSeconds(5)))
                .isEmpty();
    }

    /** How many times Redis has run {@code command}, from INFO commandstats. */
    private long calls(String command) {
        String stats = redis.send(Request.cmd(Command.INFO).arg("commandstats")).await().indefinitely().toString();
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                String count = line.substring(line.indexOf("calls=") + 6);
                return Long.parseLong(count.substring(0, count.indexOf(',')));
            }
        }
        return 0;
    }
}
