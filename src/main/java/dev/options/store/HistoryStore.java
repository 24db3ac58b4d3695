package dev.options.store;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.scope.Scope;
import dev.options.value.OptionJson;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The scopes' history in Postgres ({@code option_history}), as pages, as the changes since a version,
 * and its retention, on the primary pool, each statement counted as {@link OptionManager}'s are.
 * The entries themselves are written by the saves' own statements.
 */
@ApplicationScoped
public class HistoryStore {

    private final Pool primary;
    private final OptionManager manager;
    private final StatementMeters meters;

    public HistoryStore(Pool primary, OptionManager manager, StatementMeters meters) {
        this.primary = primary;
        this.manager = manager;
        this.meters = meters;
    }

    /** One change of a scope as its history keeps it. */
    public record Recorded(long version, OffsetDateTime at, String actor, String channel, JsonNode changes) {
    }

    /**
     * The scope's history, newest first: at most {@code limit} entries of versions below {@code before}
     * (all when empty), only those that change one of {@code keys} (a key and its old names) when
     * there are any; one statement of its own.
     */
    public Uni<List<Recorded>> history(Scope scope, List<String> keys, Long before, int limit) {
        StringBuilder filter = new StringBuilder();
        Tuple parameters = Tuple.of(scope.key().value(), before, limit);
        for (String key : keys) {
            filter.append(filter.length() == 0 ? " AND (" : " OR ")
                    .append("changes @> jsonb_build_array(jsonb_build_object('key', cast($").append(parameters.size() + 1).append(" AS text)))");
            parameters.addString(key);
        }
        if (!keys.isEmpty()) {
            filter.append(')');
        }
        return Uncancellable.of(primary.preparedQuery("SELECT version, at, actor, channel, cast(changes AS text) FROM option_history"
                        + " WHERE scope_key = $1 AND ($2::bigint IS NULL OR version < $2::bigint)" + filter
                        + " ORDER BY version DESC LIMIT $3")
                .execute(parameters)
                .invoke(() -> meters.count(meters.reads))
                .map(rows -> {
                    List<Recorded> entries = new ArrayList<>();
                    for (Row row : rows) {
                        entries.add(new Recorded(row.getLong(0), row.getOffsetDateTime(1), row.getString(2), row.getString(3),
                                OptionJson.parseStored(row.getString(4))));
                    }
                    return entries;
                }));
    }

    /**
     * The scope as the primary holds it now, and the changes of its history after {@code version} up
     * to that one, newest first (two statements): what it takes to know the scope as it was at
     * {@code version}, if the history still holds all of them. None are read when there are more than
     * {@code most}.
     */
    public Uni<Map.Entry<StoredScope, List<Recorded>>> since(Scope scope, long version, int most) {
        return manager.loadDirect(scope).chain(now -> now.version() - version > most || now.version() <= version
                ? Uni.createFrom().item(Map.entry(now, List.<Recorded>of()))
                : history(scope, List.of(), now.version() + 1, (int) (now.version() - version)).map(entries -> Map.entry(now, entries)));
    }

    /**
     * Removes the history's entries older than {@code retention}, except each scope's last
     * {@code minVersions}; at most {@code batch} in one statement of its own (background work).
     * Answers how many it removed.
     */
    public Uni<Integer> forget(Duration retention, int minVersions, int batch) {
        return Uncancellable.of(primary.preparedQuery("DELETE FROM option_history WHERE ctid IN (SELECT h.ctid FROM option_history h"
                        + " JOIN option_scopes s ON s.scope_key = h.scope_key"
                        + " WHERE h.at < now() - make_interval(secs => $1) AND h.version <= s.version - $2 LIMIT $3)")
                .execute(Tuple.of((double) retention.toSeconds(), minVersions, batch))
                .invoke(() -> meters.background.increment())
                .map(rows -> rows.rowCount()));
    }
}
