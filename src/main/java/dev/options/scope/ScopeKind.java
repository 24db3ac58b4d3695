package dev.options.scope;

import java.util.List;

/**
 * The five kinds of scope. A kind names its model, the columns its identifiers fill (in the order
 * {@link Scope#ids()} gives them) and so, implicitly, the model's scope columns it leaves NULL.
 */
public enum ScopeKind {
    ORGANIZATION("organization", OptionModel.ORGANIZATION_OPTIONS, List.of("organization_id")),
    PROJECT("project", OptionModel.PROJECT_OPTIONS, List.of("project_id")),
    USER("user", OptionModel.USER_OPTIONS, List.of("user_id")),
    USER_IN_PROJECT("user-in-project", OptionModel.USER_OPTIONS, List.of("user_id", "project_id")),
    USER_IN_ORGANIZATION("user-in-organization", OptionModel.USER_OPTIONS, List.of("user_id", "organization_id"));

    private final String label;
    private final OptionModel model;
    private final List<String> idColumns;

    ScopeKind(String label, OptionModel model, List<String> idColumns) {
        this.label = label;
        this.model = model;
        this.idColumns = idColumns;
    }

    /** The kind's name in configuration, metrics and documents ({@code user-in-project}). */
    public String label() {
        return label;
    }

    public OptionModel model() {
        return model;
    }

    /** The model's columns this kind's identifiers fill, in the order of {@link Scope#ids()}. */
    public List<String> idColumns() {
        return idColumns;
    }

    /** The model's scope columns this kind leaves NULL. */
    public List<String> nullColumns() {
        return model.scopeColumns().stream().filter(c -> !idColumns.contains(c)).toList();
    }

    /** Whether scopes of this kind can lock keys for the scopes below them (organizations and projects). */
    public boolean locks() {
        return this == ORGANIZATION || this == PROJECT;
    }

    /** The kind whose scopes are named by exactly one identifier of this model, or this kind. */
    public boolean singleId() {
        return idColumns.size() == 1;
    }
}
