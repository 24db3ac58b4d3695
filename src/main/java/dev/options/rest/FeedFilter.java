package dev.options.rest;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.options.events.ChangeEvent;
import dev.options.option.OptionService;
import dev.options.option.ReadFlag;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.security.Caller;
import dev.options.store.OptionManager;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Which events one change-feed stream delivers: those of the scopes it names (all, when it names
 * none), and with {@code inherit=true} also those of every scope they inherit from (their
 * organization, their project, the user's own scope), the organization of a project as it is now:
 * a project's move (its event names no key) sends the events of its new organization from then on.
 * Whatever the filter, an event of a scope the caller may not read is not delivered.
 *
 * <p>A project's organization is read before the stream opens (from the caches), again once the
 * stream listens ({@link #refresh}: a move between the two is not missed) and after every move it
 * hears of, live or replayed, from the primary; a read only counts when it is of a newer version of
 * the project than the one held, so reads that finish out of order never go back.
 */
final class FeedFilter {

    private final Set<String> wanted;
    private final Set<String> inherited = ConcurrentHashMap.newKeySet();
    /** The projects whose organization the stream follows: the version read, and that organization's scope key (or "" for none). */
    private final Map<String, Placed> projects = new ConcurrentHashMap<>();
    private final Caller caller;
    private final OptionService service;
    private final Vertx vertx;

    private record Placed(long version, String organization) {
    }

    private FeedFilter(Set<String> wanted, Caller caller, OptionService service, Vertx vertx) {
        this.wanted = wanted;
        this.caller = caller;
        this.service = service;
        this.vertx = vertx;
    }

    /** The projects whose organization is read before the stream opens. */
    private final Set<Scope> followedProjects = new HashSet<>();

    /**
     * The filter of a stream that names {@code scopes}, {@link #ready} once the organizations of the
     * projects among what they inherit from are read.
     *
     * @throws ProblemException 400 for {@code inherit=true} without scopes, or with one that is no scope's key
     */
    static FeedFilter of(List<String> scopes, boolean inherit, Caller caller, OptionService service, Vertx vertx) {
        Set<String> wanted = scopes == null ? Set.of() : Set.copyOf(scopes);
        FeedFilter filter = new FeedFilter(wanted, caller, service, vertx);
        if (!inherit) {
            return filter;
        }
        if (wanted.isEmpty()) {
            throw new ProblemException(ProblemType.INVALID_PARAMETER, "inherit=true follows the scopes named by scope=; name at least one");
        }
        Set<Scope> projects = filter.followedProjects;
        for (String key : wanted) {
            Scope scope;
            try {
                scope = Scope.parse(new ScopeKey(key));
            } catch (IllegalArgumentException notAScope) {
                throw new ProblemException(ProblemType.INVALID_PARAMETER, "with inherit=true every scope must be a scope key: " + key);
            }
            switch (scope.kind()) {
                case PROJECT -> projects.add(scope);
                case USER_IN_PROJECT -> {
                    Scope project = Scope.project(scope.ids().get(1));
                    filter.inherited.add(project.key().value());
                    filter.inherited.add(Scope.user(scope.ids().get(0)).key().value());
                    projects.add(project);
                }
                case USER_IN_ORGANIZATION -> {
                    filter.inherited.add(Scope.organization(scope.ids().get(1)).key().value());
                    filter.inherited.add(Scope.user(scope.ids().get(0)).key().value());
                }
                default -> { }
            }
        }
        return filter;
    }

    /**
     * This filter, once it knows the organization of every project it follows as the caches hold it
     * (one it could not read is left to {@link #refresh}).
     */
    Uni<FeedFilter> ready() {
        if (followedProjects.isEmpty()) {
            return Uni.createFrom().item(this);
        }
        return Uni.join().all(followedProjects.stream()
                        .map(project -> organizationOf(project, ReadFlag.NORMAL).onFailure().recoverWithNull())
                        .toList())
                .andCollectFailures().replaceWith(this);
    }

    /** Reads the organization of every project followed again, from the primary, in the background. */
    void refresh() {
        followedProjects.forEach(this::reread);
    }

    private Uni<Void> organizationOf(Scope project, ReadFlag flag) {
        return service.read(project, flag).invoke(view -> projects.merge(project.key().value(),
                new Placed(view.version(), view.organization() == null ? "" : Scope.organization(view.organization()).key().value()),
                (held, read) -> read.version() >= held.version() ? read : held)).replaceWithVoid();
    }

    private void reread(Scope project) {
        // the latest: read after the event of a move, the caches may not have heard of it yet
        OptionManager.inBackground(vertx, () -> organizationOf(project, ReadFlag.LATEST).subscribe().with(done -> { },
                failure -> Log.debugf("organization of %s not read: %s", project.key(), failure.getMessage())));
    }

    private boolean followsOrganization(String scope) {
        for (Placed placed : projects.values()) {
            if (placed.organization().equals(scope)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the stream delivers {@code event}. */
    boolean follows(ChangeEvent event) {
        String scope = event.scope().value();
        boolean named = wanted.isEmpty() || wanted.contains(scope);
        if (!named && !inherited.contains(scope) && !followsOrganization(scope)) {
            return false;
        }
        return named || readable(event.scope());
    }

    /** Learns of a project's move from its event (one that names no key), live or replayed, and reads where it went. */
    void heard(ChangeEvent event) {
        if (!event.keys().isEmpty()) {
            return;
        }
        Placed held = projects.get(event.scope().value());
        if (held != null && event.version() > held.version()) {
            reread(Scope.parse(event.scope()));
        } else if (held == null && followedProjects.stream().anyMatch(project -> project.key().equals(event.scope()))) {
            reread(Scope.parse(event.scope()));
        }
    }

    private boolean readable(ScopeKey key) {
        try {
            return caller.canRead(Scope.parse(key));
        } catch (IllegalArgumentException notAScope) {
            return false;
        }
    }
}
