package dev.options.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.config.OptionsConfig;
import dev.options.option.OptionJson;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * Scopes in Redis, shared by every instance: one string per scope key, {@code <version>:<options JSON>}.
 * Written only by compare-and-set on the version (a Lua script), so an older version never
 * overwrites a newer one, whoever writes last. Every failure or timeout reads as a miss: Redis
 * speeds reads up but is never needed to answer one.
 */
@ApplicationScoped
public class SharedCache {

    /** Sets KEYS[1] to ARGV[2] unless it holds a version at or above ARGV[1]; ARGV[3] is the TTL in ms. */
    private static final String COMPARE_AND_SET = """
            local current = redis.call('GET', KEYS[1])
            if current then
              local version = tonumber(string.match(current, '^(%d+):'))
              if version and version >= tonumber(ARGV[1]) then return 0 end
            end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
            """;

    private final Redis redis;
    private final String prefix;
    private final long ttlMillis;
    private final Duration timeout;

    public SharedCache(Redis redis, OptionsConfig config) {
        this.redis = redis;
        this.prefix = config.cache().sharedPrefix();
        this.ttlMillis = config.cache().sharedTtl().toMillis();
        this.timeout = config.cache().sharedTimeout();
    }

    /** The Redis key of a scope. */
    public String redisKey(ScopeKey key) {
        return prefix + key.value();
    }

    /** The scope as Redis holds it; empty on a miss, a failure or a timeout. */
    public Uni<Optional<StoredScope>> get(ScopeKey key) {
        return redis.send(Request.cmd(Command.GET).arg(redisKey(key)))
                .ifNoItem().after(timeout).fail()
                .map(response -> response == null ? Optional.<StoredScope>empty() : Optional.ofNullable(decode(response.toString())))
                .onFailure().recoverWithItem(failure -> {
                    Log.debugf("shared cache read of %s failed: %s", key, failure.getMessage());
                    return Optional.empty();
                });
    }

    /** The scopes Redis holds among {@code keys}, in one round trip; empty on a failure or a timeout. */
    public Uni<Map<ScopeKey, StoredScope>> getAll(List<ScopeKey> keys) {
        if (keys.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        Request request = Request.cmd(Command.MGET);
        keys.forEach(key -> request.arg(redisKey(key)));
        return redis.send(request)
                .ifNoItem().after(timeout).fail()
                .map(response -> {
                    Map<ScopeKey, StoredScope> found = new HashMap<>();
                    for (int i = 0; i < keys.size(); i++) {
                        Response item = response.get(i);
                        StoredScope stored = item == null ? null : decode(item.toString());
                        if (stored != null) {
                            found.put(keys.get(i), stored);
                        }
                    }
                    return found;
                })
                .onFailure().recoverWithItem(failure -> Map.of());
    }

    /**
     * Stores {@code stored} unless Redis holds the same or a newer version: afterwards Redis holds
     * at least this version. Fails when Redis cannot be reached in time.
     */
    public Uni<Void> offer(ScopeKey key, StoredScope stored) {
        String value = stored.version() + ":" + OptionJson.text(OptionJson.object(stored.options()));
        return redis.send(Request.cmd(Command.EVAL)
                        .arg(COMPARE_AND_SET).arg(1).arg(redisKey(key))
                        .arg(stored.version()).arg(value).arg(ttlMillis))
                .ifNoItem().after(timeout).fail()
                .replaceWithVoid();
    }

    private static StoredScope decode(String value) {
        int colon = value.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        try {
            long version = Long.parseLong(value, 0, colon, 10);
            JsonNode options = OptionJson.parseStored(value.substring(colon + 1));
            Map<String, JsonNode> map = new HashMap<>();
            options.fields().forEachRemaining(field -> map.put(field.getKey(), field.getValue()));
            return new StoredScope(version, map);
        } catch (RuntimeException e) {
            return null;
        }
    }

}
