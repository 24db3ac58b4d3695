package dev.options.scope;

import java.util.List;

/**
 * The three option models (tables). Each scope kind stores its options in one of them; the table
 * name is the first part of every scope key, which is what keeps keys unique across models.
 */
public enum OptionModel {
    ORGANIZATION_OPTIONS("organization_options", List.of("organization_id")),
    PROJECT_OPTIONS("project_options", List.of("project_id")),
    USER_OPTIONS("user_options", List.of("user_id", "project_id", "organization_id"));

    private final String table;
    private final List<String> scopeColumns;

    OptionModel(String table, List<String> scopeColumns) {
        this.table = table;
        this.scopeColumns = scopeColumns;
    }

    /** The table that holds this model's options. */
    public String table() {
        return table;
    }

    /** The columns that together with {@code key} identify a stored option, in the unique constraint's order. */
    public List<String> scopeColumns() {
        return scopeColumns;
    }
}
