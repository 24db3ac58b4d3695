package dev.options.store;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.options.scope.OptionModel;
import dev.options.scope.ScopeKind;

/**
 * The SQL of one scope kind, generated once from its model and columns so that the three models
 * share one manager and none has a copy of the logic. They are assembled with {@code ?1}
 * placeholders; those run on the reactive pool are kept in its client's {@code $1}, {@link #write}
 * (run on the Panache transaction's session, which renders {@code ?1} as {@code $1} itself) as
 * assembled. Parameter {@code ?1} is always the scope key and {@code ?2..} the scope's identifiers
 * in {@link ScopeKind#idColumns()} order.
 */
record ScopeSql(String load, String write, String writeIfAt, String writeManyIfAt, String writeChainIfAt, String bulk,
        String loadMany) {

    /** A statement in the reactive client's own placeholders ({@code $1}) instead of {@code ?1}. */
    static String positional(String sql) {
        return sql.replaceAll("\\?(\\d+)", "\\$$1");
    }

    private static final Map<ScopeKind, ScopeSql> BY_KIND = new EnumMap<>(ScopeKind.class);

    static {
        for (ScopeKind kind : ScopeKind.values()) {
            BY_KIND.put(kind, generate(kind));
        }
    }

    static ScopeSql of(ScopeKind kind) {
        return BY_KIND.get(kind);
    }

    /** Index of the first parameter after the scope key and identifiers. */
    private static int firstFreeParameter(ScopeKind kind) {
        return kind.idColumns().size() + 2;
    }

    private static ScopeSql generate(ScopeKind kind) {
        OptionModel model = kind.model();
        String table = model.table();
        int version = firstFreeParameter(kind) + 2;

        // JSON parameters are bound as text and parsed by Postgres: bound as jsonb, the reactive client
        // would encode a Java string as a JSON string scalar.
        // One statement: the version of the scope (0 when never written) and its rows, from one
        // snapshot, so the version always describes exactly the rows returned with it.
        String load = "SELECT s.version, s.organization_id, s.locks, o.key, cast(o.value AS text), s.epoch FROM"
                + " (SELECT coalesce(max(version), 0) AS version, max(organization_id) AS organization_id,"
                + " max(cast(locks AS text)) AS locks, max(epoch) AS epoch FROM option_scopes WHERE scope_key = ?1) s"
                + " LEFT JOIN " + table + " o ON " + matches(kind, "o.")
                + " ORDER BY o.key";

        List<String> insertValues = new ArrayList<>();
        for (String column : model.scopeColumns()) {
            int index = kind.idColumns().indexOf(column);
            insertValues.add(index >= 0 ? "cast(?" + (index + 2) + " AS bigint)" : "cast(NULL AS bigint)");
        }
        String columns = String.join(", ", model.scopeColumns());
        // One statement for the whole save: the version bump, then (only if the bump found its row)
        // the upserts, the deletes and the outbox row. In the locking save the scope's row is held,
        // so the bump always finds it.
        String write = save(kind, table, columns, insertValues, "", false);
        // The same save as one autocommitted statement, made only if the scope is still at the version
        // before ?version: the UPDATE takes the scope's row lock (waiting for a holder, then checking
        // the version again), and every other part runs only if it bumped the version. No row back:
        // another writer got there first, nothing is written. Nor when a scope above that can lock
        // (?lockers, a JSON array of scope keys) has no row, locks one of the keys written (?written),
        // or, for ?pin's project, belongs to another organization than the one the save was judged
        // against: each is read FOR SHARE, so a lock or a move committed while the statement waits is
        // seen, and one not yet begun waits for this save's commit (see Saves).
        int lockers = firstFreeParameter(kind) + 8;
        String guard = " AND version = cast(?" + version + " AS bigint) - 1" + heldBy(lockers);
        String writeIfAt = save(kind, table, columns, insertValues, guard, false);
        // Saves of one scope that follow one another as one statement, all made or none: the options
        // as the last leaves them, the version from the first's to the last's, each save's own history
        // entry and outbox row (?version an array of their versions, ?keys, ?history, ?actor, ?channel
        // arrays of theirs), the guard's scopes those of all of them
        String versions = "(cast(?" + version + " AS bigint[]))";
        String writeChainIfAt = save(kind, table, columns, insertValues,
                " AND version = " + versions + "[1] - 1" + heldBy(lockers), true);

        // Many scopes as load reads one, in one statement (so from one snapshot): ?1 their keys,
        // ?2.. their ids (an array per identifier column); rows by the scope's position in them (from
        // 1), each scope's rows together
        List<String> unnested = new ArrayList<>(List.of("cast(?1 AS text[])"));
        List<String> idNames = new ArrayList<>();
        List<String> joined = new ArrayList<>();
        for (int i = 0; i < kind.idColumns().size(); i++) {
            unnested.add("cast(?" + (i + 2) + " AS bigint[])");
            idNames.add("id" + i);
            joined.add("o." + kind.idColumns().get(i) + " = k.id" + i);
        }
        kind.nullColumns().forEach(c -> joined.add("o." + c + " IS NULL"));
        String loadMany = "SELECT k.i, coalesce(s.version, 0), s.organization_id, cast(s.locks AS text), o.key, cast(o.value AS text), s.epoch"
                + " FROM unnest(" + String.join(", ", unnested) + ") WITH ORDINALITY AS k(scope_key, " + String.join(", ", idNames) + ", i)"
                + " LEFT JOIN option_scopes s ON s.scope_key = k.scope_key"
                + " LEFT JOIN " + table + " o ON " + String.join(" AND ", joined)
                + " ORDER BY k.i";
        String bulk = null;
        if (kind.singleId()) {
            String idColumn = kind.idColumns().get(0);
            String nulls = kind.nullColumns().stream().map(c -> " AND o." + c + " IS NULL").collect(Collectors.joining());
            // ?1 the key and its old names, ?2 the scopes' keys, ?3 their ids: a row per scope, with its
            // epoch and the value of the first of the names it stores (or nulls)
            bulk = "SELECT k.id, CASE WHEN s.version > 0 THEN coalesce(s.epoch, 1) END, cast(o.value AS text)"
                    + " FROM unnest(cast(?2 AS text[]), cast(?3 AS bigint[])) AS k(scope_key, id)"
                    + " LEFT JOIN option_scopes s ON s.scope_key = k.scope_key"
                    + " LEFT JOIN LATERAL (SELECT o.value FROM " + table + " o WHERE o." + idColumn + " = k.id"
                    + " AND o.key = ANY(cast(?1 AS text[]))" + nulls
                    + " ORDER BY array_position(cast(?1 AS text[]), o.key) LIMIT 1) o ON true";
        }
        return new ScopeSql(positional(load), write, positional(writeIfAt), positional(writeMany(kind, table, columns)),
                positional(writeChainIfAt), bulk == null ? null : positional(bulk), positional(loadMany));
    }

    /**
     * The condition that every scope above that can lock ({@code ?lockers}, a JSON array of scope
     * keys) has a row, locks none of the keys written ({@code ?lockers + 1}) and, for
     * {@code ?lockers + 2}'s project, still belongs to the organization the save was judged against;
     * each read FOR SHARE.
     */
    private static String heldBy(int lockers) {
        String pin = "cast(cast(?" + (lockers + 2) + " AS text) AS jsonb)";
        return " AND (SELECT count(*) FROM (SELECT 1 FROM option_scopes l"
                + " WHERE l.scope_key IN (SELECT jsonb_array_elements_text(cast(cast(?" + lockers + " AS text) AS jsonb)))"
                + " AND NOT (l.locks ?| ARRAY(SELECT jsonb_array_elements_text(cast(cast(?" + (lockers + 1) + " AS text) AS jsonb))))"
                + " AND (l.scope_key IS DISTINCT FROM " + pin + " ->> 'scope'"
                + " OR l.organization_id IS NOT DISTINCT FROM cast(" + pin + " ->> 'organization' AS bigint))"
                + " FOR SHARE OF l) held) = jsonb_array_length(cast(cast(?" + lockers + " AS text) AS jsonb))";
    }

    /**
     * The save's statement; {@code guard} is added to the version bump's condition. For a
     * {@code chain} of saves, the version, keys, history, actor and channel parameters are arrays,
     * one element per save: the version set is the last one, and each save has its history entry and
     * outbox row, whose ids come back with their versions.
     */
    private static String save(ScopeKind kind, String table, String columns, List<String> insertValues, String guard,
            boolean chain) {
        int next = firstFreeParameter(kind);
        int upserts = next;
        int deletes = next + 1;
        int version = next + 2;
        int keys = next + 3;
        String state = "cast(cast(?" + (next + 4) + " AS text) AS jsonb)";
        String versions = "(cast(?" + version + " AS bigint[]))";
        String history = chain
                ? " SELECT ?1, h.version, clock_timestamp(), nullif(h.actor, ''), h.channel, cast(h.changes AS jsonb)"
                        + " FROM unnest(" + versions + ", cast(?" + (next + 6) + " AS text[]), cast(?" + (next + 7) + " AS text[]),"
                        + " cast(?" + (next + 5) + " AS text[])) AS h(version, actor, channel, changes) WHERE EXISTS (SELECT 1 FROM bumped)"
                : " SELECT ?1, bumped.version, clock_timestamp(), nullif(cast(?" + (next + 6) + " AS text), ''),"
                        + " cast(?" + (next + 7) + " AS text), cast(cast(?" + (next + 5) + " AS text) AS jsonb) FROM bumped";
        String outbox = chain
                ? " SELECT ?1, o.version, cast(o.keys AS jsonb), clock_timestamp() FROM unnest(" + versions + ", cast(?" + keys
                        + " AS text[])) AS o(version, keys) WHERE EXISTS (SELECT 1 FROM bumped) RETURNING id, version"
                : " SELECT ?1, bumped.version, cast(cast(?" + keys + " AS text) AS jsonb), clock_timestamp() FROM bumped RETURNING id";
        return "WITH bumped AS ("
                + "UPDATE option_scopes SET version = "
                + (chain ? versions + "[cardinality(" + versions + ")]" : "cast(?" + version + " AS bigint)") + ", updated_at = now(),"
                + " locks = coalesce(" + state + " -> 'locks', locks),"
                + " organization_id = coalesce(cast(" + state + " ->> 'organization' AS bigint), organization_id),"
                // the first write fixes the scope's epoch of defaults at the registry's current one
                // (a scope written by a release before epochs, which fixed none, was written under the first)
                + " epoch = coalesce(cast(" + state + " ->> 'epoch' AS integer), epoch,"
                + " CASE WHEN version > 0 THEN 1 ELSE cast(" + state + " ->> 'current' AS integer) END)"
                + " WHERE scope_key = ?1" + guard + " RETURNING version"
                + "), upserted AS ("
                + "INSERT INTO " + table + " (" + columns + ", key, value)"
                + " SELECT " + String.join(", ", insertValues) + ", e.key, e.value"
                + " FROM jsonb_each(cast(cast(?" + upserts + " AS text) AS jsonb)) AS e WHERE EXISTS (SELECT 1 FROM bumped)"
                + " ON CONFLICT (" + columns + ", key) DO UPDATE SET value = excluded.value, updated_at = now()"
                + "), deleted AS ("
                + "DELETE FROM " + table + " o WHERE " + matches(kind, "o.")
                + " AND o.key IN (SELECT jsonb_array_elements_text(cast(cast(?" + deletes + " AS text) AS jsonb)))"
                + " AND EXISTS (SELECT 1 FROM bumped)"
                // the history's entry: dated, like the outbox row, when the statement runs; ?actor '' for none
                + "), recorded AS ("
                + "INSERT INTO option_history (scope_key, version, at, actor, channel, changes)" + history
                // created when the row is written, not when the transaction began (now()): a save that
                // waited for the scope's lock is not already due for the relay when it commits
                + ") INSERT INTO option_outbox (scope_key, version, keys, created_at)" + outbox;
    }

    /**
     * {@link #writeIfAt} for many scopes of the kind in one statement: each of its parameters an
     * array of that parameter's values, one element per save (so ?1 the scopes' keys, ?2.. their ids
     * per identifier column, then the arrays of upserts, deletes, versions, and so on, in the
     * single statement's order). Each save is made or not by its own conditions, as its own
     * statement would be; rows back name the saves made (by their position in the arrays, from 1) and
     * their outbox rows. The scopes' row locks are taken in the order of the arrays.
     */
    private static String writeMany(ScopeKind kind, String table, String columns) {
        List<String> ids = new ArrayList<>();
        List<String> unnested = new ArrayList<>(List.of("cast(?1 AS text[])"));
        for (int i = 0; i < kind.idColumns().size(); i++) {
            ids.add("id" + i);
            unnested.add("cast(?" + (i + 2) + " AS bigint[])");
        }
        List<String> names = List.of("upserts", "deletes", "version", "keys", "state", "history", "actor", "channel",
                "lockers", "written", "pin");
        int first = firstFreeParameter(kind);
        for (int j = 0; j < names.size(); j++) {
            unnested.add("cast(?" + (first + j) + " AS " + (names.get(j).equals("version") ? "bigint[]" : "text[]") + ")");
        }
        List<String> all = new ArrayList<>(List.of("scope_key"));
        all.addAll(ids);
        all.addAll(names);
        List<String> insertValues = new ArrayList<>();
        for (String column : kind.model().scopeColumns()) {
            int index = kind.idColumns().indexOf(column);
            insertValues.add(index >= 0 ? "m.id" + index : "cast(NULL AS bigint)");
        }
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < kind.idColumns().size(); i++) {
            mine.add("o." + kind.idColumns().get(i) + " = m.id" + i);
        }
        kind.nullColumns().forEach(c -> mine.add("o." + c + " IS NULL"));
        String state = "cast(m.state AS jsonb)";
        String pin = "cast(m.pin AS jsonb)";
        return "WITH m AS (SELECT * FROM unnest(" + String.join(", ", unnested) + ") WITH ORDINALITY"
                + " AS m(" + String.join(", ", all) + ", i)"
                + "), bumped AS ("
                + "UPDATE option_scopes s SET version = m.version, updated_at = now(),"
                + " locks = coalesce(" + state + " -> 'locks', s.locks),"
                + " organization_id = coalesce(cast(" + state + " ->> 'organization' AS bigint), s.organization_id),"
                + " epoch = coalesce(cast(" + state + " ->> 'epoch' AS integer), s.epoch,"
                + " CASE WHEN s.version > 0 THEN 1 ELSE cast(" + state + " ->> 'current' AS integer) END)"
                + " FROM m WHERE s.scope_key = m.scope_key AND s.version = m.version - 1"
                + " AND (SELECT count(*) FROM (SELECT 1 FROM option_scopes l"
                + " WHERE l.scope_key IN (SELECT jsonb_array_elements_text(cast(m.lockers AS jsonb)))"
                + " AND NOT (l.locks ?| ARRAY(SELECT jsonb_array_elements_text(cast(m.written AS jsonb))))"
                + " AND (l.scope_key IS DISTINCT FROM " + pin + " ->> 'scope'"
                + " OR l.organization_id IS NOT DISTINCT FROM cast(" + pin + " ->> 'organization' AS bigint))"
                + " FOR SHARE OF l) held) = jsonb_array_length(cast(m.lockers AS jsonb))"
                + " RETURNING m.i, s.scope_key, s.version"
                + "), made AS (SELECT m.*, bumped.version AS made FROM bumped JOIN m ON m.i = bumped.i"
                + "), upserted AS ("
                + "INSERT INTO " + table + " (" + columns + ", key, value)"
                + " SELECT " + String.join(", ", insertValues) + ", e.key, e.value"
                + " FROM made m, jsonb_each(cast(m.upserts AS jsonb)) AS e"
                + " ON CONFLICT (" + columns + ", key) DO UPDATE SET value = excluded.value, updated_at = now()"
                + "), deleted AS ("
                + "DELETE FROM " + table + " o USING made m WHERE " + String.join(" AND ", mine)
                + " AND o.key IN (SELECT jsonb_array_elements_text(cast(m.deletes AS jsonb)))"
                + "), recorded AS ("
                + "INSERT INTO option_history (scope_key, version, at, actor, channel, changes)"
                + " SELECT m.scope_key, m.made, clock_timestamp(), nullif(m.actor, ''), m.channel, cast(m.history AS jsonb) FROM made m"
                + "), outboxed AS ("
                + "INSERT INTO option_outbox (scope_key, version, keys, created_at)"
                + " SELECT m.scope_key, m.made, cast(m.keys AS jsonb), clock_timestamp() FROM made m RETURNING id, scope_key"
                // a scope is bumped at most once by one statement, so its key names its save
                + ") SELECT b.i, o.id FROM bumped b JOIN outboxed o ON o.scope_key = b.scope_key";
    }

    /** The condition that selects exactly this kind's rows of one scope. */
    private static String matches(ScopeKind kind, String alias) {
        List<String> conditions = new ArrayList<>();
        List<String> idColumns = kind.idColumns();
        for (int i = 0; i < idColumns.size(); i++) {
            conditions.add(alias + idColumns.get(i) + " = cast(?" + (i + 2) + " AS bigint)");
        }
        kind.nullColumns().forEach(c -> conditions.add(alias + c + " IS NULL"));
        return String.join(" AND ", conditions);
    }
}
