package dev.options;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A redis-server of the test's own on a free port, which a fault test may kill and start again.
 * The shared server on 6379 is never touched.
 */
public class PrivateRedis implements QuarkusTestResourceLifecycleManager {

    private static int port;
    private static Process server;

    @Override
    public Map<String, String> start() {
        port = freePort();
        startServer();
        return Map.of("quarkus.redis.hosts", "redis://127.0.0.1:" + port);
    }

    @Override
    public void stop() {
        stopServer();
    }

    /** A port no one listens on now. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static int port() {
        return port;
    }

    /** Starts the server (again) on the same port and waits until it accepts connections. */
    public static synchronized void startServer() {
        server = launch(port);
    }

    /** A redis-server on {@code port} with {@code options} besides the usual, once it accepts connections. */
    static Process launch(int port, String... options) {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", System.getProperty("java.io.tmpdir")));
        command.addAll(List.of(options));
        Process launched;
        try {
            launched = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(new File(System.getProperty("java.io.tmpdir"), "options-private-redis-" + port + ".log"))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server could not be started (is it installed?)", e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return launched;
            } catch (IOException notYet) {
                sleep();
            }
        }
        launched.destroyForcibly();
        throw new IllegalStateException("redis-server did not come up on port " + port);
    }

    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered, as a paused VM. */
    public static synchronized void pauseServer() {
        signal("STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    public static synchronized void resumeServer() {
        signal("CONT");
    }

    private static void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(server.pid())).start();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the server at once, as a crash would; everything it held is gone. */
    public static synchronized void stopServer() {
        if (server != null) {
            server.destroyForcibly();
            try {
                server.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server = null;
        }
    }

    static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
