package dev.options.store.model;

import java.io.Serializable;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import org.hibernate.annotations.Immutable;

/** An option of an organization: one row of {@code organization_options}. Written only by the save's statement. */
@Entity
@Table(name = "organization_options")
@IdClass(OrganizationOption.Key.class)
@Immutable
public class OrganizationOption extends OptionRow {

    @Id
    @Column(name = "organization_id")
    public long organizationId;

    @Id
    @Column(name = "key", length = 255)
    public String key;

    @Override
    public String key() {
        return key;
    }

    /** The row's identity: its organization and key. */
    public static class Key implements Serializable {
        public long organizationId;
        public String key;

        @Override
        public boolean equals(Object other) {
            return other instanceof Key that && that.organizationId == organizationId && Objects.equals(that.key, key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(organizationId, key);
        }
    }
}
