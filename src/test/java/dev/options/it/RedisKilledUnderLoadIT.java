package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.options.Http;
import dev.options.PrivateRedis;

/**
 * A private redis-server killed under mixed load on two instances: every write still succeeds, every
 * read still answers (from Postgres); within 2 s of Redis coming back both instances serve the
 * newest version of every scope and the outbox holds none of their changes.
 */
class RedisKilledUnderLoadIT {

    private static final String JDBC = "jdbc:postgresql://127.0.0.1:5432/options_test";

    @Test
    void noRequestFailsAndEverythingConvergesWithin2sOfTheRestart() throws Exception {
        PrivateRedis redis = new PrivateRedis();
        Map<String, String> hosts = redis.start();
        String run = UUID.randomUUID().toString();
        Map<String, String> settings = new java.util.HashMap<>(hosts);
        settings.putAll(Map.of(
                "options.feed.stream", "options:changes:it:" + run,
                "options.outbox.relay-after", "PT0.2S",
                "options.outbox.relay-interval", "PT0.2S",
                "options.feed.reconnect-delay", "PT0.1S"));
        long firstUser = System.nanoTime() & 0xFFFFFFFFFFFL;
        List<String> scopes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            scopes.add("/v1/users/" + (firstUser + i) + "/options");
        }
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try (ServiceProcess a = ServiceProcess.start("a", settings); ServiceProcess b = ServiceProcess.start("b", settings)) {
            List<Http> instances = List.of(new Http(a.base()), new Http(b.base()));
            AtomicBoolean loading = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger requests = new AtomicInteger();
            for (int c = 0; c < 4; c++) {
                clients.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (loading.get()) {
                        Http http = instances.get(random.nextInt(2));
                        String scope = scopes.get(random.nextInt(scopes.size()));
                        Http.Answer answer = random.nextBoolean()
                                ? http.send("PUT", scope + "/n", "application/json", String.valueOf(random.nextInt(1_000_000)))
                                : http.get(scope);
                        requests.incrementAndGet();
                        if (answer.status() != 200) {
                            failures.add(answer.status() + " " + answer.body());
                        }
                    }
                    return null;
                });
            }
            Thread.sleep(1000);
            PrivateRedis.stopServer();
            Thread.sleep(2000);
            PrivateRedis.startServer();
            long restarted = System.nanoTime();
            loading.set(false);
            clients.shutdown();
            assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

            assertThat(failures).as("failed requests out of %d", requests.get()).isEmpty();
            assertThat(requests.get()).as("requests made in the 3 s of load").isGreaterThan(20);

            long deadline = restarted + Duration.ofSeconds(10).toNanos();
            boolean converged = false;
            while (!converged && System.nanoTime() < deadline) {
                converged = converged(instances, scopes, firstUser);
                if (!converged) {
                    Thread.sleep(50);
                }
            }
            long millis = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
            assertThat(converged).as("converged at all").isTrue();
            assertThat(millis).as("converged within 2 s of the restart").isLessThan(2000);
        } finally {
            clients.shutdownNow();
            redis.stop();
        }
    }

    /** Both instances serve what Postgres holds for every scope, and no change of them waits in the outbox. */
    private static boolean converged(List<Http> instances, List<String> scopes, long firstUser) throws Exception {
        try (Connection db = DriverManager.getConnection(JDBC, "postgres", null)) {
            try (PreparedStatement outbox = db.prepareStatement(
                    "SELECT count(*) FROM option_outbox WHERE scope_key = ANY(?)")) {
                String[] keys = new String[scopes.size()];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = "user_options:" + (firstUser + i) + ":user";
                }
                outbox.setArray(1, db.createArrayOf("text", keys));
                try (ResultSet rows = outbox.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) > 0) {
                        return false;
                    }
                }
            }
            for (int i = 0; i < scopes.size(); i++) {
                long stored;
                try (PreparedStatement version = db.prepareStatement(
                        "SELECT coalesce((SELECT version FROM option_scopes WHERE scope_key = ?), 0)")) {
                    version.setString(1, "user_options:" + (firstUser + i) + ":user");
                    try (ResultSet rows = version.executeQuery()) {
                        rows.next();
                        stored = rows.getLong(1);
                    }
                }
                for (Http http : instances) {
                    if (http.get(scopes.get(i)).json().get("version").asLong() != stored) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
