package dev.options.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.batch.TurnBatcher;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;
import io.micrometer.core.instrument.Counter;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Loads of scopes an event loop asks for in one turn, sent as one statement per kind
 * ({@link ScopeSql#loadMany}): each scope's version with exactly its rows, from one snapshot. A row
 * that cannot be read fails its own scope, a statement that fails its own kind's loads.
 */
final class BatchedLoads {

    private final Pool primary;
    private final Counter reads;
    private final Counter background;
    private final TurnBatcher<Load, Loaded> loads = new TurnBatcher<>(this::send);

    /** {@code reads} counts the statements sent for requests, {@code background} those for background work alone. */
    BatchedLoads(Pool primary, Counter reads, Counter background) {
        this.primary = primary;
        this.reads = reads;
        this.background = background;
    }

    /** The scope as the primary holds it now, loaded with the others asked for in this event-loop turn. */
    Uni<StoredScope> load(Scope scope, boolean forBackground) {
        return loads.join(new Load(scope, forBackground)).chain(Loaded::answer);
    }

    /** A load of a batch, and whether it is background work (for the meter). */
    private record Load(Scope scope, boolean background) {
    }

    /** Sends a batch of loads: one statement per kind among them. */
    private Uni<List<Loaded>> send(List<Load> batch) {
        Map<ScopeKind, List<Integer>> byKind = new EnumMap<>(ScopeKind.class);
        for (int i = 0; i < batch.size(); i++) {
            byKind.computeIfAbsent(batch.get(i).scope().kind(), ignored -> new ArrayList<>()).add(i);
        }
        Loaded[] answers = new Loaded[batch.size()];
        List<Uni<Void>> statements = new ArrayList<>();
        byKind.forEach((kind, positions) -> {
            String[] keys = new String[positions.size()];
            Long[][] ids = new Long[kind.idColumns().size()][positions.size()];
            boolean forRequests = false;
            for (int j = 0; j < keys.length; j++) {
                Load load = batch.get(positions.get(j));
                keys[j] = load.scope().key().value();
                for (int column = 0; column < ids.length; column++) {
                    ids[column][j] = load.scope().ids().get(column);
                }
                forRequests |= !load.background();
            }
            Counter meter = forRequests ? reads : background;
            Tuple parameters = Tuple.tuple().addArrayOfString(keys);
            for (Long[] column : ids) {
                parameters.addArrayOfLong(column);
            }
            statements.add(primary.preparedQuery(ScopeSql.of(kind).loadMany()).execute(parameters)
                    .invoke(() -> meter.increment())
                    .map(rows -> toStoredScopes(rows, keys.length))
                    // a kind's statement that failed fails its own loads, not the other kinds'
                    .onFailure().recoverWithItem(failure -> {
                        Loaded[] failed = new Loaded[keys.length];
                        Arrays.fill(failed, new Unreadable(failure));
                        return failed;
                    })
                    .invoke(found -> {
                        for (int j = 0; j < found.length; j++) {
                            answers[positions.get(j)] = found[j];
                        }
                    })
                    .replaceWithVoid());
        });
        return Uni.join().all(statements).andFailFast().replaceWith(() -> List.of(answers));
    }

    /** One scope of a batch as it was read: its stored state, or why it could not be read. */
    private sealed interface Loaded {
        Uni<StoredScope> answer();
    }

    private record Read(StoredScope stored) implements Loaded {
        public Uni<StoredScope> answer() {
            return Uni.createFrom().item(stored);
        }
    }

    private record Unreadable(Throwable failure) implements Loaded {
        public Uni<StoredScope> answer() {
            return Uni.createFrom().failure(failure);
        }
    }

    /**
     * The scopes of a {@link ScopeSql#loadMany} answer, in the order they were asked for; a row that
     * cannot be read fails its own scope alone, never the others of its batch.
     */
    private static Loaded[] toStoredScopes(RowSet<Row> rows, int count) {
        long[] versions = new long[count];
        Long[] organizations = new Long[count];
        String[] locks = new String[count];
        Integer[] epochs = new Integer[count];
        RuntimeException[] failures = new RuntimeException[count];
        List<Map<String, JsonNode>> options = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            options.add(new TreeMap<>());
        }
        for (Row row : rows) {
            int position = (int) (row.getLong(0) - 1);
            versions[position] = row.getLong(1);
            organizations[position] = row.getLong(2);
            locks[position] = row.getString(3);
            epochs[position] = row.getInteger(6);
            String key = row.getString(4);
            if (key != null && failures[position] == null) {
                try {
                    options.get(position).put(key, OptionJson.parseStored(row.getString(5)));
                } catch (RuntimeException unreadable) {
                    failures[position] = unreadable;
                }
            }
        }
        Loaded[] scopes = new Loaded[count];
        for (int i = 0; i < count; i++) {
            if (failures[i] == null) {
                try {
                    scopes[i] = new Read(new StoredScope(versions[i], options.get(i), StoredScope.parseLocks(locks[i]), organizations[i], epochs[i]));
                    continue;
                } catch (RuntimeException unreadable) {
                    failures[i] = unreadable;
                }
            }
            scopes[i] = new Unreadable(failures[i]);
        }
        return scopes;
    }

}
