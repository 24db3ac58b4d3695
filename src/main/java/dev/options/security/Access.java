package dev.options.security;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import org.eclipse.microprofile.jwt.JsonWebToken;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;

/**
 * Decides, before anything is read or written, whether the caller may: a 403 never depends on what
 * a scope holds, so it reveals nothing. With {@code options.auth.enabled=false} everyone may.
 */
@ApplicationScoped
public class Access {

    private static final String FEED_CALLER = "dev.options.feed-caller";

    private final boolean enabled;
    private final CurrentIdentityAssociation identities;

    public Access(OptionsConfig config, CurrentIdentityAssociation identities) {
        this.enabled = config.auth().enabled();
        this.identities = identities;
    }

    public boolean enabled() {
        return enabled;
    }

    /** The caller, or a 401 problem when the request carries no valid token. */
    public Uni<Caller> caller() {
        if (!enabled) {
            return Uni.createFrom().item(Caller.UNRESTRICTED);
        }
        return identities.getDeferredIdentity().map(Access::callerOf);
    }

    public Uni<Void> read(Scope scope) {
        return caller().map(caller -> require(caller.canRead(scope)));
    }

    /** The caller, once known to be allowed to write {@code scope}; else a 401 or 403 problem. */
    public Uni<Caller> write(Scope scope) {
        return caller().invoke(caller -> require(caller.canWrite(scope)));
    }

    /** What concerns every scope (a default's impact) needs the right to read them all: admins and readers. */
    public Uni<Void> readAll() {
        return caller().map(caller -> require(caller.canReadAll()));
    }

    /** A bulk read needs every scope it names to be readable. */
    public Uni<Void> bulk(ScopeKind kind, List<Long> ids) {
        return caller().map(caller -> require(ids.stream().allMatch(id -> caller.canRead(Scope.of(kind, id)))));
    }

    /**
     * The change feed: everything for admins and readers; otherwise only scopes named and readable.
     * The caller allowed is kept for the request, for {@link #feedCaller}.
     */
    public Uni<Caller> feed(Collection<String> scopeKeys) {
        return caller().map(caller -> {
            if (!caller.canReadAll()) {
                require(!scopeKeys.isEmpty() && scopeKeys.stream().allMatch(key -> readable(caller, key)));
            }
            if (VertxContext.isOnDuplicatedContext()) {
                ContextLocals.put(FEED_CALLER, caller);
            }
            return caller;
        });
    }

    /** The caller {@link #feed} allowed in this request, if it ran (it does whenever authentication is on). */
    public static Optional<Caller> feedCaller() {
        return VertxContext.isOnDuplicatedContext() ? ContextLocals.get(FEED_CALLER) : Optional.empty();
    }

    private static boolean readable(Caller caller, String key) {
        try {
            return caller.canRead(Scope.parse(new ScopeKey(key)));
        } catch (IllegalArgumentException notAScope) {
            return false;
        }
    }

    private static Void require(boolean allowed) {
        if (!allowed) {
            throw new ProblemException(ProblemType.FORBIDDEN, "this token does not allow this request");
        }
        return null;
    }

    /** The caller a verified identity stands for; a 401 problem for an anonymous one. */
    public static Caller callerOf(SecurityIdentity identity) {
        if (identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken token)) {
            throw new ProblemException(ProblemType.UNAUTHORIZED, "a valid bearer token is required");
        }
        Set<String> groups = token.getGroups() == null ? Set.of() : token.getGroups();
        return new Caller(groups.contains(Caller.ADMIN), groups.contains(Caller.READER), userId(token.getSubject()),
                ids(token.getClaim("organizations")), ids(token.getClaim("projects")), token.getSubject());
    }

    private static Long userId(String subject) {
        if (subject == null || !subject.matches("[1-9][0-9]{0,18}")) {
            return null;
        }
        try {
            return Long.parseLong(subject);
        } catch (NumberFormatException tooLarge) {
            return null;
        }
    }

    /** Identifiers of a claim given as a JSON array of numbers or decimal strings; others are ignored. */
    private static Set<Long> ids(Object claim) {
        Set<Long> ids = new HashSet<>();
        if (claim instanceof JsonArray array) {
            for (JsonValue value : array) {
                Long id = value instanceof JsonNumber number && number.isIntegral() ? Long.valueOf(number.longValue())
                        : value instanceof JsonString text ? userId(text.getString()) : null;
                if (id != null && id > 0) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }
}
