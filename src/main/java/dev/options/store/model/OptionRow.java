package dev.options.store.model;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.MappedSuperclass;

import org.hibernate.annotations.ColumnTransformer;

/**
 * What the three option models have in common: one stored value and when it was last written.
 *
 * <p>The value is the jsonb column as its text, read with {@code cast(value AS text)} and written
 * with {@code cast(cast(? AS text) AS jsonb)} (a parameter Postgres takes for jsonb, the reactive
 * client would send a Java string as a JSON string): Hibernate Reactive's own JSON mapping carries
 * values as Vert.x {@code JsonObject}s, which cannot hold a string, number or array and would round
 * numbers to doubles. The text is parsed by {@code OptionJson}, which keeps every number exact.
 */
@MappedSuperclass
public abstract class OptionRow {

    @ColumnTransformer(read = "cast(value AS text)", write = "cast(cast(? AS text) AS jsonb)")
    @Column(name = "value", nullable = false)
    public String value;

    @Column(name = "updated_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime updatedAt;

    /** The option's key within its scope. */
    public abstract String key();
}
