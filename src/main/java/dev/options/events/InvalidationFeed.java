package dev.options.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.cache.NearCache;
import dev.options.config.OptionsConfig;
import dev.options.scope.ScopeKey;
import dev.options.value.OptionJson;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.redis.client.ResponseType;
import io.vertx.redis.client.impl.PooledRedisConnection;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * The Redis stream of change events. Saves append to it after commit; every instance tails it
 * ({@code XREAD BLOCK} from the last id it saw, on a connection of its own), evicts near-cache
 * entries older than each event, and hands the events to change-feed subscribers.
 *
 * <p>The near cache is trusted only while the tail is connected and caught up: losing the connection
 * flushes it, and the tail resumes from its last id when it reconnects, so the versions heard of
 * during the outage still refuse stale fills.
 */
@ApplicationScoped
public class InvalidationFeed {

    private final Redis redis;
    private final Vertx vertx;
    private final NearCache near;
    private final OptionsConfig config;
    private final String stream;
    private final List<Consumer<ChangeEvent>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> resetListeners = new CopyOnWriteArrayList<>();
    /** The prefix of the keys holding each scope's newest appended version, in the stream's hash slot. */
    private final String appendedPrefix;
    private final List<Runnable> onReconnected = new CopyOnWriteArrayList<>();
    private final AtomicLong lagMillis = new AtomicLong();
    private volatile boolean running;
    private volatile boolean connected;
    /** Whether the tail has been connected before (its callbacks may run on any event loop). */
    private volatile boolean everConnected;
    private volatile RedisConnection connection;
    /** The current connection attempt's number: see {@link #connect}. */
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    /** The tail's position at the previous gap check. */
    private volatile String checkedPosition;
    private volatile boolean checking;
    private volatile long gapTimer = -1;
    private volatile String lastId;

    public InvalidationFeed(Redis redis, Vertx vertx, NearCache near, OptionsConfig config, MeterRegistry meters) {
        this.redis = redis;
        this.vertx = vertx;
        this.near = near;
        this.config = config;
        this.stream = config.feed().stream();
        int open = stream.indexOf('{');
        int close = open < 0 ? -1 : stream.indexOf('}', open + 1);
        this.appendedPrefix = "{" + (close > open + 1 ? stream.substring(open + 1, close) : stream) + "}:appended:";
        Gauge.builder("options.feed.lag", lagMillis, AtomicLong::get).baseUnit("milliseconds")
                .description("Time from an event's append to its receipt by this instance").register(meters);
        Gauge.builder("options.feed.connected", this, feed -> feed.connected ? 1 : 0)
                .description("1 while this instance hears invalidations").register(meters);
    }

    /** Tails the stream from startup on, with or without caches: the change feed's clients hear it too. */
    void start(@Observes StartupEvent event) {
        running = true;
        connect();
        gapTimer = vertx.setPeriodic(Math.max(10, config.feed().gapCheck().toMillis()), id -> checkForGap());
    }

    /**
     * Events this instance never read may be gone: the stream was trimmed past the position the
     * tail had at the previous check (more than the stream's length appended in between, or a
     * failover that lost entries), or Redis came back empty. The oldest entry the stream holds then
     * follows that position; the near cache, which may hold versions whose invalidations were lost,
     * is flushed.
     */
    private void checkForGap() {
        String position = connected ? lastId : null;
        String previous = checkedPosition;
        checkedPosition = position;
        if (position == null || previous == null || previous.equals("0-0") || checking) {
            return;
        }
        checking = true;
        redis.send(Request.cmd(Command.XINFO).arg("STREAM").arg(stream))
                .ifNoItem().after(config.cache().sharedTimeout()).fail()
                .onTermination().invoke(() -> checking = false)
                .subscribe().with(info -> {
                    String oldest = firstEntryId(info);
                    if (connected && oldest != null && ChangeEvent.after(oldest, previous)) {
                        gaps.incrementAndGet();
                        Log.warnf("the change stream no longer holds events after %s (its oldest is %s): near cache flushed",
                                previous, oldest);
                        near.trust(false);
                        near.trust(connected);
                        if (ChangeEvent.after(oldest, position)) {
                            // gone before the tail got to them (not only after it read them): its
                            // subscribers missed them too
                            missedEvents(position);
                        }
                    }
                }, failure -> Log.debugf("change stream check failed: %s", failure.getMessage()));
    }

    /** The id of the first entry in an XINFO STREAM answer. */
    private static String firstEntryId(Response info) {
        Response first = field(info, "first-entry");
        return first == null || first.size() == 0 ? null : first.get(0).toString();
    }

    /** A field of an XINFO STREAM answer (a map in RESP3, name-value pairs in RESP2), or null. */
    private static Response field(Response info, String name) {
        try {
            return info.get(name);
        } catch (RuntimeException notAMap) {
            for (int i = 0; i + 1 < info.size(); i += 2) {
                Response field = info.get(i);
                if (field != null && name.equals(field.toString())) {
                    return info.get(i + 1);
                }
            }
            return null;
        }
    }

    /**
     * Whether the stream may no longer hold every event after {@code resumeAfter}: empty when it
     * holds them all; else the id to go on after, the newest the stream has generated (or
     * {@code 0-0}, its start, when there is no stream). It holds them when {@code resumeAfter} is
     * at or after its oldest entry (a stream loses entries from its head only) or at or after the
     * newest it generated, or is {@code 0-0} and the stream never lost an entry. Otherwise the
     * event it names is gone (trimmed, with any that followed it, or from a stream Redis no longer
     * has after it restarted empty).
     */
    public Uni<Optional<String>> lostAfter(String resumeAfter) {
        return redis.send(Request.cmd(Command.XINFO).arg("STREAM").arg(stream))
                .ifNoItem().after(config.cache().sharedTimeout()).fail()
                .map(info -> {
                    String first = firstEntryId(info);
                    String generated = String.valueOf(field(info, "last-generated-id"));
                    Response added = field(info, "entries-added");
                    Response length = field(info, "length");
                    boolean neverLost = added != null && length != null && added.toLong().equals(length.toLong());
                    boolean holds = first != null && ChangeEvent.compare(resumeAfter, first) >= 0
                            || ChangeEvent.isStreamId(generated) && ChangeEvent.compare(resumeAfter, generated) >= 0
                            || neverLost && ChangeEvent.compare(resumeAfter, "0-0") == 0;
                    return holds ? Optional.<String>empty() : Optional.of(ChangeEvent.isStreamId(generated) ? generated : "0-0");
                })
                // no stream at all: nothing after any resume point is held, and what comes next starts one
                .onFailure(failure -> String.valueOf(failure.getMessage()).contains("no such key"))
                .recoverWithItem(() -> ChangeEvent.compare(resumeAfter, "0-0") == 0 ? Optional.empty() : Optional.of("0-0"));
    }

    /** How many times the feed found events it never read gone from the stream. */
    public long gaps() {
        return gaps.get();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        connected = false;
        vertx.cancelTimer(gapTimer);
        // the attempt ends here: its read failing as the connection closes declares nothing lost
        generation.incrementAndGet();
        RedisConnection open = connection;
        connection = null;
        if (open != null) {
            forceClose(open);
        }
    }

    /** Whether the tail is connected and caught up. */
    public boolean connected() {
        return connected;
    }

    /**
     * Appends the event of a scope's version unless the stream has it or a later one (a republish);
     * keeps for a day, per scope, the newest version appended, so that the stream holds each scope's
     * events once and in version order. An event whose predecessor is not in yet is appended or
     * left out as its {@link Order} says. Answers the new entry's id, {@link #ALREADY_APPENDED} or
     * {@link #DEFERRED}.
     */
    private static final String APPEND_IN_ORDER = """
            local known = redis.call('GET', KEYS[2])
            local newest = tonumber(known or '0')
            local version = tonumber(ARGV[3])
            if version <= newest then return 0 end
            if version > newest + 1 and (ARGV[5] == '2' or (ARGV[5] == '1' and known)) then return -1 end
            redis.call('SET', KEYS[2], ARGV[3], 'EX', 86400)
            return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'scope', ARGV[2], 'version', ARGV[3], 'keys', ARGV[4])
            """;

    /** When an event whose scope's previous one is not in the stream yet is appended (the ordinal is the script's argument). */
    public enum Order {
        /** At once: its predecessor is gone for good (the outbox relay, once a row has waited long enough). */
        ANY,
        /**
         * Only after its predecessor, when the stream is known to hold an earlier event of the scope;
         * with none known (Redis came back empty, or the scope was quiet for a day) at once (the relay).
         */
        AFTER_KNOWN_PREVIOUS,
        /**
         * Only after its predecessor, a version above 1 even when no event of the scope is known (a
         * writer right after its commit: the previous version's writer, an instance away, may still
         * be appending the scope's first event).
         */
        AFTER_PREVIOUS
    }

    /** {@link #appendCommand}'s answer when the stream holds the event (or a later one of its scope) already. */
    public static final long ALREADY_APPENDED = 0;
    /** {@link #appendCommand}'s answer when an earlier event of the scope is still to come (from the relay). */
    public static final long DEFERRED = -1;

    /** Whether an {@link #appendCommand}'s answer says the event was left for the relay. */
    public static boolean deferred(Response answer) {
        return answer != null && answer.type() == ResponseType.NUMBER && answer.toLong() == DEFERRED;
    }

    /** Appends events ({@link #appendCommand}s) in their order, in one round trip; answers their replies. */
    public Uni<List<Response>> appendAll(List<Request> events) {
        return redis.batch(events).ifNoItem().after(config.cache().sharedTimeout()).fail();
    }

    /** The command that appends one event in order (see {@link #APPEND_IN_ORDER}), for a caller that sends it with others. */
    public Request appendCommand(ScopeKey scope, long version, Collection<String> keys, Order order) {
        return Request.cmd(Command.EVAL).arg(APPEND_IN_ORDER).arg(2).arg(stream).arg(appendedPrefix + scope.value())
                .arg(config.feed().maxLength())
                .arg(scope.value())
                .arg(version)
                .arg(OptionJson.text(keys))
                .arg(order.ordinal());
    }

    /** The entries after stream id {@code after}, oldest first, at most {@code count}. */
    public Uni<Page> after(String after, int count) {
        return redis.send(Request.cmd(Command.XRANGE).arg(stream).arg("(" + after).arg("+").arg("COUNT").arg(count))
                .map(InvalidationFeed::page);
    }

    /**
     * Stream entries as read: the change events among them, how many entries there were, and the id
     * of the last, so that a reader moves past entries that are not events it can read (written by
     * something else, or malformed) instead of stopping at them.
     */
    public record Page(List<ChangeEvent> events, int entries, String lastId) {
    }

    /** Registers a listener for every event this instance hears from now on; the returned action removes it. */
    public Runnable listen(Consumer<ChangeEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Registers a listener told, with the stream id to go on after, each time the tail finds that it
     * missed events (the stream lost them while it was away, or trimmed them before it read them);
     * the returned action removes it.
     */
    public Runnable listenResets(Consumer<String> listener) {
        resetListeners.add(listener);
        return () -> resetListeners.remove(listener);
    }

    private void missedEvents(String goOnAfter) {
        for (Consumer<String> listener : resetListeners) {
            try {
                listener.accept(goOnAfter);
            } catch (RuntimeException e) {
                Log.warnf("reset listener failed: %s", e.getMessage());
            }
        }
    }

    /**
     * Registers {@code action} to run each time the tail connects and catches up again after it was
     * lost (not at startup), on the feed's event loop; it must not block.
     */
    public void whenReconnected(Runnable action) {
        onReconnected.add(action);
    }

    /**
     * Connects the tail, as attempt {@code generation}'s: each attempt's callbacks carry its number,
     * and only the current attempt's may go on tailing or declare the connection lost, once.
     */
    private void connect() {
        if (!running) {
            return;
        }
        long attempt = generation.get();
        redis.connect()
                .chain(opened -> {
                    if (generation.get() != attempt || !running) {
                        forceClose(opened);
                        return Uni.createFrom().failure(new IllegalStateException("a newer connection attempt superseded this one"));
                    }
                    connection = opened;
                    opened.exceptionHandler(failure -> lost(attempt, failure));
                    opened.endHandler(() -> lost(attempt, null));
                    return lastId != null
                            ? Uni.createFrom().item(lastId)
                            : opened.send(Request.cmd(Command.XREVRANGE).arg(stream).arg("+").arg("-").arg("COUNT").arg(1))
                                    .map(response -> {
                                        String newest = page(response).lastId();
                                        return newest == null ? "0-0" : newest;
                                    });
                })
                .chain(start -> !everConnected || start.equals("0-0")
                        ? Uni.createFrom().item(start)
                        // back after an outage: if the stream lost events after the tail's position
                        // (Redis came back empty, or trimmed it meanwhile), subscribers hear so first
                        : lostAfter(start).map(lost -> {
                            lost.ifPresent(this::missedEvents);
                            return start;
                        }))
                .subscribe().with(start -> {
                    if (current(attempt)) {
                        lastId = start;
                        catchUp(attempt);
                    }
                }, failure -> lost(attempt, failure));
    }

    private boolean current(long attempt) {
        return running && generation.get() == attempt;
    }

    /** Reads what was appended since the last id without blocking, then trusts the near cache and tails. */
    private void catchUp(long attempt) {
        send(Request.cmd(Command.XREAD).arg("COUNT").arg(1000).arg("STREAMS").arg(stream).arg(lastId), Duration.ofSeconds(5))
                .subscribe().with(page -> {
                    if (!current(attempt)) {
                        return;
                    }
                    deliver(page);
                    if (page.entries() == 1000) {
                        catchUp(attempt);
                        return;
                    }
                    connected = true;
                    near.trust(true);
                    boolean again = everConnected;
                    everConnected = true;
                    if (again) {
                        reconnects.incrementAndGet();
                    }
                    for (Runnable action : again ? onReconnected : List.<Runnable>of()) {
                        try {
                            action.run();
                        } catch (RuntimeException e) {
                            Log.warnf("feed connection listener failed: %s", e.getMessage());
                        }
                    }
                    tail(attempt);
                }, failure -> lost(attempt, failure));
    }

    private void tail(long attempt) {
        if (!current(attempt)) {
            return;
        }
        Duration block = config.feed().block();
        send(Request.cmd(Command.XREAD).arg("BLOCK").arg(block.toMillis()).arg("COUNT").arg(1000)
                        .arg("STREAMS").arg(stream).arg(lastId),
                block.plusSeconds(5))
                .subscribe().with(page -> {
                    if (!current(attempt)) {
                        return;
                    }
                    deliver(page);
                    tail(attempt);
                }, failure -> lost(attempt, failure));
    }

    private Uni<Page> send(Request request, Duration timeout) {
        RedisConnection open = connection;
        if (open == null) {
            return Uni.createFrom().failure(new IllegalStateException("feed not connected"));
        }
        return open.send(request)
                .ifNoItem().after(timeout).fail()
                .map(response -> {
                    if (response == null) {
                        return new Page(List.of(), 0, null);
                    }
                    // XREAD: [[stream, [[id, [field, value, ...]], ...]]]
                    return page(response.get(0).get(1));
                });
    }

    private void deliver(Page page) {
        for (ChangeEvent event : page.events()) {
            near.invalidate(event.scope(), event.version());
            lastId = event.id();
            lagMillis.set(Math.max(0, System.currentTimeMillis() - Long.parseLong(event.id().substring(0, event.id().indexOf('-')))));
            for (Consumer<ChangeEvent> listener : listeners) {
                try {
                    listener.accept(event);
                } catch (RuntimeException e) {
                    Log.warnf("change listener failed: %s", e.getMessage());
                }
            }
        }
        if (page.lastId() != null) {
            // past entries that are no events too, which would otherwise be read again and again
            lastId = page.lastId();
        }
    }

    /**
     * Attempt {@code attempt}'s connection is lost (its pending read failed, or it ended: both come
     * for one outage): the first such call for the current attempt closes it, distrusts the near cache
     * and schedules the one next attempt; every other call, or one for an older attempt, does nothing.
     */
    private void lost(long attempt, Throwable failure) {
        if (!generation.compareAndSet(attempt, attempt + 1)) {
            return;
        }
        boolean wasConnected = connected;
        connected = false;
        RedisConnection open = connection;
        connection = null;
        if (open != null) {
            forceClose(open);
        }
        if (!running) {
            // stopping: the near cache goes with the application (and may already be gone)
            return;
        }
        near.trust(false);
        if (wasConnected) {
            Log.warnf("invalidation feed lost (%s); near cache bypassed until it is back",
                    failure == null ? "connection closed" : failure.getMessage());
        }
        vertx.setTimer(Math.max(1, config.feed().reconnectDelay().toMillis()), id -> connect());
    }

    /**
     * Closes the tail's connection itself: returned to the pool, it would be lent to cache commands
     * with its blocking read still in flight and the feed's handlers still attached. Its socket is
     * closed, and the pool drops it when the close completes.
     */
    private static void forceClose(RedisConnection open) {
        if (open.getDelegate() instanceof PooledRedisConnection pooled) {
            pooled.actual().forceClose();
        } else {
            open.closeAndForget();
        }
    }

    /** How many times the tail connected and caught up again after it was lost. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Events of an XRANGE-shaped response: [[id, [field, value, ...]], ...]. */
    public static List<ChangeEvent> events(Response entries) {
        return page(entries).events();
    }

    /** The entries of an XRANGE-shaped response; one that is no readable change event is skipped. */
    public static Page page(Response entries) {
        List<ChangeEvent> events = new ArrayList<>();
        if (entries == null) {
            return new Page(events, 0, null);
        }
        String last = null;
        for (int i = 0; i < entries.size(); i++) {
            Response entry = entries.get(i);
            last = entry.get(0).toString();
            try {
                ChangeEvent event = event(last, entry.get(1));
                if (event != null) {
                    events.add(event);
                }
            } catch (RuntimeException unreadable) {
                Log.debugf("stream entry %s is no readable change event: %s", last, unreadable.getMessage());
            }
        }
        return new Page(events, entries.size(), last);
    }

    private static ChangeEvent event(String id, Response fields) {
        String scope = null;
        long version = 0;
        List<String> keys = List.of();
        for (int f = 0; f + 1 < fields.size(); f += 2) {
            String name = fields.get(f).toString();
            String value = fields.get(f + 1).toString();
            switch (name) {
                case "scope" -> scope = value;
                case "version" -> version = Long.parseLong(value);
                case "keys" -> keys = keysOf(value);
                default -> {
                }
            }
        }
        return scope == null ? null : new ChangeEvent(id, new ScopeKey(scope), version, keys);
    }

    private static List<String> keysOf(String json) {
        List<String> keys = new ArrayList<>();
        OptionJson.parseStored(json).forEach(node -> keys.add(node.asText()));
        return keys;
    }
}
