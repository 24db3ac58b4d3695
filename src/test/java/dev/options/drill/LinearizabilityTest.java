package dev.options.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.drill.Linearizability.Verdict;
import dev.options.drill.Recorded.Kind;
import dev.options.drill.Recorded.Op;
import dev.options.drill.Recorded.Outcome;

class LinearizabilityTest {

    private static ObjectNode document(String b) {
        ObjectNode options = JsonNodeFactory.instance.objectNode();
        if (b != null) {
            options.put("b", b);
        }
        return options;
    }

    /** A blind write of b, answered at {@code version} (for OK). */
    private static Op write(long invoked, long completed, Outcome outcome, long version, String b) {
        return new Op(1, 0, 0, Kind.BLIND, 7, invoked, completed, outcome, outcome == Outcome.OK ? 200 : 0, version,
                outcome == Outcome.OK ? document(b) : null, "b", TextNode.valueOf(b), -1);
    }

    private static Op cas(long invoked, long completed, long version, String b, long ifMatch) {
        return new Op(1, 0, 0, Kind.CAS, 7, invoked, completed, Outcome.OK, 200, version, document(b), "b", TextNode.valueOf(b),
                ifMatch);
    }

    private static Op read(long invoked, long completed, long version, String b) {
        return new Op(2, 1, 0, Kind.STRONG_READ, 7, invoked, completed, Outcome.OK, 200, version, document(b), null, null, -1);
    }

    private static Verdict check(Op... ops) {
        return Linearizability.check(List.of(ops), 10_000);
    }

    @Test
    void sequentialWritesAndReadsOfTheirVersionsAreLinearizable() {
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), read(20, 30, 1, "x"), cas(40, 50, 2, "y", 1), read(60, 70, 2, "y")))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aStrongReadOlderThanAWriteThatCompletedBeforeItBeganIsNot() {
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), write(20, 30, Outcome.OK, 2, "y"), read(40, 50, 1, "x")))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // overlapping the second write, it may have come first
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), write(20, 45, Outcome.OK, 2, "y"), read(40, 50, 1, "x")))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void concurrentWritesMayTakeEffectInTheOrderTheirVersionsSay() {
        // the later invoked one answered first, at the lower version
        assertThat(check(write(0, 100, Outcome.OK, 2, "x"), write(10, 50, Outcome.OK, 1, "y"), read(110, 120, 2, "x")))
                .isEqualTo(Verdict.LINEARIZABLE);
        // but not with the document of the other order
        assertThat(check(write(0, 100, Outcome.OK, 2, "x"), write(10, 50, Outcome.OK, 1, "y"), read(110, 120, 2, "y")))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void twoWritesAnsweredOneVersionOrAConditionalWriteAtAnotherAreNot() {
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), write(20, 30, Outcome.OK, 1, "y")))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), write(20, 30, Outcome.OK, 2, "y"), cas(40, 50, 3, "z", 1)))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void anAmbiguousWriteMayHaveTakenEffectLaterOrNever() {
        // never: the read sees only the first write
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), write(20, 30, Outcome.INFO, 0, "lost?"), read(40, 50, 1, "x")))
                .isEqualTo(Verdict.LINEARIZABLE);
        // long after its timeout: a read sees it
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), write(20, 30, Outcome.INFO, 0, "late"), read(40, 50, 1, "x"),
                read(60, 70, 2, "late"))).isEqualTo(Verdict.LINEARIZABLE);
        // not before it was invoked
        assertThat(check(write(0, 10, Outcome.OK, 1, "x"), read(20, 30, 2, "early"), write(40, 50, Outcome.INFO, 0, "early")))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void manyAmbiguousWritesAreSearchedInTime() {
        // Postgres away: hundreds of writes time out, a few of them made, between answered ones
        List<Op> ops = new ArrayList<>();
        long version = 0;
        for (int round = 0; round < 30; round++) {
            long at = round * 1000L;
            ops.add(write(at, at + 10, Outcome.OK, ++version, "ok" + round));
            for (int i = 0; i < 20; i++) {
                ops.add(write(at + 20 + i, at + 900, Outcome.INFO, 0, "r" + round + "i" + i));
            }
            if (round % 3 == 0) {
                // one of the ambiguous ones was made: the next answer is a version later
                version++;
                ops.add(read(at + 950, at + 960, version, "r" + round + "i7"));
            }
        }
        assertThat(Linearizability.check(ops, 10_000)).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aLongContendedHistoryIsSearchedInTime() {
        // 8 writers at once, each answered in the other order, then reads: every order must be tried
        List<Op> ops = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            long at = round * 1000L;
            for (int i = 0; i < 8; i++) {
                ops.add(write(at + i, at + 500, Outcome.OK, round * 8L + 8 - i, "r" + round + "w" + i));
            }
            ops.add(read(at + 600, at + 700, round * 8L + 8, "r" + round + "w0"));
        }
        assertThat(Linearizability.check(ops, 10_000)).isEqualTo(Verdict.LINEARIZABLE);
    }
}
