package dev.options.rest;

import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemType;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;

/**
 * Once this instance has stopped taking requests (on SIGTERM, after the shutdown delay during which
 * readiness is down and the load balancer stops sending), a request still arriving is refused with
 * a {@code 503 shutting-down} problem, {@code Retry-After} and {@code Connection: close}, before
 * anything is done: the client retries elsewhere and knows nothing was written. The requests in
 * flight finish and are answered; health probes keep answering ({@code Connection: close} only on
 * HTTP/1.x, where it means something).
 *
 * <p>Quarkus 3.33 lets such requests through and closes their connections once each is done, and
 * accepts them until its HTTP server closes, after it has stopped waiting for requests: a write
 * accepted then can commit with its answer cut off, which the client cannot tell from one that
 * never ran (GracefulShutdownIT).
 */
@ApplicationScoped
public class Draining {

    /** When requests stop being taken, on {@link System#nanoTime()}'s clock. */
    private volatile long fromNanos = Long.MAX_VALUE;

    private final Duration delay;
    private final boolean delayEnabled;

    public Draining(@ConfigProperty(name = "quarkus.shutdown.delay", defaultValue = "0s") Duration delay,
            @ConfigProperty(name = "quarkus.shutdown.delay-enabled", defaultValue = "false") boolean delayEnabled) {
        this.delay = delay;
        this.delayEnabled = delayEnabled;
    }

    void delayBegins(@Observes ShutdownDelayInitiatedEvent event) {
        stopTakingAfter(delayEnabled ? delay : Duration.ZERO);
    }

    void shutdown(@Observes ShutdownEvent event) {
        stopTakingAfter(Duration.ZERO);
    }

    private void stopTakingAfter(Duration wait) {
        long from = System.nanoTime() + wait.toNanos();
        if (from < fromNanos) {
            fromNanos = from;
        }
    }

    /** Whether requests arriving now are refused. */
    boolean draining() {
        return System.nanoTime() - fromNanos >= 0 && fromNanos != Long.MAX_VALUE;
    }

    void install(@Observes Router router, OptionsConfig config) {
        String retryAfter = String.valueOf(config.retryAfterSeconds());
        router.route().order(Integer.MIN_VALUE + 50).handler(context -> {
            // probes go on answering: a liveness probe refused would have the instance killed mid-drain
            if (!draining() || context.request().path().startsWith("/q/health")) {
                context.next();
                return;
            }
            // a connection header is malformed on HTTP/2, where the server's GOAWAY says it instead
            Map<String, String> headers = context.request().version() == HttpVersion.HTTP_2
                    ? Map.of(HttpHeaders.RETRY_AFTER.toString(), retryAfter)
                    : Map.of(HttpHeaders.RETRY_AFTER.toString(), retryAfter, HttpHeaders.CONNECTION.toString(), "close");
            Problems.send(context, ProblemType.SHUTTING_DOWN, "this instance is shutting down; nothing was done", headers);
        });
    }
}
