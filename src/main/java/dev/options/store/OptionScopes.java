package dev.options.store;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import dev.options.store.model.OptionScope;
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
