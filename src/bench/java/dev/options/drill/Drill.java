package dev.options.drill;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.options.drill.Recorded.Change;
import dev.options.drill.Recorded.Op;
import dev.options.drill.Recorded.Outcome;
import dev.options.drill.Recorded.Truth;

/**
 * Fault drills with a consistency checker: on one private {@link Cluster}, for each fault in turn,
 * the {@link Workload} runs healthy for 2 s, through the fault (bounded in time), and 1 s after it
 * heals; then the drill waits until every instance serves Postgres's version of every scope with
 * the outbox empty (convergence), lets the subscribers hear the tail, and hands the history and
 * Postgres's truth to the {@link Checker}.
 *
 * <p>
 * Usage: {@code Drill <runner jar> <report.md> <faults|all> [seconds]}; the histories go beside
 * the report as JSON lines, one file per fault.
 */
public final class Drill {

    /** Every fault, in the order {@code all} runs them. */
    public static final List<String> FAULTS = List.of("redis-kill", "redis-pause", "redis-client-kill", "stream-trim",
            "instance-pause", "instance-kill", "postgres-terminate", "postgres-stop", "redis-latency", "redis-cut",
            "postgres-latency", "postgres-cut", "combined");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SCOPES = 4;
    private static final int PROCESSES = 8;
    private static final int SUBSCRIBERS = 3;
    /** The longest a stream may be silent: a heartbeat's interval, and time for a loaded machine to deliver it. */
    private static final long SILENCE_NANOS = Cluster.HEARTBEAT.plusMillis(1500).toNanos();

    /** What one fault was shown to do. */
    public record Result(String fault, long operations, long failed, long ambiguous, long errors500, double readsAnsweredInFault,
            long lost, long extra, Map<String, Long> violations, Map<String, List<String>> examples, long convergedMillis,
            long visibilityP50Millis, long visibilityP99Millis, long heartbeats, long resets, long searched, long searchTimedOut) {

        public long totalViolations() {
            return violations.values().stream().mapToLong(Long::longValue).sum();
        }

        public String row() {
            return String.format("| %s | %d | %d | %d | %d | %.1f%% | %d | %d | %s | %s | %s |", fault, operations, failed, ambiguous,
                    errors500, readsAnsweredInFault, lost, extra, totalViolations() == 0 ? "0" : violations.toString(),
                    convergedMillis < 0 ? "not within 30 s" : convergedMillis + " ms",
                    visibilityP99Millis < 0 ? "-" : visibilityP50Millis + " / " + visibilityP99Millis + " ms");
        }
    }

    public static final String HEADER = "| fault | operations | failed | ambiguous | 500s | reads answered during the fault "
            + "| lost updates | extra updates | checker violations | converged after the load stopped | write to event elsewhere, p50 / p99 |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|";

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[1]);
        List<String> faults = args[2].equals("all") ? FAULTS : Arrays.asList(args[2].split(","));
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        List<Result> results = run(args[0], report.getParent(), faults, seconds, System.nanoTime());
        StringBuilder table = new StringBuilder(HEADER).append('\n');
        for (Result result : results) {
            table.append(result.row()).append('\n');
            result.examples().forEach((kind, some) -> System.err.println("[checker] " + result.fault() + ": " + kind + ": " + some));
            System.err.println("[checker] " + result.fault() + ": linearizability searched over " + result.searched()
                    + " scopes, gave up on " + result.searchTimedOut());
        }
        Files.writeString(report, table);
        System.out.print(table);
        System.exit(results.stream().allMatch(r -> r.totalViolations() == 0 && r.errors500() == 0) ? 0 : 1);
    }

    /** Runs {@code faults} in turn on one private cluster of two instances; histories go to {@code out}. */
    public static List<Result> run(String jar, Path out, List<String> faults, int seconds, long seed) throws Exception {
        Files.createDirectories(out);
        List<Result> results = new ArrayList<>();
        try (Cluster cluster = new Cluster(jar, 2, out.resolve("drill-logs"))) {
            warmUp(cluster, 1, seed, 5);
            for (int i = 0; i < faults.size(); i++) {
                int incarnations = incarnations(cluster);
                results.add(drill(cluster, faults.get(i), 1000L * (i + 1), seconds, seed + i, out));
                if (incarnations(cluster) != incarnations && i + 1 < faults.size()) {
                    // a restarted instance is a cold JVM (beside a warm one, on shared cores): the next
                    // drill's healthy phase would time its JIT compiler
                    warmUp(cluster, 100_000L + 1000L * i, seed, 10);
                }
            }
        }
        return results;
    }

    /** Fresh JVMs and a fresh database answer their first requests in seconds: a workload runs, unchecked. */
    private static void warmUp(Cluster cluster, long firstUser, long seed, int seconds) throws Exception {
        Workload warmUp = new Workload(cluster, firstUser, SCOPES, PROCESSES, SUBSCRIBERS, seed);
        warmUp.start();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        warmUp.stop();
        warmUp.unsubscribe();
    }

    private static int incarnations(Cluster cluster) {
        return cluster.instances.stream().mapToInt(instance -> instance.incarnation).sum();
    }

    private static Result drill(Cluster cluster, String fault, long firstUser, int seconds, long seed, Path out) throws Exception {
        System.err.println("[drill] " + fault);
        Workload load = new Workload(cluster, firstUser, SCOPES, PROCESSES, SUBSCRIBERS, seed);
        load.start();
        Thread.sleep(2000);
        long faultStart = System.nanoTime();
        inject(cluster, load, fault, seconds, new Random(seed));
        long faultEnd = System.nanoTime();
        Thread.sleep(1000);
        load.stop();
        long converged = converge(cluster, load.users, System.nanoTime());
        Thread.sleep(1500);
        load.unsubscribe();
        Map<Long, Truth> truth = new HashMap<>();
        try (Connection db = cluster.database()) {
            for (long user : load.users) {
                truth.put(user, truth(db, user));
            }
        }
        List<Op> ops = List.copyOf(load.ops);
        List<Recorded.Event> events = List.copyOf(load.events);
        record(out.resolve("history-" + fault + ".jsonl"), ops, events);
        Checker checker = new Checker(ops, events, List.copyOf(load.connections), truth)
                .heartbeats(SILENCE_NANOS, outages(fault, faultStart, faultEnd)).check();
        long inFault = ops.stream().filter(op -> !op.kind().write() && op.invoked() >= faultStart && op.invoked() < faultEnd).count();
        long answeredInFault = ops.stream().filter(op -> !op.kind().write() && op.invoked() >= faultStart && op.invoked() < faultEnd
                && op.outcome() == Outcome.OK).count();
        return new Result(fault, ops.size(), ops.stream().filter(op -> op.outcome() == Outcome.FAIL && op.status() != 412).count(),
                ops.stream().filter(op -> op.outcome() == Outcome.INFO).count(), ops.stream().filter(op -> op.status() == 500).count(),
                inFault == 0 ? 100.0 : 100.0 * answeredInFault / inFault, checker.lost, checker.extra, checker.violations,
                checker.examples, converged, visibility(ops, events, load.connections, faultStart, 0.50),
                visibility(ops, events, load.connections, faultStart, 0.99),
                events.stream().filter(e -> e.type().equals("heartbeat")).count(),
                events.stream().filter(e -> e.type().equals("reset")).count(), checker.searched, checker.searchTimedOut);
    }

    /** The instances {@code fault} stops answering (and so sending heartbeats), while it lasts. */
    private static List<Recorded.Outage> outages(String fault, long start, long end) {
        return switch (fault) {
            case "instance-pause", "instance-kill" -> List.of(new Recorded.Outage(0, start, end));
            case "combined" -> List.of(new Recorded.Outage(1, start, end));
            default -> List.of();
        };
    }

    /** Injects {@code fault} and heals it, within about {@code seconds}. */
    private static void inject(Cluster cluster, Workload load, String fault, int seconds, Random random) throws Exception {
        long millis = TimeUnit.SECONDS.toMillis(seconds);
        long until = System.currentTimeMillis() + millis;
        Cluster.Instance first = cluster.instances.get(0);
        switch (fault) {
            case "redis-kill" -> {
                cluster.killRedis();
                Thread.sleep(millis);
                cluster.startRedis();
            }
            case "redis-pause" -> {
                cluster.signalRedis("STOP");
                Thread.sleep(millis);
                cluster.signalRedis("CONT");
            }
            case "redis-client-kill" -> {
                while (System.currentTimeMillis() < until) {
                    cluster.redis("CLIENT", "KILL", "TYPE", "normal");
                    Thread.sleep(500);
                }
            }
            case "stream-trim" -> {
                while (System.currentTimeMillis() < until) {
                    cluster.redis("XTRIM", Cluster.STREAM, "MAXLEN", "0");
                    load.hopSubscribers();
                    Thread.sleep(700);
                }
            }
            case "instance-pause" -> {
                cluster.signal(first, "STOP");
                Thread.sleep(millis);
                cluster.signal(first, "CONT");
            }
            case "instance-kill" -> {
                cluster.kill(first);
                Thread.sleep(millis);
                cluster.restart(first);
            }
            case "postgres-terminate" -> {
                while (System.currentTimeMillis() < until) {
                    cluster.terminatePostgresConnections();
                    Thread.sleep(300);
                }
            }
            case "postgres-stop" -> {
                cluster.stopPostgres();
                Thread.sleep(millis);
                cluster.startPostgres();
            }
            case "redis-latency" -> {
                cluster.redisLink.delay(100);
                Thread.sleep(millis);
                cluster.redisLink.heal();
            }
            case "postgres-latency" -> {
                cluster.postgresLink.delay(50);
                Thread.sleep(millis);
                cluster.postgresLink.heal();
            }
            case "redis-cut" -> {
                cluster.redisLink.cut();
                Thread.sleep(millis);
                cluster.redisLink.heal();
            }
            case "postgres-cut" -> {
                cluster.postgresLink.cut();
                Thread.sleep(millis);
                cluster.postgresLink.heal();
            }
            case "combined" -> combined(cluster, millis, random);
            default -> throw new IllegalArgumentException("no fault " + fault + "; faults: " + FAULTS);
        }
    }

    /**
     * Faults one after another, each staying on (latency to Redis, a paused instance, Postgres's
     * connections cut, Redis's connections killed), then healed in a random order, as
     * FoundationDB's swizzle-clogging does.
     */
    private static void combined(Cluster cluster, long millis, Random random) throws Exception {
        Cluster.Instance second = cluster.instances.get(1);
        List<ThrowingRunnable> heals = new ArrayList<>();
        cluster.redisLink.delay(80);
        heals.add(() -> cluster.redisLink.heal());
        Thread.sleep(millis / 4);
        cluster.signal(second, "STOP");
        heals.add(() -> cluster.signal(second, "CONT"));
        Thread.sleep(millis / 4);
        cluster.postgresLink.cut();
        heals.add(() -> cluster.postgresLink.heal());
        Thread.sleep(millis / 4);
        cluster.redis("CLIENT", "KILL", "TYPE", "normal");
        Thread.sleep(millis / 4);
        Collections.shuffle(heals, random);
        for (ThrowingRunnable heal : heals) {
            heal.run();
            Thread.sleep(millis / 6);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Milliseconds from {@code since} until every instance serves Postgres's version of every scope and the outbox is empty. */
    private static long converge(Cluster cluster, List<Long> users, long since) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (converged(cluster, users)) {
                return (System.nanoTime() - since) / 1_000_000;
            }
            Thread.sleep(50);
        }
        return -1;
    }

    private static boolean converged(Cluster cluster, List<Long> users) {
        try (Connection db = cluster.database()) {
            try (ResultSet rows = db.createStatement().executeQuery("SELECT count(*) FROM option_outbox")) {
                rows.next();
                if (rows.getLong(1) > 0) {
                    return false;
                }
            }
            for (long user : users) {
                long stored = version(db, user);
                for (Cluster.Instance instance : cluster.instances) {
                    HttpResponse<String> read = Cluster.HTTP.send(HttpRequest.newBuilder(instance.base.resolve("/v1/users/" + user
                            + "/options")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
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

    private static long version(Connection db, long user) throws Exception {
        try (PreparedStatement query = db.prepareStatement(
                "SELECT coalesce((SELECT version FROM option_scopes WHERE scope_key = ?), 0)")) {
            query.setString(1, "user_options:" + user + ":user");
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static Truth truth(Connection db, long user) throws Exception {
        Map<Long, List<Change>> history = new HashMap<>();
        try (PreparedStatement query = db.prepareStatement(
                "SELECT version, changes::text FROM option_history WHERE scope_key = ? ORDER BY version")) {
            query.setString(1, "user_options:" + user + ":user");
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    List<Change> changes = new ArrayList<>();
                    for (JsonNode change : JSON.readTree(rows.getString(2))) {
                        changes.add(new Change(change.get("key").asText(), change.get("new")));
                    }
                    history.put(rows.getLong(1), changes);
                }
            }
        }
        return new Truth(version(db, user), history);
    }

    /**
     * Milliseconds from a write's answer until a subscriber of another instance, connected before
     * the answer, heard its event: the {@code quantile} over the writes answered before the fault.
     */
    private static long visibility(List<Op> ops, List<Recorded.Event> events, Collection<Recorded.Connection> connections,
            long healthyUntil, double quantile) {
        Map<String, Long> opened = new HashMap<>();
        connections.forEach(c -> opened.put(c.subscriber() + "/" + c.connection(), c.opened()));
        Map<String, List<Recorded.Event>> heard = new HashMap<>();
        for (Recorded.Event event : events) {
            if (event.type().equals("option-change")) {
                heard.computeIfAbsent(event.user() + "/" + event.version(), k -> new ArrayList<>()).add(event);
            }
        }
        List<Long> lags = new ArrayList<>();
        for (Op op : ops) {
            if (op.kind().write() && op.outcome() == Outcome.OK && op.completed() < healthyUntil) {
                heard.getOrDefault(op.user() + "/" + op.version(), List.of()).stream()
                        .filter(e -> e.instance() != op.instance()
                                && opened.getOrDefault(e.subscriber() + "/" + e.connection(), Long.MAX_VALUE) < op.completed())
                        .mapToLong(e -> Math.max(0, e.received() - op.completed())).min().ifPresent(lags::add);
            }
        }
        if (lags.isEmpty()) {
            return -1;
        }
        Collections.sort(lags);
        return TimeUnit.NANOSECONDS.toMillis(lags.get((int) Math.min(lags.size() - 1, Math.ceil(lags.size() * quantile) - 1)));
    }

    private static void record(Path file, List<Op> ops, List<Recorded.Event> events) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (Op op : ops) {
            lines.append(JSON.writeValueAsString(op)).append('\n');
        }
        for (Recorded.Event event : events) {
            lines.append(JSON.writeValueAsString(event)).append('\n');
        }
        Files.writeString(file, lines);
    }
}
