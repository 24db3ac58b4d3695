package dev.options.rest;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * {@link ConditionalSaveTest} with a scope's saves on this instance not waiting for each other: they
 * race the conditional statement and queue on the row lock, as the saves of several instances do.
 */
@QuarkusTest
@TestProfile(ConditionalSaveRacingTest.Racing.class)
class ConditionalSaveRacingTest extends ConditionalSaveTest {

    public static class Racing implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.saves.one-at-a-time", "false");
        }
    }
}
