package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * SIGTERM during a stream of writes: every write was either answered 2xx and is stored, or failed
 * (the 503 of a request that arrived after the instance stopped taking them, or a connection error
 * once it stopped listening) and is not stored; and no committed change is left unpublished.
 *
 * <p>The clients speak HTTP/1.1: on HTTP/2 the draining instance sends GOAWAY, and Java 17's client
 * fails the streams still in flight on it although they are answered (JDK-8335181, fixed in 24), so
 * it would report writes the instance made and answered as failed.
 */
class GracefulShutdownIT {

    private static final String JDBC = "jdbc:postgresql://127.0.0.1:5432/options_test";

    @Test
    void sigtermLosesNoAnsweredWriteAndLeavesNothingUnpublished() throws Exception {
        String run = UUID.randomUUID().toString();
        ServiceProcess service = ServiceProcess.start("graceful", Map.of(
                "options.feed.stream", "options:changes:it:" + run,
                "quarkus.shutdown.delay", "1s",
                "quarkus.shutdown.timeout", "10s"));
        URI base = service.base();
        long firstUser = System.nanoTime() & 0xFFFFFFFFFFFL;
        int writers = 4;
        ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> otherwise = new ConcurrentLinkedQueue<>();
        AtomicInteger sent = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(writers);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        for (int w = 0; w < writers; w++) {
            long user = firstUser + w;
            clients.submit(() -> {
                int consecutiveRefusals = 0;
                for (int i = 0; i < 2000 && consecutiveRefusals < 5; i++) {
                    String key = "w" + i;
                    String id = user + "/" + key;
                    sent.incrementAndGet();
                    try {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/v1/users/" + user + "/options/" + key))
                                        .timeout(Duration.ofSeconds(15))
                                        .header("Content-Type", "application/json")
                                        .PUT(HttpRequest.BodyPublishers.ofString(String.valueOf(i))).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            answered.add(id);
                            consecutiveRefusals = 0;
                        } else if (response.statusCode() == 503) {
                            // arrived after the instance stopped taking requests: refused before anything was done
                            refused.add(id);
                            consecutiveRefusals++;
                        } else {
                            otherwise.add(id + " " + response.statusCode() + " " + response.body());
                        }
                    } catch (IOException connectionError) {
                        refused.add(id);
                        consecutiveRefusals++;
                    }
                }
                return null;
            });
        }
        while (sent.get() < 100) {
            Thread.sleep(10);
        }
        service.signalTerm();
        // during the shutdown delay the instance still answers, but readiness is already down
        boolean readinessWentDown = false;
        for (int i = 0; i < 100 && !readinessWentDown; i++) {
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(base.resolve("/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                readinessWentDown = ready.statusCode() == 503;
            } catch (IOException gone) {
                break;
            }
            Thread.sleep(10);
        }
        assertThat(readinessWentDown).as("readiness went down before the instance stopped").isTrue();
        int exit = service.terminate(Duration.ofSeconds(30));
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        assertThat(exit).as("clean exit on SIGTERM").isIn(0, 143);
        assertThat(otherwise).as("answers other than 200, 503 or a connection error").isEmpty();
        assertThat(answered).hasSizeGreaterThan(50);
        List<String> stored = stored(firstUser, writers);
        assertThat(stored).as("every answered write is stored").containsAll(answered);
        assertThat(refused).as("no write that failed is stored").doesNotContainAnyElementsOf(stored);
        assertThat(stored).as("nothing stored that was not answered").hasSameSizeAs(answered);
        assertThat(outboxRows(firstUser, writers)).as("no committed change left unpublished").isZero();
        service.close();
    }

    private static List<String> stored(long firstUser, int users) throws Exception {
        List<String> stored = new ArrayList<>();
        try (Connection db = DriverManager.getConnection(JDBC, "postgres", null);
                PreparedStatement query = db.prepareStatement(
                        "SELECT user_id, key FROM user_options WHERE user_id BETWEEN ? AND ? AND project_id IS NULL AND organization_id IS NULL")) {
            query.setLong(1, firstUser);
            query.setLong(2, firstUser + users - 1);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    stored.add(rows.getLong(1) + "/" + rows.getString(2));
                }
            }
        }
        return stored;
    }

    private static long outboxRows(long firstUser, int users) throws Exception {
        try (Connection db = DriverManager.getConnection(JDBC, "postgres", null);
                PreparedStatement query = db.prepareStatement("SELECT count(*) FROM option_outbox WHERE scope_key = ANY(?)")) {
            String[] keys = new String[users];
            for (int i = 0; i < users; i++) {
                keys[i] = "user_options:" + (firstUser + i) + ":user";
            }
            query.setArray(1, db.createArrayOf("text", keys));
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
