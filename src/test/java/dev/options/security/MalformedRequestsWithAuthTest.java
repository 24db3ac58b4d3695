package dev.options.security;

import dev.options.rest.MalformedRequestsTest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The malformed-request corpus again, with authentication on and an admin's token: still 4xx, nothing written. */
@QuarkusTest
@TestProfile(AuthOn.class)
class MalformedRequestsWithAuthTest extends MalformedRequestsTest {

    private static String admin;

    @Override
    protected String[] credentials() {
        if (admin == null) {
            admin = Tokens.group("options-admin");
        }
        return new String[] { "Authorization", "Bearer " + admin };
    }
}
