package dev.options.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** {@link ConcurrentClientsTest} with {@code options.saves.batch=false}: the same guarantees, each save alone. */
@QuarkusTest
@TestProfile(UnbatchedSavesTest.Unbatched.class)
class UnbatchedConcurrentClientsTest extends ConcurrentClientsTest {
}
