package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.Http;

/**
 * Two instances sharing Postgres and Redis: what one writes, the other serves with NORMAL reads
 * within 200 ms, and neither ever answers an older version after a newer one.
 */
class TwoInstancesIT {

    /** A change stream and Redis key space of this run's own, which its two instances share. */
    private static Map<String, String> sharedByThisRun() {
        String run = UUID.randomUUID().toString();
        return Map.of("options.feed.stream", "options:changes:it:" + run, "options.cache.shared-prefix", "options:it:" + run + ":");
    }

    @Test
    void everyWriteOnOneIsVisibleOnTheOtherWithin200MsAndVersionsNeverGoBack() throws Exception {
        Map<String, String> shared = sharedByThisRun();
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

    /** Whether composite entity tag {@code a} ({@code "3.0.5.9"}) is older than {@code b} in any layer. */
    private static boolean older(String a, String b) {
        String[] left = a.replace("\"", "").split("\\.");
        String[] right = b.replace("\"", "").split("\\.");
        if (left.length != right.length) {
            return false;
        }
        for (int i = 0; i < left.length; i++) {
            if (Long.parseLong(left[i]) < Long.parseLong(right[i])) {
                return true;
            }
        }
        return false;
    }

    @Test
    void anOrganizationsValueOrLockChangedOnOneIsInForceBelowItOnTheOtherWithin200Ms() throws Exception {
        Map<String, String> shared = sharedByThisRun();
        try (ServiceProcess a = ServiceProcess.start("a", shared); ServiceProcess b = ServiceProcess.start("b", shared)) {
            Http onA = new Http(a.base());
            Http onB = new Http(b.base());
            long id = System.nanoTime() & 0xFFFFFFFFFFFL;
            String organization = "/v1/organizations/" + id;
            assertThat(onA.send("PUT", "/v1/projects/" + id, "application/json", "{\"organization\": " + id + "}").status()).isEqualTo(200);
            String uip = "/v1/users/" + id + "/projects/" + id + "/options?inherit=true";
            assertThat(onA.send("PUT", "/v1/users/" + id + "/projects/" + id + "/options/custom.k", "application/json", "-1").status())
                    .isEqualTo(200);
            // B holds every layer in its near cache before they change
            assertThat(onB.get(uip).status()).isEqualTo(200);

            String newestOnB = onB.get(uip).etag();
            for (int i = 1; i <= 40; i++) {
                boolean lockStep = i % 4 == 0;
                Http.Answer write = lockStep
                        ? onA.send(i % 8 == 0 ? "DELETE" : "PUT", organization + "/locks/custom.k", null, null)
                        : onA.send("PUT", organization + "/options/custom.k", "application/json", String.valueOf(i));
                assertThat(write.status()).isEqualTo(200);
                long organizationVersion = write.json().get("version").asLong();
                boolean locked = write.json().has("locks");
                long start = System.nanoTime();
                while (true) {
                    Http.Answer read = onB.get(uip);
                    assertThat(older(read.etag(), newestOnB)).as("B answered %s after %s", read.etag(), newestOnB).isFalse();
                    newestOnB = read.etag();
                    String[] versions = read.etag().replace("\"", "").split("\\.");
                    long elapsed = (System.nanoTime() - start) / 1_000_000;
                    if (Long.parseLong(versions[versions.length - 1]) >= organizationVersion) {
                        JsonNode inForce = read.json();
                        int expected = locked ? (i % 4 == 0 ? i - 1 : i) : -1;
                        assertThat(inForce.get("options").get("custom.k").asInt()).as("step %d", i).isEqualTo(expected);
                        assertThat(inForce.get("sources").get("custom.k").asText()).isEqualTo(locked ? "organization" : "user-in-project");
                        break;
                    }
                    assertThat(elapsed).as("step %d not in force on B after %d ms", i, elapsed).isLessThan(200);
                }
            }
        }
    }
}
