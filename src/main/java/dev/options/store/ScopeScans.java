package dev.options.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Statements over many scopes' rows at once, for the work that looks across scopes instead of into
 * one: which scopes still store or lock a renamed key's old names, how many rows each name has, and
 * how many scopes take a default. Each a statement of its own on the primary pool, counted as
 * {@link OptionManager}'s are: in the background for the migration, on requests for a definition's
 * state or a default's impact, never on a read or a save.
 */
@ApplicationScoped
public class ScopeScans {

    private final Pool primary;
    private final StatementMeters meters;

    public ScopeScans(Pool primary, StatementMeters meters) {
        this.primary = primary;
        this.meters = meters;
    }

    /**
     * Some of the scopes of {@code kind} that store a row under one of {@code names} (at most
     * {@code limit} rows' worth: a scope may have several), in one statement of its own (background
     * work), by the index on the rows' keys, which the limit stops early.
     */
    public Uni<List<Scope>> storing(ScopeKind kind, List<String> names, int limit) {
        List<String> conditions = new ArrayList<>();
        kind.idColumns().forEach(column -> conditions.add(column + " IS NOT NULL"));
        kind.nullColumns().forEach(column -> conditions.add(column + " IS NULL"));
        String sql = "SELECT " + String.join(", ", kind.idColumns()) + " FROM " + kind.model().table()
                + " WHERE key = ANY($1) AND " + String.join(" AND ", conditions) + " LIMIT $2";
        return Uncancellable.of(primary.preparedQuery(sql)
                .execute(Tuple.of(names.toArray(new String[0]), limit))
                .invoke(() -> meters.background.increment())
                .map(rows -> {
                    Set<Scope> scopes = new LinkedHashSet<>();
                    for (Row row : rows) {
                        scopes.add(switch (kind) {
                            case USER_IN_PROJECT -> Scope.userInProject(row.getLong(0), row.getLong(1));
                            case USER_IN_ORGANIZATION -> Scope.userInOrganization(row.getLong(0), row.getLong(1));
                            default -> Scope.of(kind, row.getLong(0));
                        });
                    }
                    return List.copyOf(scopes);
                }));
    }

    /** Up to {@code limit} scopes whose locks name one of {@code names}, in one statement of its own (background work). */
    public Uni<List<Scope>> locking(List<String> names, int limit) {
        return Uncancellable.of(primary.preparedQuery("SELECT scope_key FROM option_scopes WHERE locks ?| $1 LIMIT $2")
                .execute(Tuple.of(names.toArray(new String[0]), limit))
                .invoke(() -> meters.background.increment())
                .map(rows -> {
                    List<Scope> scopes = new ArrayList<>();
                    for (Row row : rows) {
                        scopes.add(Scope.parse(new ScopeKey(row.getString(0))));
                    }
                    return scopes;
                }));
    }

    /** How many rows each of {@code names} has, across every scope, in one statement of its own; absent where none. */
    public Uni<Map<String, Long>> rowsNamed(List<String> names) {
        String sql = "SELECT key, count(*) FROM (SELECT key FROM organization_options WHERE key = ANY($1)"
                + " UNION ALL SELECT key FROM project_options WHERE key = ANY($1)"
                + " UNION ALL SELECT key FROM user_options WHERE key = ANY($1)) named GROUP BY key";
        return Uncancellable.of(primary.preparedQuery(sql)
                .execute(Tuple.of(names.toArray(new String[0])))
                .invoke(() -> meters.count(meters.reads))
                .map(rows -> {
                    Map<String, Long> counts = new HashMap<>();
                    for (Row row : rows) {
                        counts.put(row.getString(0), row.getLong(1));
                    }
                    return counts;
                }));
    }

    /**
     * How many scopes of {@code kind} written at least once take {@code names}' value (a key and its
     * old names) from the default, and are at one of {@code epochs} (one written without an epoch
     * fixed, by a release before epochs, is at 1): those none of whose layers that count for the key ({@code counting}, by the
     * layer's kind) stores it. One statement of its own: a pass over the scopes' rows of that kind,
     * each layer looked up by its primary key, never a scan of stored values.
     */
    public Uni<Long> takingTheDefault(ScopeKind kind, List<String> names, Set<ScopeKind> counting, List<Integer> epochs) {
        String id1 = "cast(split_part(s.scope_key, ':', 2) AS bigint)";
        String id2 = "cast(split_part(s.scope_key, ':', 4) AS bigint)";
        String named = " AND o.key = ANY($1)";
        List<String> stores = new ArrayList<>();
        String organizationOf = "SELECT 1 FROM organization_options o WHERE o.organization_id = ";
        String userRow = "SELECT 1 FROM user_options o WHERE o.user_id = " + id1;
        String pattern = switch (kind) {
            case ORGANIZATION -> {
                stores.add(organizationOf + id1 + named);
                yield "organization\\_options:%";
            }
            case PROJECT -> {
                stores.add("SELECT 1 FROM project_options o WHERE o.project_id = " + id1 + named);
                if (counting.contains(ScopeKind.ORGANIZATION)) {
                    stores.add(organizationOf + "s.organization_id" + named);
                }
                yield "project\\_options:%";
            }
            case USER -> {
                stores.add(userRow + " AND o.project_id IS NULL AND o.organization_id IS NULL" + named);
                yield "user\\_options:%:user";
            }
            case USER_IN_ORGANIZATION -> {
                stores.add(userRow + " AND o.organization_id = " + id2 + " AND o.project_id IS NULL" + named);
                if (counting.contains(ScopeKind.USER)) {
                    stores.add(userRow + " AND o.project_id IS NULL AND o.organization_id IS NULL" + named);
                }
                if (counting.contains(ScopeKind.ORGANIZATION)) {
                    stores.add(organizationOf + id2 + named);
                }
                yield "user\\_options:%:organization:%";
            }
            case USER_IN_PROJECT -> {
                stores.add(userRow + " AND o.project_id = " + id2 + " AND o.organization_id IS NULL" + named);
                if (counting.contains(ScopeKind.USER)) {
                    stores.add(userRow + " AND o.project_id IS NULL AND o.organization_id IS NULL" + named);
                }
                if (counting.contains(ScopeKind.PROJECT)) {
                    stores.add("SELECT 1 FROM project_options o WHERE o.project_id = " + id2 + named);
                }
                if (counting.contains(ScopeKind.ORGANIZATION)) {
                    stores.add("SELECT 1 FROM option_scopes p JOIN organization_options o ON o.organization_id = p.organization_id"
                            + " WHERE p.scope_key = 'project_options:' || split_part(s.scope_key, ':', 4)" + named);
                }
                yield "user\\_options:%:project:%";
            }
        };
        if (!counting.contains(kind)) {
            // the key does not apply to the scope's own kind (its own layer, first): only what it inherits counts
            stores.remove(0);
        }
        StringBuilder sql = new StringBuilder("SELECT count(*) FROM option_scopes s WHERE s.scope_key LIKE '")
                .append(pattern).append("' AND s.version > 0 AND coalesce(s.epoch, 1) = ANY($2)");
        stores.forEach(store -> sql.append(" AND NOT EXISTS (").append(store).append(')'));
        return Uncancellable.of(primary.preparedQuery(sql.toString())
                .execute(Tuple.of(names.toArray(new String[0]), epochs.toArray(new Integer[0])))
                .invoke(() -> meters.count(meters.reads))
                .map(rows -> OptionManager.firstLong(rows, 0L)));
    }
}
