package dev.options;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A Postgres cluster of the test's own, on a free port, that a fault test may stop and start again.
 * The shared server on 5432 is never touched. Needs the server binaries (Debian's postgresql
 * package); as root, the cluster runs as the {@code postgres} user, since Postgres refuses root.
 */
public class PrivatePostgres implements QuarkusTestResourceLifecycleManager {

    private static Path data;
    private static int port;
    private static Path bin;

    @Override
    public Map<String, String> start() {
        try {
            bin = binaries();
            port = freePort();
            data = Files.createTempDirectory("options-private-pg");
            run(List.of("chmod", "700", data.toString()), false);
            if (isRoot()) {
                run(List.of("chown", "postgres", data.toString()), false);
            }
            run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8"), true);
            startServer();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String database = "//127.0.0.1:" + port + "/options_outage";
        return Map.of(
                "quarkus.datasource.reactive.url", "postgresql:" + database,
                "quarkus.datasource.jdbc.url", "jdbc:postgresql:" + database);
    }

    @Override
    public void stop() {
        stopServer();
        try (Stream<Path> files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    /** Starts the cluster (again), on the same port, and waits until it accepts connections. */
    public static void startServer() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "30", "-l", data.resolve("log").toString(),
                "-o", "-p " + port + " -k " + data + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"), true);
    }

    /** Stops the cluster at once, as a crash would: open connections are cut. */
    public static void stopServer() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(List<String> command, boolean asPostgres) {
        List<String> full = new ArrayList<>();
        if (asPostgres && isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", full) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path binaries() throws IOException {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
                    .orElseThrow(() -> new IllegalStateException("no Postgres server binaries under /usr/lib/postgresql"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
