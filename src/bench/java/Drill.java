import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault drills against private instances: the load is counters that clients increment with
 * If-Match (one scope per client), and a checker compares what clients were told with what is
 * stored: a lost update is an acknowledged increment missing from Postgres; an extra one is an
 * increment applied whose client saw an error (its outcome was unknown to it).
 *
 * Usage: Drill (redis|postgres|kill) <runner jar> <output file>. Every drill is bounded in time.
 */
public final class Drill {

    private static final int CLIENTS = 8;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final List<Process> processes = new ArrayList<>();
    private final String jar;
    private String jdbc = "jdbc:postgresql://127.0.0.1:5432/options_bench";
    private String redisHosts = "redis://127.0.0.1:6379";
    private final String stream = "options:changes:drill:" + System.nanoTime();

    private Drill(String jar) {
        this.jar = jar;
    }

    public static void main(String[] args) throws Exception {
        Drill drill = new Drill(args[1]);
        String report;
        try {
            report = switch (args[0]) {
                case "redis" -> drill.redis();
                case "postgres" -> drill.postgres();
                case "kill" -> drill.kill();
                default -> throw new IllegalArgumentException("drill: redis, postgres or kill");
            };
        } finally {
            drill.stopAll();
        }
        Files.writeString(Path.of(args[2]), report + System.lineSeparator(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        System.out.println(report);
    }

    /** A private redis-server killed for 3 s under load on two instances. */
    private String redis() throws Exception {
        int port = freePort();
        Process redis = startRedis(port);
        redisHosts = "redis://127.0.0.1:" + port;
        List<URI> instances = List.of(startService(), startService());
        Load load = new Load(instances);
        load.start();
        Thread.sleep(2000);
        redis.destroyForcibly().waitFor();
        Thread.sleep(3000);
        startRedis(port);
        long restarted = System.nanoTime();
        Thread.sleep(1000);
        load.stop();
        long converged = converge(instances, load.scopes, restarted);
        return load.report("Redis killed 3 s under load (2 instances)", converged);
    }

    /** A private Postgres cluster stopped for 3 s under load. */
    private String postgres() throws Exception {
        Path data = Files.createTempDirectory("drill-pg");
        int port = freePort();
        Path bin = Path.of("/usr/lib/postgresql").toFile().listFiles().length > 0
                ? Files.list(Path.of("/usr/lib/postgresql")).map(v -> v.resolve("bin")).filter(b -> Files.exists(b.resolve("initdb")))
                        .findFirst().orElseThrow()
                : null;
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "postgres", data.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync"), root);
        List<String> start = List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l", data.resolve("log").toString(),
                "-o", "-p " + port + " -k " + data + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        run(start, root);
        jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/options_drill";
        List<URI> instances = List.of(startService(port), startService(port));
        Load load = new Load(instances);
        load.start();
        Thread.sleep(2000);
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), root);
        Thread.sleep(3000);
        run(start, root);
        long restarted = System.nanoTime();
        Thread.sleep(1000);
        load.stop();
        long converged = converge(instances, load.scopes, restarted);
        String report = load.report("Postgres stopped 3 s under load (2 instances)", converged);
        stopAll();
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), root);
        return report;
    }

    /** One of two instances killed with SIGKILL during writes. */
    private String kill() throws Exception {
        List<URI> instances = List.of(startService(), startService());
        Load load = new Load(instances);
        load.start();
        Thread.sleep(2000);
        Process victim = processes.get(0);
        victim.destroyForcibly().waitFor();
        long killed = System.nanoTime();
        // as in the other drills, the load goes on for a second after the fault ends
        Thread.sleep(1000);
        load.stop();
        long converged = converge(List.of(instances.get(1)), load.scopes, killed);
        return load.report("one of 2 instances killed (SIGKILL) during writes", converged);
    }

    /** Milliseconds from {@code since} until the instances serve Postgres's version of every scope and the outbox is empty. */
    private long converge(List<URI> instances, List<Long> scopes, long since) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (converged(instances, scopes)) {
                return (System.nanoTime() - since) / 1_000_000;
            }
            Thread.sleep(50);
        }
        return -1;
    }

    private boolean converged(List<URI> instances, List<Long> scopes) {
        try (Connection db = DriverManager.getConnection(jdbc, "postgres", null)) {
            try (ResultSet rows = db.createStatement().executeQuery("SELECT count(*) FROM option_outbox")) {
                rows.next();
                if (rows.getLong(1) > 0) {
                    return false;
                }
            }
            for (long user : scopes) {
                long stored = version(db, user);
                for (URI instance : instances) {
                    HttpResponse<String> read = HTTP.send(HttpRequest.newBuilder(instance.resolve("/v1/users/" + user + "/options"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    if (read.statusCode() != 200 || !read.headers().firstValue("ETag").orElse("").equals("\"" + stored + "\"")) {
                        return false;
                    }
                }
            }
            return true;
        } catch (Exception notYet) {
            return false;
        }
    }

    private long version(Connection db, long user) throws Exception {
        try (PreparedStatement query = db.prepareStatement("SELECT coalesce((SELECT version FROM option_scopes WHERE scope_key = ?), 0)")) {
            query.setString(1, "user_options:" + user + ":user");
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private long storedCounter(long user) throws Exception {
        try (Connection db = DriverManager.getConnection(jdbc, "postgres", null);
                PreparedStatement query = db.prepareStatement(
                        "SELECT value::text FROM user_options WHERE user_id = ? AND key = 'n' AND project_id IS NULL AND organization_id IS NULL")) {
            query.setLong(1, user);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Long.parseLong(rows.getString(1)) : 0;
            }
        }
    }

    /** Clients incrementing their own counters with If-Match, round-robin over the instances. */
    private final class Load {
        final List<URI> instances;
        final List<Long> scopes = new ArrayList<>();
        final long[] acknowledged = new long[CLIENTS];
        final long[] unknown = new long[CLIENTS];
        final AtomicLong requests = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong failedReads = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);

        Load(List<URI> instances) {
            this.instances = instances;
            long first = System.nanoTime() & 0xFFFFFFFFFFL;
            for (int i = 0; i < CLIENTS; i++) {
                scopes.add(first + i);
            }
        }

        void start() {
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                clients.submit(() -> run(client));
            }
        }

        private void run(int client) {
            long user = scopes.get(client);
            long i = 0;
            while (running.get()) {
                URI instance = instances.get((int) (i++ % instances.size()));
                try {
                    HttpResponse<String> read = HTTP.send(HttpRequest.newBuilder(instance.resolve("/v1/users/" + user + "/options/n"))
                            .header("Cache-Control", "no-cache").timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    requests.incrementAndGet();
                    if (read.statusCode() != 200 && read.statusCode() != 404) {
                        failedReads.incrementAndGet();
                        failed.incrementAndGet();
                        Thread.sleep(20);
                        continue;
                    }
                    long current = read.statusCode() == 404 ? 0 : Long.parseLong(read.body().trim());
                    String etag = read.headers().firstValue("ETag").orElse("\"0\"");
                    HttpResponse<String> write = HTTP.send(HttpRequest.newBuilder(instance.resolve("/v1/users/" + user + "/options/n"))
                            .header("Content-Type", "application/json").header("If-Match", etag).timeout(Duration.ofSeconds(5))
                            .PUT(HttpRequest.BodyPublishers.ofString(String.valueOf(current + 1))).build(), HttpResponse.BodyHandlers.ofString());
                    requests.incrementAndGet();
                    if (write.statusCode() == 200) {
                        acknowledged[client] = current + 1;
                    } else if (write.statusCode() != 412) {
                        failed.incrementAndGet();
                        if (write.statusCode() >= 500) {
                            Thread.sleep(20);
                        }
                    }
                } catch (IOException e) {
                    failed.incrementAndGet();
                    unknown[client]++;
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            clients.shutdown();
            clients.awaitTermination(30, TimeUnit.SECONDS);
        }

        String report(String drill, long convergedMillis) throws Exception {
            long lost = 0;
            long extra = 0;
            for (int c = 0; c < CLIENTS; c++) {
                long stored = storedCounter(scopes.get(c));
                lost += Math.max(0, acknowledged[c] - stored);
                extra += Math.max(0, stored - acknowledged[c]);
            }
            return String.format("| %s | %d | %d | %d | %d | %d | %s |", drill, requests.get(), failed.get(), failedReads.get(), lost,
                    extra, convergedMillis < 0 ? "not within 30 s" : convergedMillis + " ms");
        }
    }

    private URI startService() throws Exception {
        return startService(5432);
    }

    private URI startService(int postgresPort) throws Exception {
        int port = freePort();
        List<String> command = List.of("java", "-Xmx192m", "-Dquarkus.http.port=" + port, "-Doptions.auth.enabled=false",
                "-Dquarkus.shutdown.delay=0s", "-Dquarkus.log.level=WARN",
                "-Doptions.feed.stream=" + stream, "-Doptions.cache.shared-prefix=options:bench:drill:",
                "-Doptions.outbox.relay-after=PT0.5S", "-Doptions.outbox.relay-interval=PT0.5S",
                "-Doptions.database.create-if-missing=true", "-Dquarkus.redis.hosts=" + redisHosts, "-jar", jar);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(File.createTempFile("drill-service", ".log"));
        builder.environment().put("DB_PORT", String.valueOf(postgresPort));
        builder.environment().put("DB_NAME", postgresPort == 5432 ? "options_bench" : "options_drill");
        Process process = builder.start();
        processes.add(process);
        URI base = URI.create("http://127.0.0.1:" + port + "/");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(base.resolve("/q/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (metrics.body().contains("options_feed_connected 1.0")) {
                    return base;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("instance did not start");
    }

    private Process startRedis(int port) throws Exception {
        Process redis = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(File.createTempFile("drill-redis", ".log")).start();
        processes.add(redis);
        for (int i = 0; i < 100; i++) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return redis;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start");
    }

    private void stopAll() {
        for (Process process : processes) {
            process.destroyForcibly();
        }
        processes.clear();
    }

    private static void run(List<String> command, boolean asPostgres) throws Exception {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", full) + " failed: " + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
