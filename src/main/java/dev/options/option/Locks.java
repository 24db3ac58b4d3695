package dev.options.option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.store.OptionManager;
import dev.options.store.StoredScope;
import io.smallrye.mutiny.Uni;

/**
 * The locks above a scope being saved: a save that writes a key an enclosing organization or project
 * locks is refused ({@code 409 locked}) and writes nothing, on every path.
 *
 * <p>How it holds under concurrency: a save below reads the scopes above it that can lock
 * ({@link #above}) {@code FOR SHARE}, in its transaction or inside its one statement, and a lock is
 * an update of the locking scope's row, which waits for those shares and which they wait for. So a
 * save that commits after a lock committed has seen it, and a lock cannot commit between a save's
 * check and its commit. The rows must exist to be locked: the locking save creates them, and the
 * one-statement save writes nothing when one is missing ({@link OptionManager.Guard}). A project's
 * organization is read under the same share, so a move cannot slip between either.
 */
@ApplicationScoped
class Locks {

    private final LayeredReads reads;
    private final OptionManager store;
    private final OptionRegistry registry;

    Locks(LayeredReads reads, OptionManager store, OptionRegistry registry) {
        this.reads = reads;
        this.store = store;
        this.registry = registry;
    }

    /**
     * The scopes above a save that can lock its keys, widest first, with what each locks; and the
     * project whose organization decided which organization that is ({@code pinned}, or null).
     */
    record Above(Map<ScopeKey, SortedSet<String>> lockers, ScopeKey pinned, Long pinnedOrganization) {

        static final Above NONE = new Above(Map.of(), null, null);

        /** Refuses a save that writes a locked key: the widest scope that locks one of {@code written}. */
        void refuse(Set<String> written) {
            lockers.forEach((scope, locks) -> {
                for (String key : written) {
                    if (locks.contains(key)) {
                        throw new ProblemException(ProblemType.LOCKED,
                                "the option " + key + " is locked by " + scope.value() + ", which enforces its value here",
                                Map.of("lockedBy", scope.value(), "key", key));
                    }
                }
            });
        }

        OptionManager.Guard guard(Set<String> written) {
            return new OptionManager.Guard(List.copyOf(lockers.keySet()), written, pinned, pinnedOrganization);
        }
    }

    /** The project and organization a scope's chain goes through, for kinds that have them. */
    private static Scope projectOf(Scope scope) {
        return switch (scope.kind()) {
            case USER_IN_PROJECT -> Scope.project(scope.ids().get(1));
            default -> null;
        };
    }

    /**
     * The scopes above {@code entry} that can lock, as NORMAL reads find them (the caches): enough to
     * refuse a write of a key they lock without going to Postgres, and the guard of a one-statement save.
     */
    Uni<Above> cached(ScopeEntry entry) {
        Scope scope = entry.scope();
        return switch (scope.kind()) {
            case ORGANIZATION, USER -> Uni.createFrom().item(Above.NONE);
            case PROJECT -> organization(entry.view(registry).organization()).map(lockers -> new Above(lockers, null, null));
            case USER_IN_ORGANIZATION -> organization(scope.ids().get(1)).map(lockers -> new Above(lockers, null, null));
            case USER_IN_PROJECT -> {
                Scope project = projectOf(scope);
                yield reads.held(project, ReadFlag.NORMAL).chain(held -> {
                    StoredScope stored = held.originals();
                    return organization(stored.organization()).map(widest -> {
                        Map<ScopeKey, SortedSet<String>> lockers = new LinkedHashMap<>(widest);
                        lockers.put(project.key(), registry.canonicalKeys(stored.locks()));
                        return new Above(lockers, project.key(), stored.organization());
                    });
                });
            }
        };
    }

    private Uni<Map<ScopeKey, SortedSet<String>>> organization(Long organizationId) {
        if (organizationId == null) {
            return Uni.createFrom().item(Map.of());
        }
        Scope organization = Scope.organization(organizationId);
        return reads.held(organization, ReadFlag.NORMAL)
                .map(held -> Map.of(organization.key(), registry.canonicalKeys(held.originals().locks())));
    }

    /**
     * The scopes above {@code entry} that can lock, as Postgres holds them now, each held
     * {@code FOR SHARE} until the transaction ends (see the class comment). Needs the transaction.
     */
    Uni<Above> held(ScopeEntry entry) {
        Scope scope = entry.scope();
        return switch (scope.kind()) {
            case ORGANIZATION, USER -> Uni.createFrom().item(Above.NONE);
            case PROJECT -> shared(entry.view(registry).organization(), new LinkedHashMap<>(), null, null);
            case USER_IN_ORGANIZATION -> shared(scope.ids().get(1), new LinkedHashMap<>(), null, null);
            case USER_IN_PROJECT -> {
                ScopeKey project = projectOf(scope).key();
                yield store.enclosing(List.of(project)).chain(found -> {
                    OptionManager.Enclosing state = found.get(project);
                    Map<ScopeKey, SortedSet<String>> lockers = new LinkedHashMap<>();
                    lockers.put(project, registry.canonicalKeys(state.locks()));
                    return shared(state.organization(), lockers, project, state.organization());
                });
            }
        };
    }

    /** {@code narrower} (scope keys below the organization) under organization {@code organizationId}, held shared. */
    private Uni<Above> shared(Long organizationId, Map<ScopeKey, SortedSet<String>> narrower, ScopeKey pinned, Long pinnedOrganization) {
        if (organizationId == null) {
            return Uni.createFrom().item(new Above(narrower, pinned, pinnedOrganization));
        }
        ScopeKey organization = Scope.organization(organizationId).key();
        return store.enclosing(List.of(organization)).map(found -> {
            Map<ScopeKey, SortedSet<String>> lockers = new LinkedHashMap<>();
            lockers.put(organization, registry.canonicalKeys(found.get(organization).locks()));
            lockers.putAll(narrower);
            return new Above(lockers, pinned, pinnedOrganization);
        });
    }

    /** Whether saves of {@code scope} can meet a lock above them. */
    static boolean below(Scope scope) {
        return switch (scope.kind()) {
            case PROJECT, USER_IN_PROJECT, USER_IN_ORGANIZATION -> true;
            default -> false;
        };
    }
}
