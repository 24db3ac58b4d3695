package dev.options.registry;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A default changed in the registry (a restart with another file: theme light becomes dark) shows
 * on every read path for scopes that never chose, with no data migration, and not for those that did.
 * {@link UnchangedDefaultTest} runs the same checks with the original registry.
 */
@QuarkusTest
@TestProfile(ChangedDefaultTest.ChangedRegistry.class)
class ChangedDefaultTest {

    public static class ChangedRegistry implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.registry.path", "classpath:registry-test-changed-defaults.yaml");
        }
    }

    @Test
    void theNewDefaultReachesEveryScopeThatNeverChose() {
        DefaultsOnEveryReadPath.check("dark");
    }
}
