package dev.options.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.options.Database;
import dev.options.Fixtures;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * Who may do what, as a table: every endpoint against every kind of token, each with its documented
 * status. A user's token reaches no other user's scope by any path. Logs written meanwhile hold no
 * token and no option value.
 */
@QuarkusTest
@TestProfile(AuthOn.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthorizationMatrixTest {

    static final long USER = Fixtures.newId();
    static final long OTHER = Fixtures.newId();
    static final long ORGANIZATION = Fixtures.newId();
    static final long PROJECT = Fixtures.newId();
    static final String SECRET = "s3cr3t-option-value-" + Fixtures.newId();

    private static final List<String> LOGGED = new ArrayList<>();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (LOGGED) {
                LOGGED.add(String.valueOf(record.getMessage()) + " " + java.util.Arrays.toString(record.getParameters())
                        + (record.getThrown() == null ? "" : " " + record.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static final List<String> TOKENS_USED = new ArrayList<>();

    @TestHTTPResource("/")
    URI base;

    /** The kinds of token, each with the statuses of the endpoints below, in their order. */
    enum Token {
        NONE(() -> null, "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        MALFORMED(() -> "not.a.jwt", "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        BAD_SIGNATURE(() -> Tokens.badSignature(USER), "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        EXPIRED(() -> Tokens.expired(USER), "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        WRONG_ISSUER(() -> Tokens.wrongIssuer(USER), "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        WRONG_AUDIENCE(() -> Tokens.wrongAudience(USER), "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
        OWN_USER(() -> Tokens.user(USER), "200 200 200 200 403 403 403 403 200 403 200 403 200 403 200 403 403 403 403 200 200 200 403 403"),
        OTHER_USER(() -> Tokens.user(OTHER), "403 403 403 403 403 403 403 403 403 403 200 403 403 403 403 403 403 403 403 403 403 403 403 403"),
        READER(() -> Tokens.group("options-reader"), "200 403 200 403 200 403 200 403 200 200 200 200 200 200 200 403 200 403 403 200 200 200 403 200"),
        ADMIN(() -> Tokens.group("options-admin"), "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200"),
        MEMBER(() -> Tokens.member(OTHER, List.of(ORGANIZATION), List.of(PROJECT)), "403 403 403 403 200 403 200 403 403 200 200 403 403 403 403 403 200 403 403 403 403 403 403 403"),
        NON_MEMBER(() -> Tokens.member(OTHER, List.of(ORGANIZATION + 1), List.of(PROJECT + 1)), "403 403 403 403 403 403 403 403 403 403 200 403 403 403 403 403 403 403 403 403 403 403 403 403");

        final Supplier<String> token;
        final String[] statuses;

        Token(Supplier<String> token, String statuses) {
            this.token = token;
            this.statuses = statuses.split(" ");
        }
    }

    record Endpoint(String name, String method, String path, String body) {
    }

    static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("read own user scope", "GET", "/v1/users/" + USER + "/options", null),
            new Endpoint("write own user scope", "PUT", "/v1/users/" + USER + "/options/secret", "\"" + SECRET + "\""),
            new Endpoint("read user in project, inherited", "GET", "/v1/users/" + USER + "/projects/" + PROJECT + "/options?inherit=true", null),
            new Endpoint("patch user in organization", "PATCH", "/v1/users/" + USER + "/organizations/" + ORGANIZATION + "/options", "{\"enabled\": true}"),
            new Endpoint("read organization", "GET", "/v1/organizations/" + ORGANIZATION + "/options", null),
            new Endpoint("write organization", "PUT", "/v1/organizations/" + ORGANIZATION + "/options/ui.density", "2"),
            new Endpoint("read project key", "GET", "/v1/projects/" + PROJECT + "/options/theme", null),
            new Endpoint("reset project", "DELETE", "/v1/projects/" + PROJECT + "/options", null),
            new Endpoint("bulk users", "GET", "/v1/users/options/theme?ids=" + USER, null),
            new Endpoint("bulk organizations", "GET", "/v1/organizations/options/theme?ids=" + ORGANIZATION, null),
            new Endpoint("definitions", "GET", "/v1/definitions", null),
            new Endpoint("change feed, everything", "GET", "/v1/changes", null),
            new Endpoint("change feed, own scope", "GET", "/v1/changes?scope=user_options:" + USER + ":user", null),
            // the router takes a trailing slash for the same resource: authorized as the same resource
            new Endpoint("change feed, trailing slash", "GET", "/v1/changes/", null),
            new Endpoint("change feed, trailing slash, own scope", "GET", "/v1/changes/?scope=user_options:" + USER + ":user", null),
            new Endpoint("register project", "PUT", "/v1/projects/" + PROJECT, "{\"organization\": " + ORGANIZATION + "}"),
            new Endpoint("read project registration", "GET", "/v1/projects/" + PROJECT, null),
            new Endpoint("lock organization key", "PUT", "/v1/organizations/" + ORGANIZATION + "/locks/digest", null),
            new Endpoint("unlock project key", "DELETE", "/v1/projects/" + PROJECT + "/locks/digest", null),
            new Endpoint("explain user in project", "GET", "/v1/users/" + USER + "/projects/" + PROJECT + "/options/theme/explain", null),
            new Endpoint("change feed, own scope inherited", "GET",
                    "/v1/changes?scope=user_options:" + USER + ":project:" + PROJECT + "&inherit=true", null),
            new Endpoint("read own epoch", "GET", "/v1/users/" + USER + "/epoch", null),
            new Endpoint("move organization epoch", "PUT", "/v1/organizations/" + ORGANIZATION + "/epoch", "{\"epoch\": 3}"),
            new Endpoint("impact of a default", "GET", "/v1/definitions/sidebar/impact?default=%22dense%22", null));

    static Stream<Arguments> matrix() {
        List<Arguments> cases = new ArrayList<>();
        for (Token token : Token.values()) {
            for (int i = 0; i < ENDPOINTS.size(); i++) {
                cases.add(Arguments.of(token, ENDPOINTS.get(i), Integer.parseInt(token.statuses[i])));
            }
        }
        return cases.stream();
    }

    @BeforeAll
    static void captureLogs() {
        Logger.getLogger("").addHandler(CAPTURE);
        // registered before any token tries to read the registration
        Database.execute("INSERT INTO option_scopes (scope_key, version, organization_id) VALUES (?, 1, ?)",
                "project_options:" + PROJECT, ORGANIZATION);
    }

    @AfterAll
    static void stopCapturing() {
        Logger.getLogger("").removeHandler(CAPTURE);
    }

    /** Sends a request and answers its status; a stream's body is not waited for. */
    int status(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
            synchronized (TOKENS_USED) {
                TOKENS_USED.add(token);
            }
        }
        if (body != null) {
            request.header("Content-Type", method.equals("PATCH") ? "application/merge-patch+json" : "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofLines());
        response.body().close();
        return response.statusCode();
    }

    @Order(1)
    @ParameterizedTest(name = "{0} {1}: {2}")
    @MethodSource("matrix")
    void everyEndpointAnswersEveryKindOfTokenAsDocumented(Token token, Endpoint endpoint, int expected) throws Exception {
        assertThat(status(endpoint.method(), endpoint.path(), endpoint.body(), token.token.get()))
                .as("%s with %s", endpoint.name(), token)
                .isEqualTo(expected);
    }

    @Order(2)
    @Test
    void aUserTokenReachesNoOtherUsersScopeByAnyPath() throws Exception {
        String mine = Tokens.user(OTHER);
        List<String> paths = List.of(
                "/v1/users/" + USER + "/options",
                "/v1/users/" + USER + "/options/secret",
                "/v1/users/" + USER + "/projects/" + PROJECT + "/options?inherit=true",
                "/v1/users/" + USER + "/organizations/" + ORGANIZATION + "/options",
                "/v1/users/options/secret?ids=" + OTHER + "," + USER,
                "/v1/changes?scope=user_options:" + OTHER + ":user&scope=user_options:" + USER + ":user");
        for (String path : paths) {
            assertThat(status("GET", path, null, mine)).as(path).isEqualTo(403);
        }
        assertThat(status("PUT", "/v1/users/" + USER + "/options/secret", "\"taken\"", mine)).isEqualTo(403);
        // the body of a caller who may not write is never parsed: refused, whatever it holds
        assertThat(status("PUT", "/v1/users/" + USER + "/options/secret", "1e131071", mine)).isEqualTo(403);
        assertThat(status("PATCH", "/v1/users/" + USER + "/options", "{\"a\": 1e131071, \"b\": tru", mine)).isEqualTo(403);
        assertThat(status("DELETE", "/v1/users/" + USER + "/options", null, mine)).isEqualTo(403);
        // and their own scope is theirs
        assertThat(status("PUT", "/v1/users/" + OTHER + "/options/secret", "\"" + SECRET + "\"", mine)).isEqualTo(200);
        assertThat(status("GET", "/v1/users/options/secret?ids=" + OTHER, null, mine)).isEqualTo(200);
    }

    @Order(2)
    @Test
    void noSpellingOfTheFeedsPathStreamsOtherTenantsChanges() throws Exception {
        String mine = Tokens.user(USER);
        String admin = Tokens.group("options-admin");
        for (String path : List.of("/v1/changes", "/v1/changes/", "/v1/changes;x=1", "/v1//changes", "/v1/changes//",
                "/v1/./changes", "/v1/changes/.", "/v1/%63hanges", "/v1/changes?", "/V1/changes")) {
            int asUser = status("GET", path, null, mine);
            assertThat(asUser).as("%s for a user's token, which may not follow everything", path).isIn(403, 404);
            if (asUser == 404) {
                assertThat(status("GET", path, null, admin)).as("%s maps to no resource at all", path).isEqualTo(404);
            }
        }
    }

    @Order(3)
    @Test
    void aRefusalSaysNothingOfWhatAScopeHolds() throws Exception {
        String stranger = Tokens.user(Fixtures.newId());
        int held = status("GET", "/v1/users/" + USER + "/options/secret", null, stranger);
        int absent = status("GET", "/v1/users/" + USER + "/options/nothing-here", null, stranger);
        int neverWritten = status("GET", "/v1/users/" + Fixtures.newId() + "/options", null, stranger);
        assertThat(List.of(held, absent, neverWritten)).containsOnly(403);
    }

    @Order(4)
    @Test
    void responsesCarryTheSecurityHeadersAndLogsHoldNoTokenAndNoValue() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/users/" + USER + "/options"))
                .header("Authorization", "Bearer " + Tokens.user(USER)).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains(SECRET);
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("Cache-Control").orElse("")).contains("private");
        HttpResponse<String> refused = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(base.resolve("/v1/users/" + USER + "/options")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");

        List<String> logged;
        synchronized (LOGGED) {
            logged = List.copyOf(LOGGED);
        }
        assertThat(logged).as("something was logged (the access log is on)").isNotEmpty();
        String all = String.join("\n", logged);
        assertThat(all).doesNotContain(SECRET);
        synchronized (TOKENS_USED) {
            for (String token : TOKENS_USED) {
                String signature = token.substring(token.lastIndexOf('.') + 1);
                assertThat(all).doesNotContain(token);
                if (signature.length() > 10) {
                    assertThat(all).doesNotContain(signature);
                }
            }
        }
    }
}
