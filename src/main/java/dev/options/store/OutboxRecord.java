package dev.options.store;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * A row of {@code option_outbox}: one committed change that has not been delivered to the
 * invalidation feed yet. Written by the save's own statement, in the save's transaction; the relay
 * claims rows with native SQL ({@code FOR UPDATE SKIP LOCKED}). This mapping is what makes Quarkus
 * start Hibernate Reactive, whose session carries every statement of the store.
 */
@Entity
@Table(name = "option_outbox")
public class OutboxRecord extends PanacheEntityBase {

    @Id
    @Column(name = "id")
    public Long id;

    @Column(name = "scope_key", nullable = false)
    public String scopeKey;

    @Column(name = "version", nullable = false)
    public long version;

    /** The changed keys, a JSON array of strings. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "keys", nullable = false)
    public String keys;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;
}
