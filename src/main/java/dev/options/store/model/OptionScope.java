package dev.options.store.model;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.ColumnTransformer;

/**
 * A scope's version, and the row its writers lock to serialize (even those that only add keys,
 * which have no row of their own to lock yet). The version is bumped by the save's statement, so it
 * is not a JPA {@code @Version}: Hibernate would bump and check it a second time.
 */
@Entity
@Table(name = "option_scopes")
public class OptionScope {

    @Id
    @Column(name = "scope_key")
    public String scopeKey;

    @Column(name = "version", nullable = false)
    public long version;

    /** A project's organization; null for other scopes and for a project never registered. */
    @Column(name = "organization_id")
    public Long organizationId;

    /** The keys this scope locks for the scopes below it: the jsonb array's text, as option values are carried. */
    @ColumnTransformer(read = "cast(locks AS text)", write = "cast(cast(? AS text) AS jsonb)")
    @Column(name = "locks", nullable = false)
    public String locks;

    /** The epoch of defaults fixed at the scope's first write; null until then. */
    @Column(name = "epoch")
    public Integer epoch;

    @Column(name = "updated_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime updatedAt;
}
