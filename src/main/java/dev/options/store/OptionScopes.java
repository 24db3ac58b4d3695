package dev.options.store;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import dev.options.store.model.OptionScope;
import dev.options.value.OptionJson;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;

/** The scopes' versions and the rows their writers lock, on the session of the open Panache transaction. */
@ApplicationScoped
public class OptionScopes implements PanacheRepositoryBase<OptionScope, String> {

    private static final String CREATE = "INSERT INTO option_scopes (scope_key, version) VALUES (?1, 0)"
            + " ON CONFLICT (scope_key) DO NOTHING RETURNING version";

    /**
     * The scope's row locked until the transaction ends ({@code FOR NO KEY UPDATE}, which is what
     * {@code PESSIMISTIC_WRITE} is on Postgres), answering its version; null when there is no row.
     * The row is not kept in the session: the save's statement bumps its version behind it.
     */
    Uni<Long> lock(String scopeKey) {
        return findById(scopeKey, LockModeType.PESSIMISTIC_WRITE).chain(found -> {
            if (found == null) {
                return Uni.createFrom().nullItem();
            }
            return getSession().invoke(session -> session.detach(found)).replaceWith(found.version);
        });
    }

    private static final String ENSURE = "INSERT INTO option_scopes (scope_key, version)"
            + " SELECT jsonb_array_elements_text(cast(cast(?1 AS text) AS jsonb)), 0 ON CONFLICT (scope_key) DO NOTHING";
    private static final String SHARE = "SELECT scope_key, organization_id, cast(locks AS text) FROM option_scopes"
            + " WHERE scope_key IN (SELECT jsonb_array_elements_text(cast(cast(?1 AS text) AS jsonb))) FOR SHARE";

    /**
     * The rows of {@code scopeKeys}, created at version 0 where missing, locked {@code FOR SHARE} until
     * the transaction ends: each row's organization and locks, by scope key. Two statements, so the
     * second reads, after the first, every row another transaction created meanwhile. Holding them
     * shared, the transaction lets no lock or move of them commit before it does, and none that
     * committed before is missed (see {@code Saves}).
     */
    Uni<Map<String, Object[]>> share(List<String> scopeKeys) {
        String keys = OptionJson.text(scopeKeys);
        return getSession()
                .chain(session -> session.createNativeQuery(ENSURE).setParameter(1, keys).executeUpdate()
                        .chain(() -> session.<Object[]>createNativeQuery(SHARE).setParameter(1, keys).getResultList()))
                .map(rows -> {
                    Map<String, Object[]> byKey = new HashMap<>();
                    for (Object[] row : rows) {
                        byKey.put((String) row[0], row);
                    }
                    return byKey;
                });
    }

    /**
     * Creates the scope's row at version 0, answering 0; null when another transaction created it
     * first (then its creator has committed, since the insert waited for it).
     */
    Uni<Long> create(String scopeKey) {
        return getSession()
                .chain(session -> session.createNativeQuery(CREATE).setParameter(1, scopeKey).getSingleResultOrNull())
                .map(version -> version == null ? null : ((Number) version).longValue());
    }
}
