package dev.options.option;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.cache.NearCache;
import dev.options.scope.Scope;
import dev.options.store.StoredScope;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;

/**
 * A reader that joins a load already in flight never answers older than a version this instance
 * knows of: a load that began before version 2 was heard of, and ends with version 1, is loaded
 * again for the reader that joined it after.
 */
@QuarkusTest
class JoinedLoadTest {

    @Inject
    LayeredReads reads;

    @Inject
    NearCache near;

    @Test
    void aJoinedLoadOlderThanWhatIsKnownIsLoadedAgain() throws Exception {
        long project = Fixtures.newId();
        Scope scope = Scope.project(project);
        // Postgres is at version 2 ...
        Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 2)", scope.key().value());
        Database.execute("INSERT INTO project_options (project_id, key, value) VALUES (?, 'a', '2'::jsonb)", project);
        // ... a load of the scope is in flight, begun when it was at 1 ...
        AtomicReference<UniEmitter<? super NearCache.Entry>> inFlight = new AtomicReference<>();
        reads.loading.put(scope.key(), Uni.createFrom().<NearCache.Entry>emitter(inFlight::set).memoize().indefinitely());
        // ... and this instance has since heard of version 2
        near.invalidate(scope.key(), 2);

        CompletableFuture<NearCache.Entry> joined = new CompletableFuture<>();
        reads.cached(scope).subscribe().with(joined::complete, joined::completeExceptionally);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (inFlight.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(inFlight.get()).as("the reader joined the load in flight").isNotNull();
        inFlight.get().complete(new NearCache.Entry(new StoredScope(1, Map.of("a", IntNode.valueOf(1))), new byte[] { 1 }));
        reads.loading.remove(scope.key());

        NearCache.Entry answered = joined.get(10, TimeUnit.SECONDS);
        assertThat(answered.stored().version()).as("never older than the version heard of").isEqualTo(2);
        assertThat(answered.stored().options().get("a").asInt()).isEqualTo(2);
    }
}
