package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Fixtures;
import dev.options.PrivateClusterRedis;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Multi;

/**
 * Against Redis Cluster a read of many scopes goes out as one GET each, a bounded number at a time:
 * with a small pool and wait queue (here 8 connections, 64 waiting), a thousand GETs sent at once
 * would overflow the queue and fail the read (and every command queued beside it).
 */
@QuarkusTest
@TestProfile(SharedCacheClusterBulkTest.SmallPool.class)
class SharedCacheClusterBulkTest {

    public static class SmallPool implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PrivateClusterRedis.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            // a read timeout far longer than a thousand GETs take on a busy machine: only a full wait
            // queue, which fails at once, can fail the read
            return Map.of("quarkus.redis.max-pool-size", "8", "quarkus.redis.max-pool-waiting", "64",
                    "options.cache.shared-timeout", "PT20S");
        }
    }

    @Inject
    SharedCache shared;

    @Test
    void aThousandScopesReadTogetherWithinTheWaitQueue() {
        List<ScopeKey> keys = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            keys.add(Scope.organization(Fixtures.newId()).key());
        }
        Multi.createFrom().range(0, keys.size())
                .onItem().transformToUni(i -> shared.offer(keys.get(i), new StoredScope(i + 1, Map.of("n", IntNode.valueOf(i))),
                        Duration.ofSeconds(10)))
                .merge(8).collect().last().await().atMost(Duration.ofSeconds(60));

        Map<ScopeKey, StoredScope> all = shared.getAll(keys).await().atMost(Duration.ofSeconds(30));
        assertThat(all).as("every scope read, none lost to a full wait queue").hasSize(1000);
        for (int i = 0; i < keys.size(); i++) {
            assertThat(all.get(keys.get(i)).version()).as("scope %d", i).isEqualTo(i + 1);
        }
    }
}
