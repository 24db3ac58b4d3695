package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import dev.options.PrivateRedis;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.vertx.VertxContextSupport;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * A frozen Redis (SIGSTOP): reads of the shared cache answer a miss after its timeout, each on the
 * Vert.x context that asked (Quarkus runs Mutiny's timeouts there), so that what the reader does
 * next, bound to its context as a Panache session is, goes on where it began.
 */
@QuarkusTest
@TestProfile(SharedCacheTimeoutTest.OwnRedis.class)
class SharedCacheTimeoutTest {

    public static class OwnRedis implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PrivateRedis.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.cache.shared-timeout", "PT0.3S");
        }
    }

    @Inject
    SharedCache cache;

    /** Whether a read asked on a request's context answered on that same context, on its event loop. */
    private record Resumed(boolean here, int found) {
    }

    private Resumed readOnAContext(List<ScopeKey> keys, boolean one) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(() -> {
            Context asked = Vertx.currentContext();
            var read = one
                    ? cache.get(keys.get(0)).map(found -> found.isPresent() ? 1 : 0)
                    : cache.getAll(keys).map(Map::size);
            return read.map(found -> new Resumed(Vertx.currentContext() == asked && Context.isOnEventLoopThread(), found));
        });
    }

    @Test
    void readsThatTimeOutAnswerAMissOnTheContextThatAsked() throws Throwable {
        List<ScopeKey> keys = List.of(Scope.project(Fixtures.newId()).key(), Scope.project(Fixtures.newId()).key());
        assertThat(readOnAContext(keys, false)).as("healthy, bulk").isEqualTo(new Resumed(true, 0));
        PrivateRedis.pauseServer();
        try {
            assertThat(readOnAContext(keys, false)).as("timed out, bulk").isEqualTo(new Resumed(true, 0));
            assertThat(readOnAContext(keys, true)).as("timed out, one").isEqualTo(new Resumed(true, 0));
        } finally {
            PrivateRedis.resumeServer();
        }
    }
}
