package dev.options.store.model;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.Immutable;

/**
 * An option of a user, of the user alone or narrowed to one project or one organization (never
 * both): one row of {@code user_options}. Written only by the save's statement.
 */
@Entity
@Table(name = "user_options")
@Immutable
public class UserOption extends OptionRow {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "user_id", nullable = false)
    public long userId;

    /** The project this option is narrowed to, or null. */
    @Column(name = "project_id")
    public Long projectId;

    /** The organization this option is narrowed to, or null. */
    @Column(name = "organization_id")
    public Long organizationId;

    @Column(name = "key", nullable = false, length = 255)
    public String key;

    @Override
    public String key() {
        return key;
    }
}
