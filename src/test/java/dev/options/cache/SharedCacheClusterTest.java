package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;

/**
 * Against Redis Cluster, batched and bulk reads still give each scope its own entry: the client's
 * cross-slot MGET, split by slot, may answer in another order than the keys were asked in
 * (vert-x3/vertx-redis-client#537), so the cache does not send one there. An offer and a command on
 * a key of another slot, which one batch cannot carry, are sent apart and both apply.
 */
@QuarkusTest
@TestProfile(SharedCacheClusterTest.Cluster.class)
class SharedCacheClusterTest {

    public static class Cluster implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PrivateClusterRedis.class));
        }
    }

    @Inject
    SharedCache shared;

    @Inject
    Vertx vertx;

    @Inject
    Redis redis;

    @Test
    void readsTogetherAndBulkReadsGetTheirOwnScopes() throws Exception {
        SharedCacheBatchTest.readTogetherEachGetsItsOwn(shared, vertx, SharedCacheBatchTest.offerScopes(shared));
    }

    @Test
    void anOfferAndACommandOnAKeyOfAnotherSlotBothApply() {
        for (int i = 0; i < 5; i++) {
            ScopeKey key = Scope.organization(Fixtures.newId()).key();
            shared.offerWithAll(key, new StoredScope(4, Map.of("n", IntNode.valueOf(i))),
                    List.of(Request.cmd(Command.XADD).arg(SharedCacheBatchTest.TEST_STREAM).arg("*").arg("scope").arg(key.value())))
                    .await().atMost(Duration.ofSeconds(10));
            assertThat(shared.get(key).await().atMost(Duration.ofSeconds(5)))
                    .hasValueSatisfying(stored -> assertThat(stored.version()).isEqualTo(4));
        }
        assertThat(redis.send(Request.cmd(Command.XLEN).arg(SharedCacheBatchTest.TEST_STREAM)).await().indefinitely().toLong())
                .isEqualTo(5);
    }
}
