package dev.options.it;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service started as a process of its own, on a free port, against the test database
 * (for the integration tests that need more than one instance).
 */
final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final File log;

    private ServiceProcess(Process process, int port, File log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts an instance with {@code properties} and waits until it is ready and hears the feed. */
    static ServiceProcess start(String name, Map<String, String> properties) throws Exception {
        int port = freePort();
        // these tests are about caches and instances, not tokens: authentication is off for them
        List<String> command = new ArrayList<>(List.of("java", "-Xmx256m", "-Dquarkus.http.port=" + port,
                "-Doptions.auth.enabled=false", "-Dquarkus.shutdown.delay=" + properties.getOrDefault("quarkus.shutdown.delay", "0s")));
        properties.forEach((key, value) -> {
            if (!key.equals("quarkus.shutdown.delay")) {
                command.add("-D" + key + "=" + value);
            }
        });
        command.addAll(List.of("-jar", System.getProperty("runner.jar", "target/quarkus-app/quarkus-run.jar")));
        File log = File.createTempFile("options-" + name + "-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
        builder.environment().put("DB_NAME", "options_test");
        ServiceProcess service = new ServiceProcess(builder.start(), port, log);
        service.awaitFeed();
        return service;
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /** Waits until the instance answers and its near cache hears invalidations. */
    void awaitFeed() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("instance exited: " + java.nio.file.Files.readString(log.toPath()));
            }
            try {
                HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(base().resolve("/q/metrics"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (metrics.body().contains("options_feed_connected 1.0")) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("instance on port " + port + " did not connect its feed");
    }

    /** Sends SIGTERM without waiting. */
    void signalTerm() {
        process.destroy();
    }

    /** Sends SIGTERM and waits for the process to exit; answers its exit code. */
    int terminate(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("instance did not stop within " + within);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        log.delete();
    }
}
