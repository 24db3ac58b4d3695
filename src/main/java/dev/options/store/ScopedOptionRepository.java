package dev.options.store;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.scope.OptionModel;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import dev.options.store.model.OptionRow;
import dev.options.value.OptionJson;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;

/**
 * One option model's rows, for every kind of scope that model stores, on the session of the open
 * Panache transaction. The three models share this logic; each has a leaf of a few lines naming its
 * entity. Loads select the entity's attributes, not managed entities: a later load in the same
 * transaction (after the scope's lock, say) must see the rows as they are then, not as the session
 * first met them.
 */
public abstract class ScopedOptionRepository<E extends OptionRow, I> implements PanacheRepositoryBase<E, I> {

    private final Map<ScopeKind, String> loads = new EnumMap<>(ScopeKind.class);

    protected ScopedOptionRepository(OptionModel model, Class<E> entity) {
        for (ScopeKind kind : ScopeKind.values()) {
            if (kind.model() == model) {
                loads.put(kind, load(kind, entity.getSimpleName()));
            }
        }
    }

    /**
     * The scope's version (0 when never written) and its stored options, in one statement from one
     * snapshot, on the transaction's session.
     */
    Uni<StoredScope> load(Scope scope) {
        String hql = loads.get(scope.kind());
        return getSession().chain(session -> {
            var query = session.createSelectionQuery(hql, Object[].class).setParameter("scope", scope.key().value());
            List<Long> ids = scope.ids();
            for (int i = 0; i < ids.size(); i++) {
                query.setParameter("id" + i, ids.get(i));
            }
            return query.getResultList();
        }).map(ScopedOptionRepository::toStoredScope);
    }

    /**
     * Runs the save's statement ({@link ScopeSql#write}) on the transaction's session; answers the
     * outbox row's id, or null when it found no scope row to bump.
     */
    Uni<Long> write(Scope scope, List<Object> parameters) {
        String sql = ScopeSql.of(scope.kind()).write();
        return getSession().chain(session -> {
            // no result class: Hibernate 7.2 would cache a plan for every run of it (see the README)
            var query = session.createNativeQuery(sql);
            for (int i = 0; i < parameters.size(); i++) {
                query.setParameter(i + 1, parameters.get(i));
            }
            return query.getSingleResultOrNull();
        }).map(id -> id == null ? null : ((Number) id).longValue());
    }

    private static StoredScope toStoredScope(List<Object[]> rows) {
        long version = 0;
        Long organization = null;
        String locks = null;
        Integer epoch = null;
        Map<String, JsonNode> options = new TreeMap<>();
        for (Object[] row : rows) {
            version = (Long) row[0];
            organization = (Long) row[1];
            locks = (String) row[2];
            epoch = (Integer) row[5];
            if (row[3] != null) {
                options.put((String) row[3], OptionJson.parseStored((String) row[4]));
            }
        }
        return new StoredScope(version, options, StoredScope.parseLocks(locks), organization, epoch);
    }

    /**
     * The load of one kind: the scope's row and, joined to it, exactly the kind's rows of the scope
     * ({@code :id0..} its identifiers, the model's other scope columns NULL). No scope row, no rows:
     * every save writes the scope's row in the statement that writes its options.
     */
    private static String load(ScopeKind kind, String entity) {
        List<String> conditions = new ArrayList<>();
        for (int i = 0; i < kind.idColumns().size(); i++) {
            conditions.add("o." + attribute(kind.idColumns().get(i)) + " = :id" + i);
        }
        kind.nullColumns().forEach(column -> conditions.add("o." + attribute(column) + " is null"));
        return "select s.version, s.organizationId, s.locks, o.key, o.value, s.epoch from OptionScope s left join " + entity + " o on "
                + String.join(" and ", conditions) + " where s.scopeKey = :scope order by o.key";
    }

    /** The entity attribute of a scope column: {@code organization_id} is {@code organizationId}. */
    static String attribute(String column) {
        StringBuilder attribute = new StringBuilder();
        boolean upper = false;
        for (char c : column.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                attribute.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return attribute.toString();
    }
}
