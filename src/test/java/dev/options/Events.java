package dev.options;

import java.time.Duration;
import java.util.List;

import org.eclipse.microprofile.config.ConfigProvider;

import dev.options.events.ChangeEvent;
import dev.options.events.InvalidationFeed;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/** Reads the change stream directly in Redis, around the service. */
public final class Events {

    private final Redis redis;
    private final String stream;

    public Events(Redis redis) {
        this.redis = redis;
        this.stream = ConfigProvider.getConfig().getValue("options.feed.stream", String.class);
    }

    /**
     * Waits (at most five seconds) until {@code feed} is connected: saves publish their events at once
     * only then, and the near cache answers only then; fails the test if it never connects.
     */
    public static void awaitConnected(InvalidationFeed feed) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!feed.connected() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!feed.connected()) {
            throw new AssertionError("the invalidation feed did not connect");
        }
    }

    /** The id of the newest event now, to read what comes after it. */
    public String mark() {
        Response newest = redis.send(Request.cmd(Command.XREVRANGE).arg(stream).arg("+").arg("-").arg("COUNT").arg(1))
                .await().atMost(Duration.ofSeconds(5));
        List<ChangeEvent> events = InvalidationFeed.events(newest);
        return events.isEmpty() ? "0-0" : events.get(0).id();
    }

    /**
     * {@link #since}, once it holds at least {@code atLeast} events (or after 5 s): a writer's event
     * whose predecessor never was in the stream (a scope planted in Postgres) goes in on the
     * writer's last try, some 260 ms after its answer.
     */
    public List<ChangeEvent> awaitSince(String mark, String scopeKey, int atLeast) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<ChangeEvent> events = since(mark, scopeKey);
        while (events.size() < atLeast && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            events = since(mark, scopeKey);
        }
        return events;
    }

    /** The events of {@code scopeKey} appended after {@code mark}, oldest first. */
    public List<ChangeEvent> since(String mark, String scopeKey) {
        Response entries = redis.send(Request.cmd(Command.XRANGE).arg(stream).arg("(" + mark).arg("+"))
                .await().atMost(Duration.ofSeconds(5));
        return InvalidationFeed.events(entries).stream().filter(e -> e.scope().value().equals(scopeKey)).toList();
    }
}
