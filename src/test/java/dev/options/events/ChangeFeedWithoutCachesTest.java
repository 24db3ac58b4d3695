package dev.options.events;

import dev.options.option.RequestCacheTest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The change feed does not depend on the caches: the same tests with options.cache.enabled=false. */
@QuarkusTest
@TestProfile(RequestCacheTest.RequestCacheOnly.class)
class ChangeFeedWithoutCachesTest extends ChangeFeedTest {
}
