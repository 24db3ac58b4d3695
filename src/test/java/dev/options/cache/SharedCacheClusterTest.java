package dev.options.cache;

import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.PrivateClusterRedis;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;

/**
 * Against Redis Cluster, batched and bulk reads still give each scope its own entry: the client's
 * cross-slot MGET, split by slot, may answer in another order than the keys were asked in
 * (vert-x3/vertx-redis-client#537), so the cache does not send one there.
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

    @Test
    void readsTogetherAndBulkReadsGetTheirOwnScopes() throws Exception {
        SharedCacheBatchTest.readTogetherEachGetsItsOwn(shared, vertx, SharedCacheBatchTest.offerScopes(shared));
    }
}
