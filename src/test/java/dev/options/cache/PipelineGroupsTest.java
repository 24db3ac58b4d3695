package dev.options.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The offers of one event-loop turn go to Redis in batches of at most {@link SharedCache#MOST_PIPELINED}
 * commands, the runs in their order and never split, so that no batch outgrows a connection's reply slots.
 */
class PipelineGroupsTest {

    @Test
    void runsAreGroupedInOrderUpToTheMostCommandsEach() {
        List<List<Integer>> runs = List.of(run(1, 2), run(2, 3), run(3, 2), run(4, 1), run(5, 3));
        List<List<List<Integer>>> groups = SharedCache.groups(runs, 5);
        assertThat(groups).containsExactly(
                List.of(run(1, 2), run(2, 3)),
                List.of(run(3, 2), run(4, 1)),
                List.of(run(5, 3)));
        assertThat(groups.stream().flatMap(List::stream).toList()).as("every run once, in its order").isEqualTo(runs);
    }

    @Test
    void aRunLongerThanTheMostGoesAloneAndNothingIsLeftOut() {
        List<List<Integer>> runs = List.of(run(1, 1), run(2, 7), run(3, 1));
        assertThat(SharedCache.groups(runs, 5)).containsExactly(List.of(run(1, 1)), List.of(run(2, 7)), List.of(run(3, 1)));
        assertThat(SharedCache.groups(List.<List<Integer>>of(), 5)).isEmpty();
    }

    @Test
    void theOffersOfABusyTurnFitAConnectionsDefaultReplySlots() {
        // 256 saves in flight (four batches of 64), each a compare-and-set and an append
        List<List<Integer>> runs = Collections.nCopies(256, run(0, 2));
        List<List<List<Integer>>> groups = SharedCache.groups(runs, SharedCache.MOST_PIPELINED);
        assertThat(groups).allSatisfy(group -> assertThat(group.stream().mapToInt(List::size).sum())
                .isLessThanOrEqualTo(SharedCache.MOST_PIPELINED).isLessThan(2_048));
        assertThat(groups.stream().mapToInt(List::size).sum()).isEqualTo(256);
    }

    /** A run of {@code size} commands, each named by the run. */
    private static List<Integer> run(int name, int size) {
        return Collections.nCopies(size, name);
    }
}
