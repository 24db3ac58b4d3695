package dev.options.security;

import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/** Tokens for tests, signed with the dev-only key (or, for the bad ones, otherwise wrong). */
final class Tokens {

    static final String ISSUER = "options-dev";
    static final String AUDIENCE = "options-service";

    private Tokens() {
    }

    static JwtClaimsBuilder claims(String subject) {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject(subject).expiresAt(Instant.now().plusSeconds(3600));
    }

    static String user(long id) {
        return claims(String.valueOf(id)).sign();
    }

    static String member(long id, List<Long> organizations, List<Long> projects) {
        return claims(String.valueOf(id)).claim("organizations", organizations).claim("projects", projects).sign();
    }

    static String group(String group) {
        return claims("1").groups(Set.of(group)).sign();
    }

    static String expired(long id) {
        return claims(String.valueOf(id)).issuedAt(Instant.now().minusSeconds(7200)).expiresAt(Instant.now().minusSeconds(3600)).sign();
    }

    static String wrongIssuer(long id) {
        return Jwt.issuer("someone-else").audience(AUDIENCE).subject(String.valueOf(id)).expiresAt(Instant.now().plusSeconds(3600)).sign();
    }

    static String wrongAudience(long id) {
        return Jwt.issuer(ISSUER).audience("another-service").subject(String.valueOf(id)).expiresAt(Instant.now().plusSeconds(3600)).sign();
    }

    static String badSignature(long id) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            PrivateKey stranger = generator.generateKeyPair().getPrivate();
            return claims(String.valueOf(id)).groups(Set.of("options-admin")).sign(stranger);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
