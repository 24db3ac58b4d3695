package dev.options.option;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import io.smallrye.mutiny.Uni;

/** The options in force for a user narrowed to a project or an organization: defaults, the user's own, the scope's. */
@ApplicationScoped
class Inheritance {

    private final LayeredReads reads;
    private final OptionRegistry registry;

    Inheritance(LayeredReads reads, OptionRegistry registry) {
        this.reads = reads;
        this.registry = registry;
    }

    /**
     * A scope with what it inherits, for a client that wants the options in force: defaults, under
     * the user's own scope (for a user narrowed to a project or an organization, keys that apply to
     * the narrowed kind), under the scope's own values; and where each value comes from.
     */
    Uni<OptionService.InheritedView> inherited(Scope scope, ReadFlag flag) {
        Optional<Scope> parent = parentOf(scope);
        return reads.held(scope, flag).map(entry -> entry.view(registry)).chain(own -> parent.isEmpty()
                ? Uni.createFrom().item(inherit(own, Optional.empty()))
                : reads.held(parent.get(), flag).map(entry -> entry.view(registry)).map(user -> inherit(own, Optional.of(user))));
    }

    private OptionService.InheritedView inherit(ScopeView own, Optional<ScopeView> parent) {
        ScopeKind kind = own.scope().kind();
        Map<String, JsonNode> options = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        registry.defaults(kind).forEach((key, value) -> {
            options.put(key, value);
            sources.put(key, "default");
        });
        parent.ifPresent(user -> user.stored().forEach((key, value) -> {
            if (registry.appliesTo(kind, key)) {
                options.put(key, value);
                sources.put(key, "user");
            }
        }));
        String ownSource = switch (kind) {
            case ORGANIZATION, USER_IN_ORGANIZATION -> "organization";
            case PROJECT, USER_IN_PROJECT -> "project";
            case USER -> "user";
        };
        own.stored().forEach((key, value) -> {
            options.put(key, value);
            sources.put(key, ownSource);
        });
        return new OptionService.InheritedView(own, parent, options, sources);
    }

    private static Optional<Scope> parentOf(Scope scope) {
        return switch (scope.kind()) {
            case USER_IN_PROJECT, USER_IN_ORGANIZATION -> Optional.of(Scope.user(scope.ids().get(0)));
            default -> Optional.empty();
        };
    }
}
