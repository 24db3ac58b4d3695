package dev.options.security;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The test profile with authentication on, as in production, and an access log to search for leaks. */
public class AuthOn implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("options.auth.enabled", "true",
                "quarkus.http.access-log.enabled", "true",
                "quarkus.log.category.\"dev.options\".level", "DEBUG");
    }
}
