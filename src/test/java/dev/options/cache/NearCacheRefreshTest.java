package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.events.InvalidationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A scope read all the time is reloaded in the background near the end of each near-cache life, so
 * its readers never miss the near cache after the first fill, however many lives go by.
 */
@QuarkusTest
@TestProfile(NearCacheRefreshTest.ShortLives.class)
class NearCacheRefreshTest {

    public static class ShortLives implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.cache.near-ttl", "PT4S");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    MeterRegistry meters;

    @Inject
    InvalidationFeed feed;

    private double count(String name, String layer) {
        return layer == null ? meters.find(name).counter().count() : meters.find(name).tag("layer", layer).counter().count();
    }

    @Test
    void aScopeReadAllTheTimeOutlivesItsNearCacheLifeWithoutAMiss() throws Exception {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        String scope = "/v1/organizations/" + Fixtures.newId() + "/options";
        assertThat(http.send("PUT", scope + "/a", "application/json", "1").status()).isEqualTo(200);
        assertThat(http.get(scope).status()).isEqualTo(200);
        double misses = count("options.cache.misses", "near");
        double refreshes = count("options.cache.refreshes", null);

        long end = System.nanoTime() + 12_000_000_000L;
        while (System.nanoTime() < end) {
            Http.Answer read = http.get(scope);
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.json().get("options").get("a").asInt()).isEqualTo(1);
            Thread.sleep(50);
        }

        assertThat(count("options.cache.misses", "near") - misses).as("near-cache misses over three lives and more").isZero();
        assertThat(count("options.cache.refreshes", null) - refreshes).as("reloads in the background").isGreaterThanOrEqualTo(2);
    }
}
