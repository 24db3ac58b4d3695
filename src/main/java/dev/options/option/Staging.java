package dev.options.option;

import com.fasterxml.jackson.databind.JsonNode;

/** Modifications staged for one scope, kept apart from its originals until saved. */
public interface Staging {

    /** Sets {@code key} to {@code value} (canonical, validated). */
    void set(String key, JsonNode value);

    /** Unsets {@code key}: its default applies again. */
    void unset(String key);

    /** Unsets every stored key of the scope, and forgets what was staged before. */
    void reset();

    /**
     * Locks {@code key} at this scope's value in force, for every scope below it (organizations and
     * projects only).
     */
    void lock(String key);

    /** Unlocks {@code key}: the scopes below it decide their own value again. */
    void unlock(String key);

    /** The project belongs to organization {@code organizationId} (project scopes only). */
    void belongTo(long organizationId);

    /**
     * Moves the scope to epoch {@code epoch} of defaults, later than its own and not above the
     * registry's current one.
     */
    void moveToEpoch(int epoch);

    /**
     * Moves every value the scope stores under an old name of a key ({@code renamed-from}) to that
     * key, as reads already show it: values in force stay as they are, the rows change.
     */
    void migrateRenamed();
}
