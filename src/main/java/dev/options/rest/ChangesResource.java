package dev.options.rest;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * The change feed: one server-sent event per committed change, from the instance's tail of the
 * Redis stream. A client that reconnects with {@code Last-Event-ID} first gets what it missed (while
 * the stream retains it), then the live events, with no gap and no duplicate: live events are held
 * back while the missed ones are read, and only those after the last one sent go out.
 */
@Path("/v1/changes")
public class ChangesResource {

    private static final int REPLAY_BATCH = 1000;

    private final InvalidationFeed feed;

    public ChangesResource(InvalidationFeed feed) {
        this.feed = feed;
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Stream committed changes",
            description = "Server-sent events named option-change, data {\"scope\", \"version\", \"keys\"}, id the stream id."
                    + " Last-Event-ID resumes after that event; scope (repeatable) filters by scope key.")
    public Multi<OutboundSseEvent> changes(
            @HeaderParam("Last-Event-ID") String lastEventId,
            @Parameter(description = "scope keys to follow, e.g. project_options:42") @QueryParam("scope") List<String> scopes,
            @Context Sse sse) {
        if (lastEventId != null && !ChangeEvent.isStreamId(lastEventId.trim())) {
            throw new ProblemException(ProblemType.INVALID_HEADER, "Last-Event-ID must be an event id such as 1732200000000-0");
        }
        Set<String> wanted = scopes == null ? Set.of() : new HashSet<>(scopes);
        // who may follow which scopes was decided before the stream opened (Authentication#authorizeFeed)
        return Multi.createFrom()
                .<ChangeEvent>emitter(emitter -> new Subscription(emitter, lastEventId == null ? null : lastEventId.trim()).start())
                .filter(event -> wanted.isEmpty() || wanted.contains(event.scope().value()))
                .map(event -> sse.newEventBuilder()
                        .id(event.id())
                        .name("option-change")
                        .mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(event.json())
                        .build());
    }

    /** One client's stream: missed events first, then live ones, each exactly once and in order. */
    private final class Subscription {
        private final MultiEmitter<? super ChangeEvent> emitter;
        private final java.util.ArrayDeque<ChangeEvent> held = new java.util.ArrayDeque<>();
        private String last;
        private boolean live;

        Subscription(MultiEmitter<? super ChangeEvent> emitter, String lastEventId) {
            this.emitter = emitter;
            this.last = lastEventId;
        }

        void start() {
            Runnable unregister = feed.listen(this::heard);
            emitter.onTermination(unregister);
            if (last == null) {
                goLive();
            } else {
                replay();
            }
        }

        private synchronized void heard(ChangeEvent event) {
            if (live) {
                send(event);
            } else {
                held.add(event);
            }
        }

        private void replay() {
            feed.after(last, REPLAY_BATCH).subscribe().with(events -> {
                synchronized (this) {
                    events.forEach(this::send);
                }
                if (events.size() == REPLAY_BATCH) {
                    replay();
                } else {
                    goLive();
                }
            }, emitter::fail);
        }

        private synchronized void goLive() {
            live = true;
            while (!held.isEmpty()) {
                send(held.poll());
            }
        }

        private void send(ChangeEvent event) {
            if (last == null || ChangeEvent.after(event.id(), last)) {
                last = event.id();
                emitter.emit(event);
            }
        }
    }
}
