package dev.options.registry;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The baseline of {@link ChangedDefaultTest}: the same scopes under the original registry. */
@QuarkusTest
class UnchangedDefaultTest {

    @Test
    void theOriginalDefaultShowsOnEveryReadPath() {
        DefaultsOnEveryReadPath.check("light");
    }
}
