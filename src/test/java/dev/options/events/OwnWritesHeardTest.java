package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeSet;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import dev.options.cache.NearCache;
import dev.options.option.RequestCacheTest;
import dev.options.scope.Scope;
import dev.options.store.StoredScope;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * With the caches off, an instance's own committed write is still the newest version it knows of
 * from the moment it is published, not only once its event comes back through the stream: a NORMAL
 * read that a read replica answers older is then sent to the primary.
 */
@QuarkusTest
@TestProfile(RequestCacheTest.RequestCacheOnly.class)
class OwnWritesHeardTest {

    @Inject
    ChangePublisher publisher;

    @Inject
    NearCache near;

    @Test
    void aCommittedWriteIsHeardAtOnceWithTheCachesOff() {
        Scope scope = Scope.project(Fixtures.newId());
        // not subscribed: nothing is sent to Redis, so nothing can come back through the stream
        publisher.committed(scope, new StoredScope(7, Map.of()), new byte[0], new TreeSet<>(), -1, near.ticket(scope.key()));
        assertThat(near.heardOf(scope.key())).isEqualTo(7);
    }
}
