package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.options.scope.ScopeKind;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The service's statements stay prepared on the primary pool's connections however long their
 * text, the batched saves' (longer than the client's default limit of 2,048 characters) included,
 * so Postgres parses and plans each once per connection instead of on every execution.
 */
@QuarkusTest
class StatementCachingPoolTest {

    @Inject
    Pool pool;

    @Test
    void aStatementLongerThanTheClientsDefaultLimitIsKeptPreparedOnItsConnection() {
        String marker = "statement-caching-pool-test-" + System.nanoTime();
        // a statement as long as the batched saves', which Postgres would otherwise parse each time
        String sql = "SELECT cast($1 AS text) /* " + marker + " " + "x".repeat(3_000) + " */";
        long kept = pool.withConnection(connection -> connection.preparedQuery(sql).execute(Tuple.of("a"))
                .chain(() -> connection.preparedQuery(sql).execute(Tuple.of("b")))
                .chain(() -> connection.preparedQuery("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE $1")
                        .execute(Tuple.of("%" + marker + "%")))
                .map(rows -> rows.iterator().next().getLong(0)))
                .await().atMost(Duration.ofSeconds(10));
        assertThat(kept).as("prepared statements on the connection holding the long statement").isEqualTo(1);
    }

    @Test
    void theBatchedSavesStatementsFitTheLimit() {
        for (ScopeKind kind : ScopeKind.values()) {
            ScopeSql sql = ScopeSql.of(kind);
            assertThat(sql.writeManyIfAt().length()).as("%s's batched save", kind).isLessThan(StatementCachingPool.SQL_LIMIT);
            assertThat(sql.writeChainIfAt().length()).as("%s's chained save", kind).isLessThan(StatementCachingPool.SQL_LIMIT);
        }
        assertThat(ScopeSql.of(ScopeKind.PROJECT).writeManyIfAt().length())
                .as("the batched save is longer than the client's default limit, which it would miss").isGreaterThan(2_048);
    }
}
