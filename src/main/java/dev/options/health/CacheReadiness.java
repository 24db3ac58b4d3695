package dev.options.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.options.config.OptionsConfig;
import dev.options.events.InvalidationFeed;

/**
 * Readiness detail for Redis. The service answers without Redis (from Postgres), so this check
 * never takes an instance out of rotation: it stays UP and says {@code degraded} while the
 * invalidation feed is not connected. Postgres, which the service cannot answer without, has the
 * datasource's own readiness checks; liveness depends on neither.
 */
@Readiness
@ApplicationScoped
public class CacheReadiness implements HealthCheck {

    private final InvalidationFeed feed;
    private final boolean caches;

    public CacheReadiness(InvalidationFeed feed, OptionsConfig config) {
        this.feed = feed;
        this.caches = config.cache().enabled();
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("Redis caches and invalidation feed")
                .up()
                .withData("redis", feed.connected() ? "connected" : "degraded")
                .withData("nearCache", caches && feed.connected() ? "in use" : "bypassed")
                .build();
    }
}
