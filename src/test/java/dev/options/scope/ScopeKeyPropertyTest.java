package dev.options.scope;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Scope keys are the one name of a scope in every cache and event, across all three models: two
 * distinct scopes must never share one, even when their identifiers are the same numbers.
 */
class ScopeKeyPropertyTest {

    @Property(tries = 2000)
    void distinctScopesNeverShareAKey(@ForAll("scopeLists") List<Scope> scopes) {
        Map<ScopeKey, Scope> seen = new HashMap<>();
        for (Scope scope : scopes) {
            Scope previous = seen.putIfAbsent(scope.key(), scope);
            if (previous != null) {
                assertThat(previous).as("scopes sharing key %s", scope.key()).isEqualTo(scope);
            }
        }
    }

    @Property(tries = 2000)
    void equalScopesShareTheirKeyAndKeysStartWithTheModelsTable(@ForAll("scopes") Scope scope) {
        List<Long> ids = scope.ids();
        Scope twin = switch (scope.kind()) {
            case ORGANIZATION -> Scope.organization(ids.get(0));
            case PROJECT -> Scope.project(ids.get(0));
            case USER -> Scope.user(ids.get(0));
            case USER_IN_PROJECT -> Scope.userInProject(ids.get(0), ids.get(1));
            case USER_IN_ORGANIZATION -> Scope.userInOrganization(ids.get(0), ids.get(1));
        };
        assertThat(twin).isEqualTo(scope);
        assertThat(Scope.parse(scope.key())).isEqualTo(scope);
        assertThat(twin.key()).isEqualTo(scope.key());
        assertThat(scope.key().value()).startsWith(scope.kind().model().table() + ":");
    }

    @Provide
    Arbitrary<List<Scope>> scopeLists() {
        return scopes().list().ofMaxSize(60);
    }

    /** Small identifiers collide across kinds all the time; large ones probe the number format. */
    @Provide
    Arbitrary<Scope> scopes() {
        Arbitrary<Long> ids = Arbitraries.oneOf(
                Arbitraries.longs().between(1, 12),
                Arbitraries.longs().between(1, Long.MAX_VALUE));
        return Arbitraries.oneOf(
                ids.map(Scope::organization),
                ids.map(Scope::project),
                ids.map(Scope::user),
                Combinators.combine(ids, ids).as(Scope::userInProject),
                Combinators.combine(ids, ids).as(Scope::userInOrganization));
    }
}
