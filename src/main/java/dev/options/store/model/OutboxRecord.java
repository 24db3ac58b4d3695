package dev.options.store.model;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.ColumnTransformer;
import org.hibernate.annotations.Immutable;

/**
 * A committed change not yet delivered to the invalidation feed: one row of {@code option_outbox},
 * written in the change's own transaction by the save's statement and deleted once published.
 */
@Entity
@Table(name = "option_outbox")
@Immutable
public class OutboxRecord {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "scope_key", nullable = false)
    public String scopeKey;

    @Column(name = "version", nullable = false)
    public long version;

    /** The keys the change touched, a JSON array as text. */
    @ColumnTransformer(read = "cast(keys AS text)", write = "cast(cast(? AS text) AS jsonb)")
    @Column(name = "keys", nullable = false)
    public String keys;

    @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime createdAt;
}
