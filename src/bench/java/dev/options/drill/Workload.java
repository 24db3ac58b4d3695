package dev.options.drill;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.drill.Recorded.Connection;
import dev.options.drill.Recorded.Event;
import dev.options.drill.Recorded.Kind;
import dev.options.drill.Recorded.Op;
import dev.options.drill.Recorded.Outcome;

/**
 * Clients of a {@link Cluster}, each a sequential process bound to one instance, doing cached and
 * strong reads, conditional writes, counter increments and blind writes on a few user scopes;
 * and change-feed subscribers that hop between instances, resuming with Last-Event-ID. Every
 * invocation and answer, and every event, is recorded for the {@link Checker}.
 */
final class Workload {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern USER_SCOPE = Pattern.compile("user_options:(\\d+):user");
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    final List<Long> users = new ArrayList<>();
    final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Connection> connections = new ConcurrentLinkedQueue<>();
    private final Cluster cluster;
    private final int processes;
    private final int subscribers;
    private final long seed;
    private final List<Thread> threads = new ArrayList<>();
    private final List<AtomicReference<Stream<String>>> streams = new ArrayList<>();
    private volatile boolean running = true;
    private volatile boolean subscribing = true;

    Workload(Cluster cluster, long firstUser, int scopes, int processes, int subscribers, long seed) {
        this.cluster = cluster;
        this.processes = processes;
        this.subscribers = subscribers;
        this.seed = seed;
        for (int i = 0; i < scopes; i++) {
            users.add(firstUser + i);
        }
    }

    void start() {
        for (int s = 0; s < subscribers; s++) {
            int subscriber = s;
            AtomicReference<Stream<String>> stream = new AtomicReference<>();
            streams.add(stream);
            threads.add(daemon(() -> subscribe(subscriber, stream), "subscriber-" + s));
        }
        for (int p = 0; p < processes; p++) {
            int process = p;
            threads.add(daemon(() -> client(process), "client-" + p));
        }
    }

    /** Ends the clients; the subscribers go on until {@link #unsubscribe}, so the checker sees the feed's tail. */
    void stop() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            if (thread.getName().startsWith("client-")) {
                thread.join(10_000);
            }
        }
    }

    void unsubscribe() throws InterruptedException {
        subscribing = false;
        for (AtomicReference<Stream<String>> stream : streams) {
            Stream<String> open = stream.get();
            if (open != null) {
                open.close();
            }
        }
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }

    /** Makes every subscriber drop its stream and resume elsewhere now (it would anyway, every few seconds). */
    void hopSubscribers() {
        for (AtomicReference<Stream<String>> stream : streams) {
            Stream<String> open = stream.get();
            if (open != null) {
                open.close();
            }
        }
    }

    // ---- clients

    private void client(int process) {
        Random random = new Random(seed * 31 + process);
        Cluster.Instance instance = cluster.instances.get(process % cluster.instances.size());
        Map<Long, Long> known = new HashMap<>();
        long written = 0;
        while (running) {
            long user = users.get(random.nextInt(users.size()));
            int dice = random.nextInt(100);
            Op op;
            if (dice < 35) {
                op = read(process, instance, user, false);
            } else if (dice < 50) {
                op = read(process, instance, user, true);
            } else if (dice < 70) {
                long ifMatch = known.getOrDefault(user, 0L);
                op = put(process, instance, user, Kind.CAS, "w", TextNode.valueOf("p" + process + "-" + written++), ifMatch);
            } else if (dice < 85) {
                Op read = read(process, instance, user, true);
                if (read.outcome() == Outcome.OK) {
                    known.put(user, read.version());
                    JsonNode n = read.options().get("n");
                    long next = (n == null ? 0 : n.asLong()) + 1;
                    op = put(process, instance, user, Kind.INCREMENT, "n", LongNode.valueOf(next), read.version());
                } else {
                    op = read;
                }
            } else {
                op = put(process, instance, user, Kind.BLIND, "b", TextNode.valueOf("p" + process + "-" + written++), -1);
            }
            if (op.outcome() == Outcome.OK) {
                known.put(user, op.version());
            } else {
                pause(20);
            }
        }
    }

    private Op read(int process, Cluster.Instance instance, long user, boolean strong) {
        HttpRequest.Builder request = HttpRequest.newBuilder(instance.base.resolve("/v1/users/" + user + "/options")).timeout(TIMEOUT);
        if (strong) {
            request.header("Cache-Control", "no-cache");
        }
        return send(process, instance, user, strong ? Kind.STRONG_READ : Kind.READ, request.build(), null, null, -1);
    }

    private Op put(int process, Cluster.Instance instance, long user, Kind kind, String key, JsonNode value, long ifMatch) {
        HttpRequest.Builder request = HttpRequest.newBuilder(instance.base.resolve("/v1/users/" + user + "/options/" + key))
                .timeout(TIMEOUT).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(value.toString()));
        if (ifMatch >= 0) {
            request.header("If-Match", "\"" + ifMatch + "\"");
        }
        return send(process, instance, user, kind, request.build(), key, value, ifMatch);
    }

    private Op send(int process, Cluster.Instance instance, long user, Kind kind, HttpRequest request, String key, JsonNode value,
            long ifMatch) {
        int incarnation = instance.incarnation;
        long invoked = System.nanoTime();
        Op op;
        try {
            HttpResponse<String> answer = Cluster.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            long completed = System.nanoTime();
            int status = answer.statusCode();
            if (status == 200) {
                JsonNode document = JSON.readTree(answer.body());
                op = new Op(process, instance.index, incarnation, kind, user, invoked, completed, Outcome.OK, status,
                        document.get("version").asLong(), document.get("options"), key, value, ifMatch);
            } else {
                op = new Op(process, instance.index, incarnation, kind, user, invoked, completed,
                        status >= 500 ? Outcome.INFO : Outcome.FAIL, status, -1, null, key, value, ifMatch);
            }
        } catch (ConnectException refused) {
            op = new Op(process, instance.index, incarnation, kind, user, invoked, System.nanoTime(), Outcome.FAIL, 0, -1, null, key,
                    value, ifMatch);
        } catch (IOException unknown) {
            op = new Op(process, instance.index, incarnation, kind, user, invoked, System.nanoTime(), Outcome.INFO, 0, -1, null, key,
                    value, ifMatch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            op = new Op(process, instance.index, incarnation, kind, user, invoked, System.nanoTime(), Outcome.INFO, 0, -1, null, key,
                    value, ifMatch);
        }
        ops.add(op);
        return op;
    }

    // ---- subscribers

    private void subscribe(int subscriber, AtomicReference<Stream<String>> current) {
        Random random = new Random(seed * 17 + subscriber);
        String lastId = null;
        int connection = 0;
        while (subscribing) {
            Cluster.Instance instance = cluster.instances.get((subscriber + connection) % cluster.instances.size());
            int incarnation = instance.incarnation;
            HttpRequest.Builder request = HttpRequest.newBuilder(instance.base.resolve("/v1/changes"))
                    .header("Accept", "text/event-stream").timeout(TIMEOUT);
            if (lastId != null) {
                request.header("Last-Event-ID", lastId);
            }
            connections.add(new Connection(subscriber, instance.index, connection, System.nanoTime(), lastId));
            long hopAt = System.nanoTime() + Duration.ofMillis(1500 + random.nextInt(2500)).toNanos();
            try {
                HttpResponse<Stream<String>> answer = Cluster.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines());
                if (answer.statusCode() != 200) {
                    answer.body().close();
                    pause(200);
                    connection++;
                    continue;
                }
                current.set(answer.body());
                String id = null;
                String type = "message";
                String data = null;
                var lines = answer.body().iterator();
                while (subscribing && lines.hasNext()) {
                    String line = lines.next();
                    if (line.isEmpty()) {
                        if (data != null) {
                            Event event = event(subscriber, instance, incarnation, connection, type, id, data);
                            events.add(event);
                            if (id != null) {
                                lastId = id;
                            }
                        }
                        id = null;
                        type = "message";
                        data = null;
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).trim();
                    } else if (line.startsWith("event:")) {
                        type = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        data = line.substring(5).trim();
                    } else if (line.startsWith(":")) {
                        events.add(new Event(subscriber, instance.index, incarnation, connection, System.nanoTime(), "heartbeat", null,
                                -1, -1, List.of()));
                    }
                    if (System.nanoTime() > hopAt && running) {
                        break;
                    }
                }
                answer.body().close();
                closed(subscriber, instance, incarnation, connection);
            } catch (IOException | RuntimeException dropped) {
                closed(subscriber, instance, incarnation, connection);
                pause(100);
            } catch (InterruptedException e) {
                return;
            }
            connection++;
        }
    }

    /**
     * Records the end of a connection, however it ended (a hop, the end of the subscriptions, the
     * stream broken): until then the stream was open, so the silence before it counts.
     */
    private void closed(int subscriber, Cluster.Instance instance, int incarnation, int connection) {
        events.add(new Event(subscriber, instance.index, incarnation, connection, System.nanoTime(), "closed", null, -1, -1,
                List.of()));
    }

    private static Event event(int subscriber, Cluster.Instance instance, int incarnation, int connection, String type, String id,
            String data) {
        long received = System.nanoTime();
        try {
            JsonNode body = JSON.readTree(data);
            JsonNode scope = body.get("scope");
            if (scope == null) {
                return new Event(subscriber, instance.index, incarnation, connection, received, type, id, -1, -1, List.of());
            }
            Matcher user = USER_SCOPE.matcher(scope.asText());
            List<String> keys = new ArrayList<>();
            body.path("keys").forEach(k -> keys.add(k.asText()));
            return new Event(subscriber, instance.index, incarnation, connection, received, type, id,
                    user.matches() ? Long.parseLong(user.group(1)) : -1, body.path("version").asLong(-1), keys);
        } catch (IOException unreadable) {
            return new Event(subscriber, instance.index, incarnation, connection, received, "unreadable", id, -1, -1, List.of());
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable body, String name) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
