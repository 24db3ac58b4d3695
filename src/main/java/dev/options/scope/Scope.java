package dev.options.scope;

import java.util.List;

/**
 * Where options live: one organization, one project, one user, or one user narrowed to a project or
 * an organization. Identifiers are positive longs; the factories reject anything else.
 *
 * <p>The key of each kind starts with its model's table and then spells out every identifier together
 * with what it identifies, so two distinct scopes never share a key, even when their numbers coincide.
 */
public sealed interface Scope
        permits Scope.Organization, Scope.Project, Scope.User, Scope.UserInProject, Scope.UserInOrganization {

    ScopeKind kind();

    /** The identifiers in the order of {@link ScopeKind#idColumns()}. */
    List<Long> ids();

    ScopeKey key();

    static Organization organization(long organizationId) {
        return new Organization(organizationId);
    }

    static Project project(long projectId) {
        return new Project(projectId);
    }

    static User user(long userId) {
        return new User(userId);
    }

    static UserInProject userInProject(long userId, long projectId) {
        return new UserInProject(userId, projectId);
    }

    static UserInOrganization userInOrganization(long userId, long organizationId) {
        return new UserInOrganization(userId, organizationId);
    }

    /** The scope of {@code kind} whose only identifier is {@code id}; for the single-identifier kinds. */
    static Scope of(ScopeKind kind, long id) {
        return switch (kind) {
            case ORGANIZATION -> organization(id);
            case PROJECT -> project(id);
            case USER -> user(id);
            default -> throw new IllegalArgumentException(kind.label() + " scopes take two identifiers");
        };
    }

    /**
     * The scope a key names, the inverse of {@link #key()}.
     *
     * @throws IllegalArgumentException for a string that is no scope's key
     */
    static Scope parse(ScopeKey key) {
        String[] parts = key.value().split(":", -1);
        try {
            switch (parts[0]) {
                case "organization_options":
                    if (parts.length == 2) {
                        return organization(Long.parseLong(parts[1]));
                    }
                    break;
                case "project_options":
                    if (parts.length == 2) {
                        return project(Long.parseLong(parts[1]));
                    }
                    break;
                case "user_options":
                    if (parts.length == 3 && parts[2].equals("user")) {
                        return user(Long.parseLong(parts[1]));
                    }
                    if (parts.length == 4 && parts[2].equals("project")) {
                        return userInProject(Long.parseLong(parts[1]), Long.parseLong(parts[3]));
                    }
                    if (parts.length == 4 && parts[2].equals("organization")) {
                        return userInOrganization(Long.parseLong(parts[1]), Long.parseLong(parts[3]));
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("not a scope key: " + key);
    }

    private static long positive(String name, long id) {
        if (id < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + id);
        }
        return id;
    }

    record Organization(long organizationId) implements Scope {
        public Organization {
            positive("organizationId", organizationId);
        }

        @Override
        public ScopeKind kind() {
            return ScopeKind.ORGANIZATION;
        }

        @Override
        public List<Long> ids() {
            return List.of(organizationId);
        }

        @Override
        public ScopeKey key() {
            return new ScopeKey("organization_options:" + organizationId);
        }
    }

    record Project(long projectId) implements Scope {
        public Project {
            positive("projectId", projectId);
        }

        @Override
        public ScopeKind kind() {
            return ScopeKind.PROJECT;
        }

        @Override
        public List<Long> ids() {
            return List.of(projectId);
        }

        @Override
        public ScopeKey key() {
            return new ScopeKey("project_options:" + projectId);
        }
    }

    record User(long userId) implements Scope {
        public User {
            positive("userId", userId);
        }

        @Override
        public ScopeKind kind() {
            return ScopeKind.USER;
        }

        @Override
        public List<Long> ids() {
            return List.of(userId);
        }

        @Override
        public ScopeKey key() {
            return new ScopeKey("user_options:" + userId + ":user");
        }
    }

    record UserInProject(long userId, long projectId) implements Scope {
        public UserInProject {
            positive("userId", userId);
            positive("projectId", projectId);
        }

        @Override
        public ScopeKind kind() {
            return ScopeKind.USER_IN_PROJECT;
        }

        @Override
        public List<Long> ids() {
            return List.of(userId, projectId);
        }

        @Override
        public ScopeKey key() {
            return new ScopeKey("user_options:" + userId + ":project:" + projectId);
        }
    }

    record UserInOrganization(long userId, long organizationId) implements Scope {
        public UserInOrganization {
            positive("userId", userId);
            positive("organizationId", organizationId);
        }

        @Override
        public ScopeKind kind() {
            return ScopeKind.USER_IN_ORGANIZATION;
        }

        @Override
        public List<Long> ids() {
            return List.of(userId, organizationId);
        }

        @Override
        public ScopeKey key() {
            return new ScopeKey("user_options:" + userId + ":organization:" + organizationId);
        }
    }
}
