package dev.options.drill;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.drill.Recorded.Change;
import dev.options.drill.Recorded.Connection;
import dev.options.drill.Recorded.Event;
import dev.options.drill.Recorded.Kind;
import dev.options.drill.Recorded.Op;
import dev.options.drill.Recorded.Outage;
import dev.options.drill.Recorded.Outcome;
import dev.options.drill.Recorded.Truth;

/**
 * Checks a recorded history against Postgres, per scope, in linear-ish time (versions make the
 * order visible, as in Elle):
 * <ul>
 * <li>the scope's history is the version chain 1..n with no gap; every version is exactly one
 * invocation's write (ambiguous ones settled by their unique values), an acknowledged write is in
 * it at the version it was told (lost otherwise), a failed one is not (extra otherwise), a
 * conditional one right after its If-Match, and it answered its own version's document;</li>
 * <li>a read of version v answers the document v made;</li>
 * <li>real time: a strong read or a write invoked after another completed is not older;</li>
 * <li>per instance (its session): no read older than a version it answered or wrote before the read
 * began (read-your-writes, monotonic reads), and no cached read older than an invalidation it had
 * delivered to a subscriber before;</li>
 * <li>the change feed, per subscriber across its resumes (etcd's watch validators, Postgres as the
 * truth): ordered, unique, no gap unless a reset said so, every changed key in its event, and every
 * version heard by the end;</li>
 * <li>each scope's strong operations linearizable, by a search over the history alone
 * ({@link Linearizability}, capped at {@link #SEARCH_MILLIS} per scope), a cross-check of the rules
 * above;</li>
 * <li>heartbeats, when asked for ({@link #heartbeats}): no open stream silent longer than the
 * heartbeat allows, unless its instance was down meanwhile.</li>
 * </ul>
 */
final class Checker {

    /** Events of a connection heard this soon after it opened may be its catch-up, not the instance's own tail. */
    private static final long CATCH_UP_NANOS = 500_000_000L;
    /** The keys the workload writes. */
    static final List<String> KEYS = List.of("w", "n", "b");
    /** How long the linearizability search may take per scope before it gives up (as Elasticsearch caps it). */
    static final long SEARCH_MILLIS = 10_000;

    final Map<String, Long> violations = new TreeMap<>();
    final Map<String, List<String>> examples = new TreeMap<>();
    long lost;
    long extra;
    long settledMade;
    long settledNotMade;
    /** Scopes whose linearizability search ran, and those it gave up on. */
    long searched;
    long searchTimedOut;

    private final List<Op> ops;
    private final List<Event> events;
    private final Map<String, Connection> connections = new HashMap<>();
    private final Map<Long, Truth> truth;
    /** Per scope, the options (our keys, as JSON text) at each version; index 0 is the empty scope. */
    private final Map<Long, List<Map<String, String>>> documents = new HashMap<>();
    private final Map<Op, Long> madeAt = new HashMap<>();
    private long silenceNanos;
    private List<Outage> outages = List.of();

    Checker(List<Op> ops, List<Event> events, List<Connection> connections, Map<Long, Truth> truth) {
        this.ops = ops;
        this.events = events;
        for (Connection connection : connections) {
            this.connections.put(connection.subscriber() + "/" + connection.connection(), connection);
        }
        this.truth = truth;
    }

    /**
     * Also checks that every stream, from its opening to its end, heard something (an event or a
     * heartbeat) at least every {@code silenceNanos}, except across the {@code outages} of its instance.
     */
    Checker heartbeats(long silenceNanos, List<Outage> outages) {
        this.silenceNanos = silenceNanos;
        this.outages = outages;
        return this;
    }

    Checker check() {
        for (Map.Entry<Long, Truth> scope : truth.entrySet()) {
            chain(scope.getKey(), scope.getValue());
        }
        reads();
        realTime();
        sessions();
        invalidations();
        feed();
        linearizable();
        if (silenceNanos > 0) {
            silences();
        }
        return this;
    }

    long total() {
        return violations.values().stream().mapToLong(Long::longValue).sum();
    }

    private void violation(String kind, String detail) {
        violations.merge(kind, 1L, Long::sum);
        List<String> some = examples.computeIfAbsent(kind, k -> new ArrayList<>());
        if (some.size() < 3) {
            some.add(detail);
        }
    }

    // ---- the version chain

    private void chain(long user, Truth scope) {
        Map<String, Op> byValue = new HashMap<>();
        Map<String, List<Op>> increments = new HashMap<>();
        for (Op op : ops) {
            if (op.user() != user || !op.kind().write()) {
                continue;
            }
            if (op.kind() == Kind.INCREMENT) {
                increments.computeIfAbsent(op.ifMatch() + "/" + op.value(), k -> new ArrayList<>()).add(op);
            } else {
                byValue.put(op.key() + "/" + op.value(), op);
            }
        }
        List<Map<String, String>> states = new ArrayList<>();
        Map<String, String> state = new HashMap<>();
        states.add(Map.copyOf(state));
        long newest = scope.history().keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        if (newest != scope.version()) {
            violation("scope version is not its newest history entry", "user " + user + ": version " + scope.version()
                    + ", history to " + newest);
        }
        for (long v = 1; v <= newest; v++) {
            List<Change> changes = scope.history().get(v);
            if (changes == null) {
                violation("gap in the version chain", "user " + user + " has no version " + v + " of " + newest);
                states.add(null);
                state = null;
                continue;
            }
            if (changes.size() != 1 || changes.get(0).newValue() == null) {
                violation("a version that is not one request's write", "user " + user + " v" + v + ": " + changes);
            }
            for (Change change : changes) {
                if (state != null) {
                    if (change.newValue() == null) {
                        state.remove(change.key());
                    } else {
                        state.put(change.key(), change.newValue().toString());
                    }
                }
                settle(user, v, change, byValue, increments);
            }
            states.add(state == null ? null : Map.copyOf(state));
        }
        documents.put(user, states);
        for (Op op : ops) {
            if (op.user() != user || !op.kind().write()) {
                continue;
            }
            Long at = madeAt.get(op);
            if (op.outcome() == Outcome.OK && at == null) {
                lost++;
                violation("lost update (acknowledged, not in Postgres)", describe(op));
            } else if (op.outcome() == Outcome.INFO) {
                if (at == null) {
                    settledNotMade++;
                } else {
                    settledMade++;
                }
            }
            if (op.outcome() == Outcome.OK && at != null && !sameOptions(op.options(), document(user, at))) {
                violation("a write answered a document other than its version's", describe(op));
            }
        }
    }

    private void settle(long user, long v, Change change, Map<String, Op> byValue, Map<String, List<Op>> increments) {
        Op op = null;
        if (change.newValue() != null) {
            if ("n".equals(change.key())) {
                // clients that read the same version send the same increment: the one answered at v made
                // it, else an ambiguous one; only if every candidate was told it failed is it extra
                List<Op> candidates = increments.getOrDefault((v - 1) + "/" + change.newValue(), List.of());
                op = candidates.stream().filter(c -> c.outcome() == Outcome.OK && c.version() == v).findFirst()
                        .or(() -> candidates.stream().filter(c -> c.outcome() == Outcome.INFO && !madeAt.containsKey(c)).findFirst())
                        .orElse(candidates.stream().filter(c -> c.outcome() == Outcome.FAIL).findFirst().orElse(null));
            } else {
                op = byValue.get(change.key() + "/" + change.newValue());
            }
        }
        if (op == null) {
            extra++;
            violation("a version no request wrote", "user " + user + " v" + v + ": " + change);
            return;
        }
        if (madeAt.putIfAbsent(op, v) != null) {
            violation("one request applied twice", describe(op) + " again at v" + v);
            return;
        }
        if (op.outcome() == Outcome.FAIL) {
            extra++;
            violation("extra update (applied, the client was told it failed)", describe(op) + " made v" + v);
        } else if (op.outcome() == Outcome.OK && op.version() != v) {
            violation("acknowledged at another version than Postgres holds", describe(op) + ", Postgres v" + v);
        }
        if (op.ifMatch() >= 0 && v != op.ifMatch() + 1) {
            violation("a conditional write made at a version other than If-Match + 1", describe(op) + " made v" + v);
        }
    }

    private Map<String, String> document(long user, long version) {
        List<Map<String, String>> states = documents.get(user);
        return states == null || version < 0 || version >= states.size() ? null : states.get((int) version);
    }

    /** Whether an answered document holds {@code expected}'s values of the workload's keys (JSON text, absent as null). */
    static boolean sameOptions(JsonNode options, Map<String, String> expected) {
        if (expected == null || options == null) {
            return expected == null;
        }
        for (String key : KEYS) {
            JsonNode value = options.get(key);
            String answered = value == null ? null : value.toString();
            if (!java.util.Objects.equals(answered, expected.get(key))) {
                return false;
            }
        }
        return true;
    }

    // ---- reads

    private void reads() {
        for (Op op : ops) {
            if (op.kind().write() || op.outcome() != Outcome.OK) {
                continue;
            }
            List<Map<String, String>> states = documents.get(op.user());
            if (states == null || op.version() >= states.size()) {
                violation("a read of a version never committed", describe(op));
            } else if (states.get((int) op.version()) != null && !sameOptions(op.options(), states.get((int) op.version()))) {
                violation("a read answered a document other than its version's", describe(op));
            }
        }
    }

    // ---- orders

    /** A strong read or write invoked after another completed answers no older version (a write a newer one). */
    private void realTime() {
        Map<Long, List<Op>> strong = new HashMap<>();
        for (Op op : ops) {
            boolean made = op.kind().write() && (op.outcome() == Outcome.OK || madeAt.containsKey(op));
            if (made || (op.kind() == Kind.STRONG_READ && op.outcome() == Outcome.OK)) {
                strong.computeIfAbsent(op.user(), k -> new ArrayList<>()).add(op);
            }
        }
        for (List<Op> scope : strong.values()) {
            sweep(scope, op -> op.outcome() == Outcome.OK, (earlier, later) -> {
                long version = versionOf(later);
                boolean older = later.kind().write() ? version <= versionOf(earlier) : version < versionOf(earlier);
                if (older) {
                    violation("real-time order (strong reads and writes)", describe(later) + " after " + describe(earlier));
                }
            });
        }
    }

    /** Per instance: no read older than what the instance answered or wrote before the read began. */
    private void sessions() {
        Map<String, List<Op>> sessions = ops.stream().filter(op -> op.outcome() == Outcome.OK)
                .collect(Collectors.groupingBy(op -> op.instance() + "/" + op.incarnation() + "/" + op.user()));
        for (List<Op> session : sessions.values()) {
            sweepBy(session, op -> op.kind().write(), "read-your-writes (per instance)");
            sweepBy(session, op -> !op.kind().write(), "monotonic reads (per instance)");
        }
    }

    private void sweepBy(List<Op> session, java.util.function.Predicate<Op> earlierKind, String kind) {
        sweep(session, earlierKind, (earlier, later) -> {
            if (!later.kind().write() && later.version() < earlier.version()) {
                violation(kind, describe(later) + " after " + describe(earlier));
            }
        });
    }

    /**
     * For each op in invocation order, the newest-versioned op among those (matching
     * {@code earlierKind}) that completed before it was invoked, if any, handed to {@code check}.
     */
    private void sweep(List<Op> scope, java.util.function.Predicate<Op> earlierKind, java.util.function.BiConsumer<Op, Op> check) {
        List<Op> byCompletion = scope.stream().filter(earlierKind).filter(op -> op.outcome() == Outcome.OK)
                .sorted(Comparator.comparingLong(Op::completed)).toList();
        List<Op> byInvocation = scope.stream().sorted(Comparator.comparingLong(Op::invoked)).toList();
        int next = 0;
        Op newest = null;
        for (Op later : byInvocation) {
            while (next < byCompletion.size() && byCompletion.get(next).completed() < later.invoked()) {
                Op done = byCompletion.get(next++);
                if (newest == null || versionOf(done) > versionOf(newest)) {
                    newest = done;
                }
            }
            if (newest != null) {
                check.accept(newest, later);
            }
        }
    }

    private long versionOf(Op op) {
        return op.outcome() == Outcome.OK ? op.version() : madeAt.getOrDefault(op, -1L);
    }

    /** No cached read on an instance older than an event that instance had delivered before the read began. */
    private void invalidations() {
        Map<String, List<Event>> delivered = new HashMap<>();
        for (Event event : events) {
            Connection opened = connections.get(event.subscriber() + "/" + event.connection());
            if ("option-change".equals(event.type()) && opened != null && event.received() - opened.opened() > CATCH_UP_NANOS) {
                delivered.computeIfAbsent(event.instance() + "/" + event.incarnation() + "/" + event.user(), k -> new ArrayList<>())
                        .add(event);
            }
        }
        Map<String, List<Op>> reads = ops.stream().filter(op -> op.kind() == Kind.READ && op.outcome() == Outcome.OK)
                .collect(Collectors.groupingBy(op -> op.instance() + "/" + op.incarnation() + "/" + op.user()));
        for (Map.Entry<String, List<Op>> session : reads.entrySet()) {
            List<Event> heard = delivered.getOrDefault(session.getKey(), List.of()).stream()
                    .sorted(Comparator.comparingLong(Event::received)).toList();
            int next = 0;
            Event newest = null;
            for (Op read : session.getValue().stream().sorted(Comparator.comparingLong(Op::invoked)).toList()) {
                while (next < heard.size() && heard.get(next).received() < read.invoked()) {
                    Event event = heard.get(next++);
                    if (newest == null || event.version() > newest.version()) {
                        newest = event;
                    }
                }
                if (newest != null && read.version() < newest.version()) {
                    violation("a cached read older than an invalidation its instance had delivered",
                            describe(read) + " after the event of v" + newest.version());
                }
            }
        }
    }

    private void linearizable() {
        Map<Long, List<Op>> byScope = ops.stream().filter(op -> truth.containsKey(op.user())).collect(Collectors.groupingBy(Op::user));
        for (Map.Entry<Long, List<Op>> scope : byScope.entrySet()) {
            searched++;
            switch (Linearizability.check(scope.getValue(), SEARCH_MILLIS)) {
                case NOT_LINEARIZABLE -> violation("not linearizable (a search over the history alone)", "user " + scope.getKey());
                case TIMED_OUT -> searchTimedOut++;
                case LINEARIZABLE -> {
                }
            }
        }
    }

    // ---- the change feed

    private void feed() {
        Map<Integer, List<Event>> bySubscriber = events.stream().collect(Collectors.groupingBy(Event::subscriber));
        Map<Long, Long> firstWritten = new HashMap<>();
        madeAt.forEach((op, version) -> {
            if (version == 1) {
                firstWritten.put(op.user(), op.invoked());
            }
        });
        for (Map.Entry<Integer, List<Event>> subscriber : bySubscriber.entrySet()) {
            Map<Long, Long> last = new HashMap<>();
            // live (it heard something) before a scope's first write began: it hears that scope from v1
            long live = subscriber.getValue().stream().filter(event -> event.connection() == 0)
                    .mapToLong(Event::received).min().orElse(Long.MAX_VALUE);
            firstWritten.forEach((user, invoked) -> {
                if (live < invoked) {
                    last.put(user, 0L);
                }
            });
            Set<String> firstOfConnection = new HashSet<>();
            for (Event event : subscriber.getValue()) {
                if ("reset".equals(event.type())) {
                    last.replaceAll((user, version) -> -1L);
                    continue;
                }
                if (!"option-change".equals(event.type()) || !truth.containsKey(event.user())) {
                    continue;
                }
                boolean resumed = firstOfConnection.add(event.connection() + "/" + event.user())
                        && connections.get(event.subscriber() + "/" + event.connection()) != null
                        && connections.get(event.subscriber() + "/" + event.connection()).resumedFrom() != null;
                List<Change> changes = truth.get(event.user()).history().get(event.version());
                if (changes == null) {
                    violation("feed: an event of a version never committed", event.toString());
                } else if (!changes.stream().map(Change::key).collect(Collectors.toSet()).equals(new HashSet<>(event.keys()))) {
                    violation("feed: an event without exactly its change's keys", event + " vs " + changes);
                }
                long previous = last.getOrDefault(event.user(), -1L);
                if (previous >= 0) {
                    if (event.version() == previous) {
                        violation("feed: an event twice (unique)", event.toString());
                    } else if (event.version() < previous) {
                        violation("feed: an event after a later one (ordered)", event + " after v" + previous);
                    } else if (event.version() > previous + 1) {
                        violation(resumed ? "feed: a resume that skipped events (resumable)" : "feed: a gap (reliable)",
                                event + " after v" + previous);
                    }
                }
                last.put(event.user(), Math.max(previous, event.version()));
            }
            for (Map.Entry<Long, Truth> scope : truth.entrySet()) {
                long heard = last.getOrDefault(scope.getKey(), 0L);
                if (heard >= 0 && heard < scope.getValue().version()) {
                    violation("feed: versions never heard by the end", "subscriber " + subscriber.getKey() + " user "
                            + scope.getKey() + ": heard to v" + heard + " of v" + scope.getValue().version());
                }
            }
        }
    }

    private void silences() {
        Map<String, List<Event>> byConnection = events.stream()
                .collect(Collectors.groupingBy(event -> event.subscriber() + "/" + event.connection()));
        for (Map.Entry<String, List<Event>> stream : byConnection.entrySet()) {
            List<Event> heard = stream.getValue().stream().sorted(Comparator.comparingLong(Event::received)).toList();
            Connection connection = connections.get(stream.getKey());
            long since = connection != null ? connection.opened() : heard.get(0).received();
            int instance = heard.get(0).instance();
            for (Event event : heard) {
                long start = since;
                boolean excused = outages.stream().anyMatch(o -> o.instance() == instance && o.overlaps(start, event.received()));
                if (event.received() - since > silenceNanos && !excused) {
                    violation("feed: a stream silent longer than the heartbeat allows", "subscriber " + stream.getKey()
                            + " on instance " + instance + ": " + (event.received() - since) / 1_000_000 + " ms before its "
                            + event.type());
                }
                since = event.received();
            }
        }
    }

    private static String describe(Op op) {
        return op.kind() + " on instance " + op.instance() + "." + op.incarnation() + " user " + op.user()
                + (op.key() == null ? "" : " " + op.key() + "=" + op.value() + (op.ifMatch() >= 0 ? " If-Match " + op.ifMatch() : ""))
                + " -> " + op.outcome() + (op.outcome() == Outcome.OK ? " v" + op.version() : " " + op.status());
    }
}
