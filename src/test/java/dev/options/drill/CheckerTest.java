package dev.options.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.drill.Recorded.Change;
import dev.options.drill.Recorded.Connection;
import dev.options.drill.Recorded.Event;
import dev.options.drill.Recorded.Kind;
import dev.options.drill.Recorded.Op;
import dev.options.drill.Recorded.Outage;
import dev.options.drill.Recorded.Outcome;
import dev.options.drill.Recorded.Truth;

/** The drills' checker finds each kind of violation it names, and none in a history without them. */
class CheckerTest {

    private static final long USER = 7;

    private static ObjectNode options(String w) {
        ObjectNode options = JsonNodeFactory.instance.objectNode();
        if (w != null) {
            options.put("w", w);
        }
        return options;
    }

    private static Op write(int process, long invoked, long completed, Outcome outcome, long version, String value, long ifMatch) {
        return new Op(process, 0, 0, Kind.CAS, USER, invoked, completed, outcome, outcome == Outcome.OK ? 200 : 0, version,
                outcome == Outcome.OK ? options(value) : null, "w", TextNode.valueOf(value), ifMatch);
    }

    private static Op read(int instance, Kind kind, long invoked, long completed, long version, String w) {
        return new Op(9, instance, 0, kind, USER, invoked, completed, Outcome.OK, 200, version, options(w), null, null, -1);
    }

    /** Postgres holding versions 1..n, version v having set w to "v{v}". */
    private static Map<Long, Truth> chain(long... versions) {
        Map<Long, List<Change>> history = new java.util.HashMap<>();
        long newest = 0;
        for (long v : versions) {
            history.put(v, List.of(new Change("w", TextNode.valueOf("v" + v))));
            newest = Math.max(newest, v);
        }
        return Map.of(USER, new Truth(newest, history));
    }

    private static Map<String, Long> check(List<Op> ops, Map<Long, Truth> truth) {
        return new Checker(ops, List.of(), List.of(), truth).check().violations;
    }

    private static List<Op> healthy() {
        List<Op> ops = new ArrayList<>();
        ops.add(write(1, 0, 10, Outcome.OK, 1, "v1", 0));
        ops.add(write(2, 20, 30, Outcome.OK, 2, "v2", 1));
        ops.add(read(0, Kind.STRONG_READ, 40, 50, 2, "v2"));
        ops.add(read(1, Kind.READ, 60, 70, 2, "v2"));
        return ops;
    }

    @Test
    void aHistoryWithoutViolationsHasNone() {
        assertThat(check(healthy(), chain(1, 2))).isEmpty();
    }

    @Test
    void anAcknowledgedWriteMissingFromPostgresIsALostUpdate() {
        Checker checker = new Checker(healthy(), List.of(), List.of(), chain(1)).check();
        assertThat(checker.lost).isEqualTo(1);
        assertThat(checker.violations).containsKey("lost update (acknowledged, not in Postgres)");
    }

    @Test
    void aWriteToldItFailedButInPostgresIsAnExtraUpdate() {
        List<Op> ops = healthy();
        ops.add(write(3, 80, 90, Outcome.FAIL, -1, "v3", 2));
        Checker checker = new Checker(ops, List.of(), List.of(), chain(1, 2, 3)).check();
        assertThat(checker.extra).isEqualTo(1);
    }

    @Test
    void anAmbiguousWriteIsSettledEitherWay() {
        List<Op> ops = healthy();
        ops.add(write(3, 80, 90, Outcome.INFO, -1, "v3", 2));
        Checker made = new Checker(ops, List.of(), List.of(), chain(1, 2, 3)).check();
        assertThat(made.violations).isEmpty();
        assertThat(made.settledMade).isEqualTo(1);
        Checker notMade = new Checker(ops, List.of(), List.of(), chain(1, 2)).check();
        assertThat(notMade.violations).isEmpty();
        assertThat(notMade.settledNotMade).isEqualTo(1);
    }

    @Test
    void aGapInTheChainAndAReadOfTheWrongDocumentAreFound() {
        List<Op> ops = healthy();
        ops.add(read(0, Kind.READ, 100, 110, 1, "v2"));
        assertThat(check(ops, chain(1, 2, 4))).containsKeys("gap in the version chain", "a version no request wrote",
                "a read answered a document other than its version's");
    }

    @Test
    void anIncrementMadeByAnAmbiguousRequestIsNotTakenForOneThatFailedWithTheSameValue() {
        // two clients read v1 (n = 1) and both send n = 2 with If-Match 1: one told 412, the other timed out
        List<Op> ops = new ArrayList<>();
        ops.add(write(1, 0, 10, Outcome.OK, 1, "v1", 0));
        ops.add(new Op(2, 0, 0, Kind.INCREMENT, USER, 20, 30, Outcome.FAIL, 412, -1, null, "n", IntNode.valueOf(2), 1));
        ops.add(new Op(3, 1, 0, Kind.INCREMENT, USER, 21, 3000, Outcome.INFO, 0, -1, null, "n", IntNode.valueOf(2), 1));
        Map<Long, List<Change>> history = Map.of(1L, List.of(new Change("w", TextNode.valueOf("v1"))),
                2L, List.of(new Change("n", IntNode.valueOf(2))));
        Checker checker = new Checker(ops, List.of(), List.of(), Map.of(USER, new Truth(2, history))).check();
        assertThat(checker.violations).isEmpty();
        assertThat(checker.settledMade).isEqualTo(1);
    }

    @Test
    void aStrongReadOlderThanACompletedWriteBreaksRealTimeOrder() {
        List<Op> ops = healthy();
        ops.add(read(1, Kind.STRONG_READ, 100, 110, 1, "v1"));
        // found twice: by the version-order rule, and by the linearizability search over the history alone
        assertThat(check(ops, chain(1, 2))).containsKeys("real-time order (strong reads and writes)",
                "not linearizable (a search over the history alone)");
    }

    @Test
    void anInstanceAnsweringOlderThanItAnsweredOrWroteBreaksItsSession() {
        List<Op> ops = healthy();
        // instance 1 answered v2 (at 60-70), then a cached v1
        ops.add(read(1, Kind.READ, 100, 110, 1, "v1"));
        // instance 0 wrote v2 (process 2, at 20-30), then a cached v1
        ops.add(read(0, Kind.READ, 120, 130, 1, "v1"));
        assertThat(check(ops, chain(1, 2))).containsKeys("monotonic reads (per instance)", "read-your-writes (per instance)");
    }

    @Test
    void theFeedsGuaranteesAreCheckedPerSubscriberAgainstPostgres() {
        List<Connection> connections = List.of(new Connection(0, 1, 0, 0, null));
        List<Event> events = List.of(
                event(1_000_000_000L, 2, List.of("w")),
                event(1_000_000_001L, 1, List.of("w")),
                event(1_000_000_002L, 1, List.of("w")),
                event(1_000_000_003L, 4, List.of("w", "other")));
        Map<String, Long> violations = new Checker(List.of(), events, connections, chain(1, 2, 3, 4)).check().violations;
        assertThat(violations).containsKeys("feed: an event after a later one (ordered)", "feed: a gap (reliable)",
                "feed: an event without exactly its change's keys");
        // an event heard by a subscriber of instance 1 makes an older cached read there a violation
        Map<String, Long> stale = new Checker(List.of(read(1, Kind.READ, 2_000_000_000L, 2_000_000_010L, 1, "v1")),
                List.of(event(1_000_000_000L, 2, List.of("w"))), connections, chain(1, 2)).check().violations;
        assertThat(stale).containsKey("a cached read older than an invalidation its instance had delivered");
    }

    @Test
    void aStreamSilentLongerThanTheHeartbeatAllowsIsAViolationUnlessItsInstanceWasDown() {
        // no scopes to check against Postgres: only the streams' silences
        long second = 1_000_000_000L;
        List<Connection> connections = List.of(new Connection(0, 1, 0, 0, null));
        List<Event> healthy = List.of(heartbeat(second), event(2 * second, 1, List.of("w")), heartbeat(3 * second),
                closed(4 * second));
        assertThat(new Checker(List.of(), healthy, connections, Map.of()).heartbeats(2 * second, List.of()).check().violations)
                .isEmpty();
        // 3 s with nothing before the stream's end, and 3 s before its first heartbeat
        List<Event> silentAtTheEnd = List.of(heartbeat(second), event(2 * second, 1, List.of("w")), closed(5 * second));
        List<Event> silentAtFirst = List.of(heartbeat(3 * second), event(4 * second, 1, List.of("w")), closed(5 * second));
        for (List<Event> silent : List.of(silentAtTheEnd, silentAtFirst)) {
            assertThat(new Checker(List.of(), silent, connections, Map.of()).heartbeats(2 * second, List.of()).check().violations)
                    .containsOnlyKeys("feed: a stream silent longer than the heartbeat allows");
            // instance 1 paused meanwhile: excused; a pause of the other instance is not
            assertThat(new Checker(List.of(), silent, connections, Map.of())
                    .heartbeats(2 * second, List.of(new Outage(1, 2 * second + 1, 2 * second + 2))).check().violations).isEmpty();
            assertThat(new Checker(List.of(), silent, connections, Map.of())
                    .heartbeats(2 * second, List.of(new Outage(0, 0, 10 * second))).check().violations).isNotEmpty();
        }
    }

    @Test
    void aSubscriberLiveBeforeAScopesFirstWriteHearsItsFirstVersion() {
        List<Connection> connections = List.of(new Connection(0, 1, 0, -10, null));
        // healthy(): v1 written from 0 to 10, v2 from 20 to 30
        assertThat(new Checker(healthy(), List.of(heartbeat(-5), event(15, 1, List.of("w")), event(35, 2, List.of("w"))),
                connections, chain(1, 2)).check().violations).isEmpty();
        assertThat(new Checker(healthy(), List.of(heartbeat(-5), event(35, 2, List.of("w"))), connections, chain(1, 2))
                .check().violations).containsOnlyKeys("feed: a gap (reliable)");
        // live only once v1's write had begun: it may have come after v1's event
        assertThat(new Checker(healthy(), List.of(heartbeat(5), event(35, 2, List.of("w"))), connections, chain(1, 2))
                .check().violations).isEmpty();
    }

    private static Event heartbeat(long received) {
        return new Event(0, 1, 0, 0, received, "heartbeat", null, -1, -1, List.of());
    }

    private static Event closed(long received) {
        return new Event(0, 1, 0, 0, received, "closed", null, -1, -1, List.of());
    }

    private static Event event(long received, long version, List<String> keys) {
        return new Event(0, 1, 0, 0, received, "option-change", "1-" + version, USER, version, keys);
    }
}
