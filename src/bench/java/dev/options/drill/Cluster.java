package dev.options.drill;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a drill runs on, all private: a Postgres cluster and a redis-server on free ports, each behind
 * a {@link Proxy}, and service instances started from the runner jar, each reaching both through
 * the proxies. The shared Postgres and Redis are never touched.
 */
final class Cluster implements AutoCloseable {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    static final String STREAM = "options:changes";
    /** How often the instances' change streams send a heartbeat when they have nothing else to send. */
    static final Duration HEARTBEAT = Duration.ofSeconds(1);

    /** A service instance; its incarnation counts restarts, each a new session for the checker. */
    static final class Instance {
        final int index;
        final int port;
        final URI base;
        volatile Process process;
        volatile int incarnation;

        Instance(int index, int port) {
            this.index = index;
            this.port = port;
            this.base = URI.create("http://127.0.0.1:" + port + "/");
        }
    }

    private final String jar;
    private final Path logs;
    private final Path data;
    private final Path postgresBin;
    private final boolean root = "root".equals(System.getProperty("user.name"));
    final int postgresPort;
    final int redisPort;
    final Proxy postgresLink;
    final Proxy redisLink;
    private Process redis;
    final List<Instance> instances = new ArrayList<>();

    Cluster(String jar, int instanceCount, Path logs) throws Exception {
        this.jar = jar;
        this.logs = logs;
        Files.createDirectories(logs);
        postgresBin = Files.list(Path.of("/usr/lib/postgresql")).map(v -> v.resolve("bin"))
                .filter(b -> Files.exists(b.resolve("initdb"))).findFirst().orElseThrow();
        data = Files.createTempDirectory("drill-pg");
        postgresPort = freePort();
        if (root) {
            run(List.of("chown", "postgres", data.toString()), false);
        }
        run(List.of(postgresBin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync"),
                root);
        startPostgres();
        redisPort = freePort();
        startRedis();
        postgresLink = new Proxy(postgresPort);
        redisLink = new Proxy(redisPort);
        for (int i = 0; i < instanceCount; i++) {
            Instance instance = new Instance(i, freePort());
            instances.add(instance);
            start(instance);
        }
    }

    // ---- Postgres

    void startPostgres() throws Exception {
        run(List.of(postgresBin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l", data.resolve("log").toString(),
                "-o", "-p " + postgresPort + " -k " + data + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                "start"), root);
    }

    void stopPostgres() throws Exception {
        run(List.of(postgresBin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), root);
    }

    /** Terminates every backend of the service's database but the caller's. */
    int terminatePostgresConnections() {
        try (Connection db = database()) {
            var rows = db.createStatement().executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    + "WHERE datname = 'options_drill' AND pid <> pg_backend_pid()");
            rows.next();
            return rows.getInt(1);
        } catch (SQLException down) {
            return 0;
        }
    }

    Connection database() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/options_drill", "postgres", null);
    }

    // ---- Redis

    void startRedis() throws Exception {
        redis = new ProcessBuilder("redis-server", "--port", String.valueOf(redisPort), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(logs.resolve("redis.log").toFile()).start();
        for (int i = 0; i < 100; i++) {
            try (Socket probe = new Socket("127.0.0.1", redisPort)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start");
    }

    /** Kills redis-server; it comes back empty (it keeps nothing on disk). */
    void killRedis() throws InterruptedException {
        redis.destroyForcibly().waitFor();
    }

    void signalRedis(String signal) throws Exception {
        run(List.of("kill", "-" + signal, String.valueOf(redis.pid())), false);
    }

    /** Runs one command on the private Redis, directly, and answers its reply. */
    String redis(String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(redisPort)));
        full.addAll(List.of(command));
        Process cli = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        cli.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    // ---- service instances

    void start(Instance instance) throws Exception {
        List<String> command = List.of("java", "-Xmx256m", "-Dquarkus.http.port=" + instance.port, "-Doptions.auth.enabled=false",
                "-Dquarkus.shutdown.delay=0s", "-Dquarkus.log.level=WARN", "-Doptions.feed.stream=" + STREAM,
                "-Doptions.feed.heartbeat=" + HEARTBEAT, "-Doptions.outbox.relay-after=PT0.5S", "-Doptions.outbox.relay-interval=PT0.5S",
                "-Doptions.database.create-if-missing=true", "-Dquarkus.redis.hosts=redis://127.0.0.1:" + redisLink.port(),
                "-jar", jar);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve("instance-" + instance.index + ".log").toFile()));
        builder.environment().put("DB_PORT", String.valueOf(postgresLink.port()));
        builder.environment().put("DB_NAME", "options_drill");
        instance.process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(instance.base.resolve("/q/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (metrics.body().contains("options_feed_connected 1.0")) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!instance.process.isAlive()) {
                throw new IllegalStateException("instance " + instance.index + " exited; see " + logs);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("instance " + instance.index + " did not start; see " + logs);
    }

    void kill(Instance instance) throws InterruptedException {
        instance.process.destroyForcibly().waitFor();
    }

    void restart(Instance instance) throws Exception {
        instance.incarnation++;
        start(instance);
    }

    void signal(Instance instance, String signal) throws Exception {
        run(List.of("kill", "-" + signal, String.valueOf(instance.process.pid())), false);
    }

    @Override
    public void close() throws Exception {
        for (Instance instance : instances) {
            if (instance.process != null) {
                instance.process.destroyForcibly().waitFor();
            }
        }
        if (redis != null) {
            redis.destroyForcibly().waitFor();
        }
        postgresLink.close();
        redisLink.close();
        try {
            stopPostgres();
        } catch (IllegalStateException alreadyStopped) {
            // a drill stopped it
        }
    }

    static void run(List<String> command, boolean asPostgres) throws Exception {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(File.createTempFile("drill-run", ".log"))
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", full) + " failed");
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
