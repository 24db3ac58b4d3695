package dev.options.drill;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.options.drill.Recorded.Kind;
import dev.options.drill.Recorded.Op;
import dev.options.drill.Recorded.Outcome;

/**
 * A linearizability check of one scope's strong operations (no-cache reads and writes) that uses
 * nothing but the history itself, as a cross-check of {@link Checker}'s version-order rules, which
 * lean on Postgres's history: the Wing and Gong search with Lowe's memoization, as Porcupine and
 * Knossos run it, over a model of the scope (its version and the values of the workload's keys).
 *
 * <p>An answered operation took effect at one instant between its invocation and its answer; an
 * ambiguous one ({@link Outcome#INFO}: a timeout, a 5xx) at one instant after its invocation, or
 * never; a failed one never, and is left out. The model: a no-cache read answers the version and the
 * document the scope is at; a write with {@code If-Match} applies only at that version; every write
 * makes the next version, and answers it with its document.
 *
 * <p>Two prunings keep histories with hundreds of ambiguous writes (Postgres away) searchable, both
 * without losing a linearization: an ambiguous write takes only a version no answered write was
 * given; and ambiguous writes whose values no answer ever showed, of one key and one {@code If-Match},
 * are alike (the model keeps their value as {@link #UNSEEN}), so the search tries only the earliest
 * invoked of those not yet placed.
 */
final class Linearizability {

    /** What a search found: linearizable or not, or it gave up after its time. */
    enum Verdict {
        LINEARIZABLE, NOT_LINEARIZABLE, TIMED_OUT
    }

    /** The value of a key last written by an ambiguous write whose value no answer showed. */
    private static final String UNSEEN = "<unseen>";

    private Linearizability() {
    }

    /** The scope's state in the model: its version and the values (JSON text) of the workload's keys. */
    private record State(long version, Map<String, String> values) {

        /**
         * The state after {@code op}, or null when the model does not allow it here. An ambiguous
         * write may only take a version no answered write was given: taking one, it would leave that
         * write no place (versions only go up), so the search need not try it.
         */
        State apply(Op op, Set<Long> answered, boolean unseen) {
            if (op.kind() == Kind.STRONG_READ) {
                return op.version() == version && Checker.sameOptions(op.options(), values) ? this : null;
            }
            if (op.ifMatch() >= 0 && op.ifMatch() != version) {
                return null;
            }
            if (op.outcome() != Outcome.OK && answered.contains(version + 1)) {
                return null;
            }
            Map<String, String> after = new HashMap<>(values);
            after.put(op.key(), unseen ? UNSEEN : op.value().toString());
            if (op.outcome() == Outcome.OK && (op.version() != version + 1 || !Checker.sameOptions(op.options(), after))) {
                return null;
            }
            return new State(version + 1, Map.copyOf(after));
        }
    }

    /** A call or a return in the history's doubly linked list. */
    private static final class Entry {
        final int op;
        final boolean call;
        final long time;
        Entry match;
        Entry previous;
        Entry next;

        Entry(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    /**
     * Whether the strong operations of one scope ({@code ops}, the scope's only) are linearizable
     * from the empty scope at version 0; gives up after {@code millis}.
     */
    static Verdict check(List<Op> ops, long millis) {
        // a read without an answer says nothing
        List<Op> strong = ops.stream()
                .filter(op -> op.outcome() == Outcome.OK ? op.kind().write() || op.kind() == Kind.STRONG_READ
                        : op.outcome() == Outcome.INFO && op.kind().write())
                .toList();
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < strong.size(); i++) {
            Op op = strong.get(i);
            Entry call = new Entry(i, true, op.invoked());
            // an ambiguous operation may take effect at any time after its call: it returns at the end
            Entry answer = new Entry(i, false, op.outcome() == Outcome.OK ? op.completed() : Long.MAX_VALUE);
            call.match = answer;
            answer.match = call;
            entries.add(call);
            entries.add(answer);
        }
        // calls before returns at one instant: operations that touch in time may overlap
        entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
        Entry head = new Entry(-1, false, Long.MIN_VALUE);
        Entry tail = head;
        for (Entry entry : entries) {
            tail.next = entry;
            entry.previous = tail;
            tail = entry;
        }
        return search(strong, head, System.nanoTime() + millis * 1_000_000L);
    }

    private static Verdict search(List<Op> ops, Entry head, long deadline) {
        Set<Long> answered = new HashSet<>();
        ops.stream().filter(op -> op.outcome() == Outcome.OK && op.kind().write()).forEach(op -> answered.add(op.version()));
        Set<String> shown = new HashSet<>();
        for (Op op : ops) {
            if (op.outcome() == Outcome.OK && op.options() != null) {
                Checker.KEYS.forEach(key -> shown.add(key + "=" + op.options().get(key)));
            }
        }
        // per ambiguous write whose value no answer showed: the one of its kind invoked before it, or -1
        boolean[] unseen = new boolean[ops.size()];
        int[] alikeBefore = new int[ops.size()];
        Map<String, Integer> lastAlike = new HashMap<>();
        List<Integer> byInvocation = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            byInvocation.add(i);
        }
        byInvocation.sort(Comparator.comparingLong(i -> ops.get(i).invoked()));
        for (int i : byInvocation) {
            Op op = ops.get(i);
            alikeBefore[i] = -1;
            unseen[i] = op.outcome() == Outcome.INFO && op.kind() != Kind.INCREMENT && !shown.contains(op.key() + "=" + op.value());
            if (unseen[i]) {
                String alike = op.kind() + "/" + op.key() + "/" + op.ifMatch();
                alikeBefore[i] = lastAlike.getOrDefault(alike, -1);
                lastAlike.put(alike, i);
            }
        }
        State state = new State(0, Map.of());
        BitSet linearized = new BitSet(ops.size());
        Set<Object> seen = new HashSet<>();
        List<Entry> calls = new ArrayList<>();
        List<State> before = new ArrayList<>();
        Entry entry = head.next;
        long steps = 0;
        while (true) {
            if (entry == null || (!entry.call && ops.get(entry.op).outcome() != Outcome.OK)) {
                // nothing left but ambiguous operations, which need not have taken effect
                return Verdict.LINEARIZABLE;
            }
            if (++steps % 4096 == 0 && System.nanoTime() > deadline) {
                return Verdict.TIMED_OUT;
            }
            if (entry.call && alikeBefore[entry.op] >= 0 && !linearized.get(alikeBefore[entry.op])) {
                // an alike write invoked earlier is still to be placed: placing this one instead finds nothing new
                entry = entry.next;
            } else if (entry.call) {
                State after = state.apply(ops.get(entry.op), answered, unseen[entry.op]);
                boolean fresh = false;
                if (after != null) {
                    linearized.set(entry.op);
                    fresh = seen.add(List.of(linearized.clone(), after));
                    if (!fresh) {
                        linearized.clear(entry.op);
                    }
                }
                if (fresh) {
                    calls.add(entry);
                    before.add(state);
                    state = after;
                    lift(entry);
                    entry = head.next;
                } else {
                    entry = entry.next;
                }
            } else {
                // an answered operation's return with its call not linearized: undo the last choice
                if (calls.isEmpty()) {
                    return Verdict.NOT_LINEARIZABLE;
                }
                Entry call = calls.remove(calls.size() - 1);
                state = before.remove(before.size() - 1);
                linearized.clear(call.op);
                unlift(call);
                entry = call.next;
            }
        }
    }

    /** Takes a call and its return out of the list. */
    private static void lift(Entry call) {
        call.previous.next = call.next;
        if (call.next != null) {
            call.next.previous = call.previous;
        }
        Entry answer = call.match;
        answer.previous.next = answer.next;
        if (answer.next != null) {
            answer.next.previous = answer.previous;
        }
    }

    /** Puts them back, the return first (the reverse of {@link #lift}). */
    private static void unlift(Entry call) {
        Entry answer = call.match;
        answer.previous.next = answer;
        if (answer.next != null) {
            answer.next.previous = answer;
        }
        call.previous.next = call;
        if (call.next != null) {
            call.next.previous = call;
        }
    }
}
