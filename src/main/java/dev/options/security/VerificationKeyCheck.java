package dev.options.security;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.options.config.OptionsConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * Refuses to start with a verification key fetched over the network (a JWKS URL) while tokens are
 * verified on the event loops: fetching and refreshing it there would block them. Such a key
 * needs {@code quarkus.smallrye-jwt.blocking-authentication=true}, which verifies on worker threads.
 */
@ApplicationScoped
class VerificationKeyCheck {

    void check(@Observes StartupEvent event, OptionsConfig config,
            @ConfigProperty(name = "mp.jwt.verify.publickey.location") Optional<String> location,
            @ConfigProperty(name = "quarkus.smallrye-jwt.blocking-authentication", defaultValue = "false") boolean blocking) {
        problem(config.auth().enabled(), location, blocking).ifPresent(message -> {
            throw new IllegalStateException(message);
        });
    }

    /** Why the key's location cannot be used as configured, if it cannot. */
    static Optional<String> problem(boolean authentication, Optional<String> location, boolean blocking) {
        boolean remote = location.map(String::trim).map(String::toLowerCase)
                .filter(value -> value.startsWith("http://") || value.startsWith("https://")).isPresent();
        if (authentication && remote && !blocking) {
            return Optional.of("mp.jwt.verify.publickey.location is a URL, which would be fetched on an event loop:"
                    + " set quarkus.smallrye-jwt.blocking-authentication=true (QUARKUS_SMALLRYE_JWT_BLOCKING_AUTHENTICATION)"
                    + " or give the key as a file");
        }
        return Optional.empty();
    }
}
