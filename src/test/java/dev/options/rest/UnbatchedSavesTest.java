package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * {@link QueuedSavesTogetherTest} with {@code options.saves.batch=false}: every save its own
 * statement, none made by another's, and clients see exactly the same.
 */
@QuarkusTest
@TestProfile(UnbatchedSavesTest.Unbatched.class)
class UnbatchedSavesTest extends QueuedSavesTogetherTest {

    public static class Unbatched implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.saves.batch", "false");
        }
    }

    @Override
    void assertFollowed(double saves) {
        assertThat(saves).as("saves made by another's statement, batching off").isZero();
    }
}
