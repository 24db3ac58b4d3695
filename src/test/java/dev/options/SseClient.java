package dev.options;

import java.util.ArrayList;
import java.util.List;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A server-sent-events client for tests: events arrive in a queue; {@link #close()} disconnects. */
import dev.options.value.OptionJson;

public final class SseClient implements AutoCloseable {

    public record Event(String id, String name, String data) {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    private final CompletableFuture<HttpResponse<Stream<String>>> response;
    private volatile Stream<String> lines;

    public SseClient(URI uri, String lastEventId) {
        this(uri, lastEventId, null);
    }

    /** A stream asked for with {@code token} as its bearer token (none when null). */
    public SseClient(URI uri, String lastEventId, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        response = HttpClient.newHttpClient().sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines());
        response.thenAccept(answer -> {
            lines = answer.body();
            Thread reader = new Thread(this::read, "sse-client");
            reader.setDaemon(true);
            reader.start();
        });
    }

    private void read() {
        String[] current = new String[3];
        try {
            lines.forEach(line -> {
                if (line.isEmpty()) {
                    if (current[2] != null) {
                        events.add(new Event(current[0], current[1], current[2]));
                    }
                    current[0] = current[1] = current[2] = null;
                } else if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                } else if (line.startsWith("id:")) {
                    current[0] = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    current[1] = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    current[2] = line.substring(5).trim();
                }
            });
        } catch (RuntimeException closed) {
            // the test disconnected
        }
    }

    /** The next event, or null if none arrives within {@code timeout}. */
    public Event next(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next comment line's text, or null if none arrives within {@code timeout}. */
    public String nextComment(Duration timeout) throws InterruptedException {
        return comments.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The scopes of the next events, in order, until one of {@code last} arrives (included); fails
     * when ten seconds pass without an event.
     */
    public List<String> scopesUntil(String last) throws InterruptedException {
        List<String> scopes = new ArrayList<>();
        while (true) {
            Event event = next(Duration.ofSeconds(10));
            if (event == null) {
                throw new AssertionError("no event after " + scopes + " while waiting for one of " + last);
            }
            String scope = OptionJson.parseStored(event.data()).get("scope").asText();
            scopes.add(scope);
            if (scope.equals(last)) {
                return scopes;
            }
        }
    }

    /** Waits until the server has answered the request (the stream is open). */
    public SseClient opened() throws Exception {
        response.get(10, TimeUnit.SECONDS);
        return this;
    }

    @Override
    public void close() {
        response.thenAccept(answer -> answer.body().close());
        response.cancel(true);
    }
}
