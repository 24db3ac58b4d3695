package dev.options;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * What a Redis server runs, as its MONITOR reports it: one line per command, with the address of the
 * connection that sent it ({@code +<time> [<db> <address>] "<COMMAND>" "<arg>"...}). Read on a
 * thread of its own from a plain socket, so that tests see which connection sent what.
 */
public final class RedisMonitor implements AutoCloseable {

    private final Socket socket;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private RedisMonitor(Socket socket) {
        this.socket = socket;
    }

    /** Starts monitoring the server of {@code uri} ({@code redis://host:port}). */
    public static RedisMonitor open(String uri) throws IOException {
        URI server = URI.create(uri);
        Socket socket = new Socket(server.getHost(), server.getPort() < 0 ? 6379 : server.getPort());
        RedisMonitor monitor = new RedisMonitor(socket);
        socket.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        if (!"+OK".equals(reader.readLine())) {
            socket.close();
            throw new IOException("MONITOR refused by " + uri);
        }
        Thread tail = new Thread(() -> {
            try {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    monitor.lines.add(line);
                }
            } catch (IOException closed) {
                // the monitor was closed
            }
        }, "redis-monitor");
        tail.setDaemon(true);
        tail.start();
        return monitor;
    }

    /** The lines seen so far that {@code filter} accepts, once at least {@code count} are there (or the wait is over). */
    public List<String> await(Predicate<String> filter, int count, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<String> found = lines.stream().filter(filter).toList();
            if (found.size() >= count || System.nanoTime() > deadline) {
                return found;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return found;
            }
        }
    }

    /** The address of the connection that sent the command of a MONITOR line ({@code lua} for a script's own). */
    public static String sender(String line) {
        int open = line.indexOf('[');
        int space = line.indexOf(' ', open);
        return line.substring(space + 1, line.indexOf(']', space));
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
