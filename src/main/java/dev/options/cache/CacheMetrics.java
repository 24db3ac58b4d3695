package dev.options.cache;

import java.util.EnumMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Hits and misses per cache layer, and loads below the caches ({@code options.cache.*}). */
@ApplicationScoped
public class CacheMetrics {

    /** The layers a read passes through. */
    public enum Layer {
        REQUEST, NEAR, SHARED;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Map<Layer, Counter> hits = new EnumMap<>(Layer.class);
    private final Map<Layer, Counter> misses = new EnumMap<>(Layer.class);
    private final Counter loads;
    private final Counter sharedLoads;
    private final Counter refreshes;
    private final Counter sharedFillsDropped;

    public CacheMetrics(MeterRegistry meters) {
        for (Layer layer : Layer.values()) {
            hits.put(layer, Counter.builder("options.cache.hits").tag("layer", layer.tag()).register(meters));
            misses.put(layer, Counter.builder("options.cache.misses").tag("layer", layer.tag()).register(meters));
        }
        loads = Counter.builder("options.cache.loads").description("Scopes loaded from Postgres by NORMAL reads").register(meters);
        sharedLoads = Counter.builder("options.cache.shared-loads")
                .description("Readers that joined a load already in flight").register(meters);
        refreshes = Counter.builder("options.cache.refreshes")
                .description("Near-cache entries reloaded in the background near the end of their life").register(meters);
        sharedFillsDropped = Counter.builder("options.cache.shared-fills-dropped")
                .description("Scopes read from Postgres not offered to Redis, too many offers being in flight").register(meters);
    }

    public void hit(Layer layer) {
        hits.get(layer).increment();
    }

    public void miss(Layer layer) {
        misses.get(layer).increment();
    }

    public void load() {
        loads.increment();
    }

    public void sharedLoad() {
        sharedLoads.increment();
    }

    public void refresh() {
        refreshes.increment();
    }

    public void sharedFillDropped() {
        sharedFillsDropped.increment();
    }
}
