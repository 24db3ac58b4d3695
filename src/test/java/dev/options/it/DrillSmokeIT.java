package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import dev.options.drill.Drill;

/**
 * The fault drills' smoke profile: every fault of {@code src/bench/drill.sh}, 2 s each, on one
 * private cluster (its own Postgres and Redis behind proxies, two instances of the packaged
 * service), the history of each checked against Postgres. Zero checker violations, lost or extra
 * updates and 500s under every fault; reads during a Redis fault all answered; convergence after
 * each. The table goes to {@code target/drills-smoke.md}.
 */
class DrillSmokeIT {

    private static final Set<String> REDIS_FAULTS = Set.of("redis-kill", "redis-pause", "redis-client-kill", "stream-trim",
            "redis-latency", "redis-cut");

    @Test
    void underEveryFaultTheHistoryChecksOutAgainstPostgres() throws Exception {
        Path out = Path.of("target", "drills-smoke");
        List<Drill.Result> results = Drill.run(System.getProperty("runner.jar", "target/quarkus-app/quarkus-run.jar"), out,
                Drill.FAULTS, 2, 20261207L);
        StringBuilder table = new StringBuilder(Drill.HEADER).append('\n');
        results.forEach(result -> table.append(result.row()).append('\n'));
        Files.writeString(Path.of("target", "drills-smoke.md"), table);
        assertThat(results).extracting(Drill.Result::fault).containsExactlyElementsOf(Drill.FAULTS);
        SoftAssertions softly = new SoftAssertions();
        for (Drill.Result result : results) {
            softly.assertThat(result.violations()).as("%s: checker violations, e.g. %s", result.fault(), result.examples()).isEmpty();
            softly.assertThat(result.lost()).as("%s: lost updates", result.fault()).isZero();
            softly.assertThat(result.extra()).as("%s: extra updates", result.fault()).isZero();
            softly.assertThat(result.errors500()).as("%s: 500s", result.fault()).isZero();
            softly.assertThat(result.convergedMillis()).as("%s: converged (ms, -1 for not within 30 s)", result.fault())
                    .isNotNegative();
            softly.assertThat(result.operations()).as("%s: operations", result.fault()).isGreaterThan(100);
            if (REDIS_FAULTS.contains(result.fault())) {
                softly.assertThat(result.readsAnsweredInFault()).as("%s: reads answered during the fault (%%)", result.fault())
                        .isEqualTo(100.0);
            }
        }
        // the search gives up on a scope after 10 s: on no more than 5% of them (the target of RELIABILITY.md)
        long searched = results.stream().mapToLong(Drill.Result::searched).sum();
        softly.assertThat(results.stream().mapToLong(Drill.Result::searchTimedOut).sum())
                .as("scopes the linearizability search gave up on, of %d", searched).isLessThanOrEqualTo(searched / 20);
        softly.assertAll();
    }
}
