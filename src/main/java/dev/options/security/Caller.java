package dev.options.security;

import java.util.Set;

import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;

/**
 * Who is calling and what that lets them do, from the claims of a verified token:
 * {@code options-admin} reads and writes everything; {@code options-reader} reads everything; anyone
 * else reads and writes their own user scopes (subject = user id) and reads the organizations and
 * projects their token lists.
 */
public record Caller(boolean admin, boolean reader, Long userId, Set<Long> organizations, Set<Long> projects, String subject) {

    static final String ADMIN = "options-admin";
    static final String READER = "options-reader";

    /** Everyone, when authentication is off. */
    public static final Caller UNRESTRICTED = new Caller(true, true, null, Set.of(), Set.of(), null);

    /** No one: may read nothing (a caller that could not be known, when authentication is on). */
    public static final Caller NOBODY = new Caller(false, false, null, Set.of(), Set.of(), null);

    public Caller {
        organizations = Set.copyOf(organizations);
        projects = Set.copyOf(projects);
    }

    public boolean canRead(Scope scope) {
        if (admin || reader) {
            return true;
        }
        return switch (scope.kind()) {
            case ORGANIZATION -> organizations.contains(scope.ids().get(0));
            case PROJECT -> projects.contains(scope.ids().get(0));
            case USER, USER_IN_PROJECT, USER_IN_ORGANIZATION -> owns(scope);
        };
    }

    public boolean canWrite(Scope scope) {
        return admin || (scope.kind().model() == ScopeKind.USER.model() && owns(scope));
    }

    /** Whether the caller may follow every change (admins and readers). */
    public boolean canReadAll() {
        return admin || reader;
    }

    private boolean owns(Scope scope) {
        return userId != null && userId.equals(scope.ids().get(0));
    }
}
