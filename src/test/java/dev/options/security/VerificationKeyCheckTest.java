package dev.options.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.Test;

/** A verification key fetched over the network is accepted only with verification off the event loops. */
class VerificationKeyCheckTest {

    @Test
    void aKeyUrlNeedsBlockingAuthentication() {
        assertThat(VerificationKeyCheck.problem(true, Optional.of("https://issuer.example/jwks"), false)).isPresent();
        assertThat(VerificationKeyCheck.problem(true, Optional.of(" HTTP://issuer.example/jwks"), false)).isPresent();
        assertThat(VerificationKeyCheck.problem(true, Optional.of("https://issuer.example/jwks"), true)).isEmpty();
        assertThat(VerificationKeyCheck.problem(true, Optional.of("/etc/options/jwt-public.pem"), false)).isEmpty();
        assertThat(VerificationKeyCheck.problem(true, Optional.empty(), false)).isEmpty();
        assertThat(VerificationKeyCheck.problem(false, Optional.of("https://issuer.example/jwks"), false))
                .as("nothing is verified with authentication off").isEmpty();
    }
}
