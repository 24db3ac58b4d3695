package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.options.Http;

/**
 * Two instances sharing Postgres and Redis: what one writes, the other serves with NORMAL reads
 * within 200 ms, and neither ever answers an older version after a newer one.
 */
class TwoInstancesIT {

    @Test
    void everyWriteOnOneIsVisibleOnTheOtherWithin200MsAndVersionsNeverGoBack() throws Exception {
        String run = UUID.randomUUID().toString();
        Map<String, String> shared = Map.of(
                "options.feed.stream", "options:changes:it:" + run,
                "options.cache.shared-prefix", "options:it:" + run + ":");
        try (ServiceProcess a = ServiceProcess.start("a", shared); ServiceProcess b = ServiceProcess.start("b", shared)) {
            Http onA = new Http(a.base());
            Http onB = new Http(b.base());
            String scope = "/v1/projects/" + (System.nanoTime() & 0xFFFFFFFFFFFL) + "/options";
            // both instances hold the scope in their near caches before it changes
            assertThat(onA.get(scope).status()).isEqualTo(200);
            assertThat(onB.get(scope).status()).isEqualTo(200);

            long newestSeenOnB = 0;
            long newestSeenOnA = 0;
            for (int i = 1; i <= 100; i++) {
                Http.Answer write = onA.send("PUT", scope + "/n", "application/json", String.valueOf(i));
                assertThat(write.status()).isEqualTo(200);
                long version = write.json().get("version").asLong();
                assertThat(version).isGreaterThan(newestSeenOnA);
                newestSeenOnA = version;
                long start = System.nanoTime();
                while (true) {
                    long seen = onB.get(scope).json().get("version").asLong();
                    assertThat(seen).as("B went back from %d", newestSeenOnB).isGreaterThanOrEqualTo(newestSeenOnB);
                    newestSeenOnB = seen;
                    long elapsed = (System.nanoTime() - start) / 1_000_000;
                    if (seen >= version) {
                        break;
                    }
                    assertThat(elapsed).as("write %d not visible on B after %d ms", i, elapsed).isLessThan(200);
                }
                long onASeen = onA.get(scope).json().get("version").asLong();
                assertThat(onASeen).as("A reads its own write, and never goes back").isGreaterThanOrEqualTo(newestSeenOnA);
                newestSeenOnA = onASeen;
            }
            assertThat(onB.get(scope + "/n").body()).isEqualTo("100");
        }
    }
}
