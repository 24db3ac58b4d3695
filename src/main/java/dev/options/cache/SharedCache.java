package dev.options.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.batch.TurnBatcher;
import dev.options.config.OptionsConfig;
import dev.options.scope.ScopeKey;
import dev.options.store.StoredScope;
import dev.options.value.OptionJson;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
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

    /**
     * Against Redis Cluster, the most GETs one read of several scopes has in flight: half the pool
     * at most, so that reads of many scopes never take every connection (each send holds one, and
     * sends waiting on each other's connections would stall), and no more than 16.
     */
    private final int clusterReadsInFlight;

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
    private final TurnBatcher<String, Optional<StoredScope>> reads = new TurnBatcher<>(this::send);
    /** Offers with their commands, the event loop's of one turn pipelined as one batch ({@link #offerWithAll}). */
    private final TurnBatcher<List<Request>, Answer> offers = new TurnBatcher<>(this::pipeline);

    /** What one run of commands of a pipelined batch got: its replies, or why it got none. */
    private sealed interface Answer {
        Uni<List<Response>> toUni();
    }

    private record Replied(List<Response> replies) implements Answer {
        @Override
        public Uni<List<Response>> toUni() {
            return Uni.createFrom().item(replies);
        }
    }

    private record Refused(Throwable failure) implements Answer {
        @Override
        public Uni<List<Response>> toUni() {
            return Uni.createFrom().failure(failure);
        }
    }
    /**
     * The format of the values, part of their keys: entries of another format (an older release's,
     * which knew no epochs, or no locks or organizations, during a rolling deploy) are never read as this one's.
     */
    public static final String FORMAT = "v3:";

    private final String prefix;
    private final long ttlMillis;
    private final Duration timeout;
    /** Redis Cluster: keys of many slots are read one GET each, never in one MGET (see {@link #read}). */
    private final boolean cluster;

    public SharedCache(Redis redis, OptionsConfig config,
            @ConfigProperty(name = "quarkus.redis.client-type", defaultValue = "standalone") String clientType,
            @ConfigProperty(name = "quarkus.redis.max-pool-size", defaultValue = "6") int poolSize) {
        this.clusterReadsInFlight = Math.max(1, Math.min(16, poolSize / 2));
        this.redis = redis;
        this.cluster = "cluster".equalsIgnoreCase(clientType);
        this.prefix = config.cache().sharedPrefix();
        this.ttlMillis = config.cache().sharedTtl().toMillis();
        this.timeout = config.cache().sharedTimeout();
    }

    /** The Redis key of a scope. */
    public String redisKey(ScopeKey key) {
        return prefix + FORMAT + key.value();
    }

    /**
     * The scope as Redis holds it; empty on a miss, a failure or a timeout. Asked on an event loop,
     * the read waits for the loop to finish the events at hand and goes out in one MGET with every
     * other read they asked for: one command, one write and one answer for many requests, instead of
     * a round trip each.
     */
    public Uni<Optional<StoredScope>> get(ScopeKey key) {
        return reads.join(redisKey(key));
    }

    /** Sends a batch of reads: one MGET; every read of it a miss when Redis fails or is late. */
    private Uni<List<Optional<StoredScope>>> send(List<String> keys) {
        return read(keys)
                .map(found -> found.stream().map(Optional::ofNullable).toList())
                .onFailure().recoverWithItem(failure -> {
                    Log.debugf("shared cache read of %d scopes failed: %s", keys.size(), failure.getMessage());
                    return Collections.nCopies(keys.size(), Optional.empty());
                });
    }

    /**
     * The scopes stored under {@code keys}, in their order, null where Redis holds none it can read;
     * fails when Redis fails or does not answer in time. One MGET, or against Redis Cluster one GET
     * per key, since the client splits a cross-slot MGET by slot and may join the answers in another
     * order than the keys (vert-x3/vertx-redis-client#537).
     */
    private Uni<List<StoredScope>> read(List<String> keys) {
        Uni<List<StoredScope>> read;
        if (cluster) {
            // a bounded number at once: each GET borrows a connection, and a bulk read of a thousand
            // scopes would otherwise fill the pool's wait queue under the writers' publishes
            AtomicReferenceArray<StoredScope> found = new AtomicReferenceArray<>(keys.size());
            read = Multi.createFrom().range(0, keys.size())
                    .onItem().transformToUni(i -> redis.send(Request.cmd(Command.GET).arg(keys.get(i)))
                            .invoke(response -> found.set(i, decode(response))))
                    .merge(clusterReadsInFlight)
                    .collect().last()
                    .map(ignored -> {
                        List<StoredScope> inOrder = new ArrayList<>(keys.size());
                        for (int i = 0; i < keys.size(); i++) {
                            inOrder.add(found.get(i));
                        }
                        return inOrder;
                    });
        } else {
            Request request = Request.cmd(Command.MGET);
            keys.forEach(request::arg);
            read = redis.send(request).map(response -> {
                List<StoredScope> found = new ArrayList<>(keys.size());
                for (int i = 0; i < keys.size(); i++) {
                    found.add(decode(response.get(i)));
                }
                return found;
            });
        }
        return read.ifNoItem().after(timeout).fail();
    }

    /**
     * The scopes Redis holds among {@code keys} (one round trip but against Redis Cluster); empty on
     * a failure or a timeout.
     */
    public Uni<Map<ScopeKey, StoredScope>> getAll(List<ScopeKey> keys) {
        if (keys.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return read(keys.stream().map(this::redisKey).toList())
                .map(found -> {
                    Map<ScopeKey, StoredScope> held = new HashMap<>();
                    for (int i = 0; i < keys.size(); i++) {
                        if (found.get(i) != null) {
                            held.put(keys.get(i), found.get(i));
                        }
                    }
                    return held;
                })
                .onFailure().recoverWithItem(failure -> {
                    Log.debugf("shared cache read of %d scopes failed: %s", keys.size(), failure.toString());
                    return Map.of();
                });
    }

    /**
     * Stores {@code stored} unless Redis holds the same or a newer version: afterwards Redis holds
     * at least this version. Fails when Redis has not answered within {@code wait}.
     */
    public Uni<Void> offer(ScopeKey key, StoredScope stored, Duration wait) {
        return redis.send(offerCommand(key, stored))
                .ifNoItem().after(wait).fail()
                .replaceWithVoid();
    }

    /**
     * {@link #offer} and {@code also} (commands on other keys, sent after the compare-and-set in their
     * order) in one round trip; answers the commands' replies, and fails when any fails or Redis does
     * not answer in time. The commands must be idempotent: when Redis refuses another offer's command
     * of the same batch, they are sent again ({@link #together}). Asked on an event loop, the commands wait for the loop to finish the events
     * at hand and go out in one batch (one write, one read) with every other offer they made, in the
     * order they were asked for. Against Redis Cluster the commands go together and the
     * compare-and-set beside them, at once, since their keys may lie in different slots, which one
     * batch cannot span.
     */
    public Uni<List<Response>> offerWithAll(ScopeKey key, StoredScope stored, List<Request> also) {
        Request offer = offerCommand(key, stored);
        Uni<List<Response>> sent;
        if (cluster) {
            sent = Uni.combine().all().unis(redis.send(offer), redis.batch(also)).with((offered, answers) -> answers);
        } else {
            List<Request> all = new ArrayList<>(also.size() + 1);
            all.add(offer);
            all.addAll(also);
            sent = offers.join(all).chain(Answer::toUni).map(answers -> answers.subList(1, answers.size()));
        }
        return sent.ifNoItem().after(timeout).fail();
    }

    /**
     * The most commands one pipelined batch of offers carries: a connection refuses a whole batch
     * larger than its free reply slots ({@code quarkus.redis.max-waiting-handlers}, 2,048 by default).
     */
    static final int MOST_PIPELINED = 512;

    /**
     * Sends runs of commands as batches of at most {@link #MOST_PIPELINED} commands (a longer run
     * alone), in their order; answers what each run got. Never fails: a run that fails is answered so.
     */
    private Uni<List<Answer>> pipeline(List<List<Request>> runs) {
        List<Uni<List<Answer>>> batches = groups(runs, MOST_PIPELINED).stream().map(this::together).toList();
        return Uni.join().all(batches).andFailFast()
                .map(answered -> answered.stream().flatMap(List::stream).toList());
    }

    /**
     * Runs of commands as one batch; each run's replies. The client fails a whole batch on the first
     * error reply (Redis itself runs every command of it), so when Redis refused one command, not
     * itself ({@link #refusedOne}), the runs are sent again one by one, in their order, until the
     * callers' timeout has passed, and only a run refused alone is answered with its failure: one
     * refused command does not send every other publication of the turn to the relay. The first
     * failure of another kind (a lost connection, no answer in time) answers the runs not yet sent
     * again with it. Sending a run again is safe for the commands {@link #offerWithAll} is given: the
     * compare-and-set never goes back and an event's append answers 0 for a version already in.
     */
    private Uni<List<Answer>> together(List<List<Request>> runs) {
        return Uni.createFrom().deferred(() -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Request> all = new ArrayList<>();
            runs.forEach(all::addAll);
            return redis.batch(all).<List<Answer>>map(answers -> {
                List<Answer> split = new ArrayList<>(runs.size());
                int from = 0;
                for (List<Request> run : runs) {
                    split.add(new Replied(answers.subList(from, from + run.size())));
                    from += run.size();
                }
                return split;
            }).onFailure().recoverWithUni(failure -> runs.size() > 1 && refusedOne(failure)
                    ? oneByOne(runs, deadline)
                    : Uni.createFrom().item(Collections.nCopies(runs.size(), new Refused(failure))));
        });
    }

    /** {@link #together}'s runs sent again, each alone, in their order, until {@code deadline} or a failure other than one refused command. */
    private Uni<List<Answer>> oneByOne(List<List<Request>> runs, long deadline) {
        AtomicReference<Throwable> stopped = new AtomicReference<>();
        return Multi.createFrom().iterable(runs).onItem().transformToUniAndConcatenate(run -> {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                stopped.compareAndSet(null, new IllegalStateException("no time left to send again what Redis refused in a batch"));
            }
            if (stopped.get() != null) {
                return Uni.createFrom().<Answer>item(new Refused(stopped.get()));
            }
            return redis.batch(run).<Answer>map(Replied::new)
                    .ifNoItem().after(Duration.ofNanos(left)).fail()
                    .onFailure().recoverWithItem(failure -> {
                        if (!refusedOne(failure)) {
                            stopped.compareAndSet(null, failure);
                        }
                        return new Refused(failure);
                    });
        }).collect().asList();
    }

    /** Error replies that concern Redis as a whole, not one command: every command of a batch gets them. */
    private static final Set<String> REFUSES_EVERY_COMMAND = Set.of("OOM", "READONLY", "MISCONF", "LOADING", "BUSY",
            "NOAUTH", "NOPERM", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN");

    /** Whether {@code failure} is Redis's error reply to one command (a wrong type, a bad argument), not a state of Redis or the connection. */
    static boolean refusedOne(Throwable failure) {
        if (!(failure instanceof io.vertx.redis.client.Response reply) || reply.type() != io.vertx.redis.client.ResponseType.ERROR) {
            return false;
        }
        String text = String.valueOf(reply.toString());
        int space = text.indexOf(' ');
        return !REFUSES_EVERY_COMMAND.contains(space < 0 ? text : text.substring(0, space));
    }

    /** Consecutive runs grouped, in their order, so that no group holds more than {@code most} commands unless one run does alone. */
    static <T> List<List<List<T>>> groups(List<List<T>> runs, int most) {
        List<List<List<T>>> groups = new ArrayList<>();
        List<List<T>> group = new ArrayList<>();
        int commands = 0;
        for (List<T> run : runs) {
            if (!group.isEmpty() && commands + run.size() > most) {
                groups.add(group);
                group = new ArrayList<>();
                commands = 0;
            }
            group.add(run);
            commands += run.size();
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    private Request offerCommand(ScopeKey key, StoredScope stored) {
        String value = stored.version() + ":" + encode(stored);
        return Request.cmd(Command.EVAL)
                .arg(COMPARE_AND_SET).arg(1).arg(redisKey(key))
                .arg(stored.version()).arg(value).arg(ttlMillis);
    }

    /**
     * A scope's content as Redis keeps it after its version: the options' JSON object, or for a scope
     * with locks, an organization or an epoch {@code [<options>, <locks>, <organization or null>, <epoch or null>]}.
     */
    private static String encode(StoredScope stored) {
        ObjectNode options = OptionJson.object(stored.options());
        if (stored.locks().isEmpty() && stored.organization() == null && stored.epoch() == null) {
            return OptionJson.text(options);
        }
        ArrayNode state = OptionJson.MAPPER.createArrayNode();
        state.add(options);
        ArrayNode locks = state.addArray();
        stored.locks().forEach(locks::add);
        if (stored.organization() == null) {
            state.addNull();
        } else {
            state.add(stored.organization().longValue());
        }
        if (stored.epoch() == null) {
            state.addNull();
        } else {
            state.add(stored.epoch().intValue());
        }
        return OptionJson.text(state);
    }

    /** The scope a Redis value holds, {@code <version>:<content>} (see {@link #encode}); null for none or one it cannot read. */
    private static StoredScope decode(Response response) {
        if (response == null) {
            return null;
        }
        String value = response.toString();
        int colon = value.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        try {
            long version = Long.parseLong(value, 0, colon, 10);
            JsonNode content = OptionJson.parseStored(value.substring(colon + 1));
            JsonNode options = content.isArray() ? content.get(0) : content;
            Map<String, JsonNode> map = new HashMap<>();
            options.fields().forEachRemaining(field -> map.put(field.getKey(), field.getValue()));
            if (!content.isArray()) {
                return new StoredScope(version, map);
            }
            Set<String> locks = new HashSet<>();
            content.get(1).forEach(key -> locks.add(key.asText()));
            JsonNode organization = content.get(2);
            JsonNode epoch = content.get(3);
            return new StoredScope(version, map, StoredScope.locks(locks), organization.isNull() ? null : organization.longValue(),
                    epoch.isNull() ? null : epoch.intValue());
        } catch (RuntimeException e) {
            return null;
        }
    }

}
