package dev.options.store;

import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;

/**
 * The primary datasource's pool, as Quarkus configures it, with every statement the service sends
 * kept prepared on its connections however long its text. The client caches statements of at most
 * 2,048 characters by default; the batched saves' statements ({@link ScopeSql#writeManyIfAt} and
 * {@link ScopeSql#writeChainIfAt}) are longer, so each was parsed, analyzed and planned again by
 * Postgres on every execution.
 *
 * <p>The pool connects with the options Quarkus resolved at start: with a credentials provider
 * ({@code quarkus.datasource.credentials-provider}, not used by this service) rotated credentials
 * would not be picked up, since Quarkus then connects through a supplier of its own.
 */
@Singleton
public class StatementCachingPool implements PgPoolCreator {

    /** Longer than the longest statement the service sends (about 2,400 characters). */
    static final int SQL_LIMIT = 16_384;

    @Override
    public Pool create(Input input) {
        List<SqlConnectOptions> servers = new ArrayList<>();
        for (PgConnectOptions server : input.pgConnectOptionsList()) {
            servers.add(server.setPreparedStatementCacheSqlLimit(SQL_LIMIT));
        }
        return PgBuilder.pool().with(input.poolOptions()).connectingTo(servers).using(input.vertx()).build();
    }
}
