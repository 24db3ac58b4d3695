package dev.options.rest;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import dev.options.config.OptionsConfig;
import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import dev.options.option.OptionService;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.security.Access;
import dev.options.security.Caller;
import dev.options.security.FeedAuthorization;
import dev.options.value.OptionJson;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

/**
 * The change feed: one server-sent event per committed change, from the instance's tail of the
 * Redis stream. A client that reconnects with {@code Last-Event-ID} first gets what it missed (while
 * the stream retains it), then the live events, with no gap and no duplicate. When the stream no
 * longer holds everything after that id, the stream starts with {@code event: reset} instead (its id
 * where the stream goes on from), never resuming silently over a gap. A stream with nothing to send
 * sends {@code : keep-alive} every {@code options.feed.heartbeat}.
 *
 * <p>Each subscriber costs a bounded amount of memory, whatever its client does: events of scopes it
 * does not follow are dropped before anything is kept; the missed events are read a page at a time,
 * the next page only once the client has taken the last; and at most
 * {@code options.feed.subscriber-buffer} events wait for a client that does not read, one more ending
 * its stream (the client resumes from the last event it got). A caller holds at most
 * {@code options.feed.max-subscriptions-per-caller} streams at once (429 beyond).
 */
@Path("/v1/changes")
public class ChangesResource {

    /** A Last-Event-ID whose time is this far ahead of the clock names no event the stream will hold. */
    private static final long FUTURE_TOLERANCE_MILLIS = Duration.ofDays(1).toMillis();

    private final InvalidationFeed feed;
    private final OptionService service;
    private final Access access;
    private final Vertx vertx;
    private final long heartbeatMillis;
    private final Duration redisTimeout;
    private final int buffer;
    private final int maxPerCaller;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    public ChangesResource(InvalidationFeed feed, OptionsConfig config, Vertx vertx, OptionService service, Access access) {
        this.feed = feed;
        this.service = service;
        this.access = access;
        this.vertx = vertx;
        this.heartbeatMillis = Math.max(10, config.feed().heartbeat().toMillis());
        this.redisTimeout = config.cache().sharedTimeout().plusSeconds(5);
        this.buffer = config.feed().subscriberBuffer();
        this.maxPerCaller = config.feed().maxSubscriptionsPerCaller();
    }

    @GET
    @FeedAuthorization
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> changes(
            @HeaderParam("Last-Event-ID") String lastEventId,
            @QueryParam("scope") List<String> scopes,
            @QueryParam("inherit") String inherit,
            @Context Sse sse,
            @Context HttpServerRequest request) {
        String resumeAfter = lastEventId == null ? null : lastEventId.trim();
        if (resumeAfter != null && !ChangeEvent.isStreamId(resumeAfter)) {
            throw new ProblemException(ProblemType.INVALID_HEADER, "Last-Event-ID must be an event id such as 1732200000000-0");
        }
        if (resumeAfter != null && Long.compareUnsigned(ChangeEvent.millis(resumeAfter), System.currentTimeMillis() + FUTURE_TOLERANCE_MILLIS) > 0) {
            throw new ProblemException(ProblemType.INVALID_HEADER, "Last-Event-ID names an event later than any the stream holds");
        }
        boolean inherited = ScopeOptionsResource.flag("inherit", inherit);
        // who may follow which scopes was decided before the stream opened (Authentication#authorizeFeed)
        String caller = Access.feedCaller().map(Caller::subject).map(subject -> "sub:" + subject)
                .orElseGet(() -> "address:" + request.remoteAddress().hostAddress());
        FeedFilter filter = FeedFilter.of(scopes, inherited,
                Access.feedCaller().orElse(access.enabled() ? Caller.NOBODY : Caller.UNRESTRICTED), service, vertx);
        // reserved before the stream opens, so that one too many is a 429; given back once, whether the
        // stream ends or never starts (its filter could not be read, the client went first)
        AtomicInteger held = reserve(caller);
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                release(caller, held);
            }
        };
        // the emitter itself is the stream (its demand is the client's), started once the filter is ready
        return Multi.createFrom()
                .<Item>emitter(emitter -> filter.ready().subscribe().with(
                        following -> new Subscription(emitter, following, resumeAfter, release).start(),
                        emitter::fail), BackPressureStrategy.ERROR)
                .onTermination().invoke(release)
                .map(item -> item.toSse(sse));
    }

    /** What a stream sends: a change, a reset, or a heartbeat. */
    private sealed interface Item {
        OutboundSseEvent toSse(Sse sse);
    }

    private record Change(ChangeEvent event) implements Item {
        public OutboundSseEvent toSse(Sse sse) {
            return sse.newEventBuilder()
                    .id(event.id())
                    .name("option-change")
                    .mediaType(MediaType.APPLICATION_JSON_TYPE)
                    .data(event.json())
                    .build();
        }
    }

    /** The client missed events the stream no longer holds; it goes on after {@code id}. */
    private record Reset(String id) implements Item {
        public OutboundSseEvent toSse(Sse sse) {
            return sse.newEventBuilder()
                    .id(id)
                    .name("reset")
                    .mediaType(MediaType.APPLICATION_JSON_TYPE)
                    .data(OptionJson.text(Map.of("reason",
                            "the change stream no longer holds every event after Last-Event-ID: read your scopes again")))
                    .build();
        }
    }

    private record KeepAlive() implements Item {
        public OutboundSseEvent toSse(Sse sse) {
            return sse.newEventBuilder().comment("keep-alive").build();
        }
    }

    private static final KeepAlive KEEP_ALIVE = new KeepAlive();

    /** One more open stream for {@code caller}, or a 429 problem when it holds the most it may. */
    private AtomicInteger reserve(String caller) {
        // decided under the map's lock for this caller: two streams asked at the limit get one 429, not
        // two; the exception leaves the count as it was
        return open.compute(caller, (k, current) -> {
            AtomicInteger counter = current == null ? new AtomicInteger() : current;
            if (counter.get() >= maxPerCaller) {
                throw new ProblemException(ProblemType.TOO_MANY_SUBSCRIPTIONS,
                        "this caller already follows the change feed on " + maxPerCaller + " streams of this instance");
            }
            counter.incrementAndGet();
            return counter;
        });
    }

    private void release(String caller, AtomicInteger count) {
        open.computeIfPresent(caller, (k, current) -> current.decrementAndGet() <= 0 ? null : current);
    }

    /** How many change-feed streams are open on this instance (tests). */
    int openStreams() {
        return open.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /**
     * One client's stream: missed events first, then live ones, each exactly once and in order, sent
     * only as the client asks for them. Its state is guarded by its monitor: the feed's tail, Redis
     * answers and the client's demand arrive on different threads.
     */
    private final class Subscription {
        private final MultiEmitter<? super Item> emitter;
        private final FeedFilter filter;
        private final Runnable released;
        /** What is for the client, oldest first, at most {@link #buffer} events (and a reset or a heartbeat). */
        private final ArrayDeque<Item> pending = new ArrayDeque<>();
        /** Live events heard while the missed ones are read, at most {@link #buffer}. */
        private final ArrayDeque<ChangeEvent> held = new ArrayDeque<>();
        /** The id of the last event queued for the client: nothing at or before it goes out again. */
        private String last;
        /** Where the reading of missed events has got to (events of other scopes included). */
        private String cursor;
        private boolean live;
        private boolean fetching;
        /** Live events were dropped from {@link #held}: the stream holds them, so reading goes on past them. */
        private boolean heldOverflowed;
        private boolean ended;
        /** An emit is under way on this thread: a demand it causes is served by the loop that runs it. */
        private boolean emitting;
        private boolean drainAgain;
        /** Whether the resume point was checked against what the stream retains. */
        private boolean checked;
        private long heartbeat = -1;
        private Runnable unregister = () -> { };
        private Runnable unregisterResets = () -> { };

        Subscription(MultiEmitter<? super Item> emitter, FeedFilter filter, String lastEventId, Runnable released) {
            this.emitter = emitter;
            this.filter = filter;
            this.last = lastEventId;
            this.cursor = lastEventId;
            this.released = released;
        }

        void start() {
            emitter.onTermination(this::terminated);
            emitter.onRequest(requested -> drain());
            synchronized (this) {
                live = cursor == null;
                checked = live;
                unregister = feed.listen(this::heard);
                unregisterResets = feed.listenResets(this::missedByTheFeed);
                // a move between the filter's first read and now is not missed
                filter.refresh();
                heartbeat = vertx.setPeriodic(heartbeatMillis, id -> keepAlive());
            }
            drain();
        }

        /** A heartbeat, when nothing else waits to go out (and the client is reading). */
        private void keepAlive() {
            synchronized (this) {
                if (ended || !pending.isEmpty()) {
                    return;
                }
                pending.add(KEEP_ALIVE);
            }
            drain();
        }

        private void terminated() {
            Runnable remove;
            Runnable removeResets;
            synchronized (this) {
                ended = true;
                pending.clear();
                held.clear();
                remove = unregister;
                removeResets = unregisterResets;
            }
            vertx.cancelTimer(heartbeat);
            remove.run();
            removeResets.run();
            released.run();
        }

        /**
         * The instance's tail missed events (the stream lost them while Redis was away, or trimmed
         * them first): the client may have missed some too, so it hears a reset, and goes on after
         * {@code goOnAfter}.
         */
        private void missedByTheFeed(String goOnAfter) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                pending.add(new Reset(goOnAfter));
                if (last == null || ChangeEvent.after(goOnAfter, last)) {
                    last = goOnAfter;
                }
                if (cursor != null && ChangeEvent.after(goOnAfter, cursor)) {
                    cursor = goOnAfter;
                }
            }
            drain();
        }

        private boolean follows(ChangeEvent event) {
            return filter.follows(event);
        }

        private void heard(ChangeEvent event) {
            filter.heard(event);
            if (!follows(event)) {
                return;
            }
            synchronized (this) {
                if (ended) {
                    return;
                }
                if (live) {
                    queue(event, true);
                } else if (held.size() < buffer) {
                    held.add(event);
                } else {
                    held.clear();
                    heldOverflowed = true;
                }
            }
            drain();
        }

        /**
         * Queues an event for the client, unless it went out already; past the bound (when
         * {@code bounded}), ends the stream.
         */
        private void queue(ChangeEvent event, boolean bounded) {
            if (ended || (last != null && !ChangeEvent.after(event.id(), last))) {
                return;
            }
            if (bounded && pending.size() >= buffer) {
                // the client does not keep up: it resumes from the last event it got
                ended = true;
                pending.clear();
                Log.debugf("change feed subscriber ended: %d events waited for its client", buffer);
                emitter.complete();
                return;
            }
            last = event.id();
            pending.add(new Change(event));
        }

        /** Sends what the client asked for; once it has taken everything, reads the next page of missed events. */
        private void drain() {
            boolean fetch;
            synchronized (this) {
                if (emitting) {
                    // asked again from within an emit (the client's next request): the loop below goes on
                    drainAgain = true;
                    return;
                }
                emitting = true;
                try {
                    do {
                        drainAgain = false;
                        while (!ended && emitter.requested() > 0 && !pending.isEmpty()) {
                            emitter.emit(pending.poll());
                        }
                    } while (drainAgain);
                } finally {
                    emitting = false;
                }
                fetch = !ended && !live && !fetching && pending.isEmpty();
                fetching |= fetch;
            }
            if (fetch) {
                if (checked) {
                    readMissed();
                } else {
                    checkRetained();
                }
            }
        }

        /** Whether the stream still holds everything after the resume point; if not, a reset goes first. */
        private void checkRetained() {
            feed.lostAfter(cursor)
                    .ifNoItem().after(redisTimeout).fail()
                    .subscribe().with(lost -> {
                        synchronized (this) {
                            fetching = false;
                            checked = true;
                            if (ended) {
                                return;
                            }
                            lost.ifPresent(goOnAfter -> {
                                pending.add(new Reset(goOnAfter));
                                last = goOnAfter;
                                cursor = goOnAfter;
                            });
                        }
                        drain();
                    }, failure -> {
                        Log.debugf("change feed retention check failed: %s", failure.getMessage());
                        emitter.fail(failure);
                    });
        }

        private void readMissed() {
            feed.after(cursor, buffer)
                    .ifNoItem().after(redisTimeout).fail()
                    .subscribe().with(this::missed, failure -> {
                        Log.debugf("change feed replay failed: %s", failure.getMessage());
                        emitter.fail(failure);
                    });
        }

        private void missed(InvalidationFeed.Page page) {
            synchronized (this) {
                fetching = false;
                if (ended) {
                    return;
                }
                for (ChangeEvent event : page.events()) {
                    filter.heard(event);
                    if (follows(event)) {
                        queue(event, true);
                    }
                }
                if (page.lastId() != null) {
                    // past every entry read, events of other scopes and entries that are no events too
                    cursor = page.lastId();
                }
                if (page.entries() < buffer && !heldOverflowed) {
                    // caught up with the stream: the live events held meanwhile follow (both queues are
                    // bounded, so this may hold up to twice the buffer once), then live ones
                    live = true;
                    while (!ended && !held.isEmpty()) {
                        queue(held.poll(), false);
                    }
                }
                heldOverflowed = false;
            }
            drain();
        }
    }
}
