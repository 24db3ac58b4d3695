package dev.options.store.model;

import java.io.Serializable;
import java.util.Objects;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import org.hibernate.annotations.Immutable;

/** An option of a project: one row of {@code project_options}. Written only by the save's statement. */
@Entity
@Table(name = "project_options")
@IdClass(ProjectOption.Key.class)
@Immutable
public class ProjectOption extends OptionRow {

    @Id
    @Column(name = "project_id")
    public long projectId;

    @Id
    @Column(name = "key", length = 255)
    public String key;

    @Override
    public String key() {
        return key;
    }

    /** The row's identity: its project and key. */
    public static class Key implements Serializable {
        public long projectId;
        public String key;

        @Override
        public boolean equals(Object other) {
            return other instanceof Key that && that.projectId == projectId && Objects.equals(that.key, key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(projectId, key);
        }
    }
}
