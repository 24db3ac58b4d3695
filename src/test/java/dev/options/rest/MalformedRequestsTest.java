package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Bad input gets its documented 4xx problem and changes nothing: a table of malformed requests, each
 * sent at a scope that holds one option at version 1, which must hold exactly that afterwards.
 */
@QuarkusTest
public class MalformedRequestsTest {

    private static final String JSON = "application/json";
    private static final String MERGE = "application/merge-patch+json";
    static final long USER = Fixtures.newId();
    private static final String SCOPE = "/v1/users/" + USER + "/options";
    private static final String SCOPE_KEY = "user_options:" + USER + ":user";
    static boolean prepared;

    @TestHTTPResource("/")
    URI base;

    record Case(String name, String method, String path, String contentType, byte[] body, int status, String type,
            String... headers) {
        static Case of(String name, String method, String path, String contentType, String body, int status, String type,
                String... headers) {
            return new Case(name, method, path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                    status, type, headers);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Headers every request of the corpus carries (a token, when authentication is on). */
    protected String[] credentials() {
        return new String[0];
    }

    private String[] withCredentials(String... headers) {
        String[] all = java.util.Arrays.copyOf(credentials(), credentials().length + headers.length);
        System.arraycopy(headers, 0, all, credentials().length, headers.length);
        return all;
    }

    @BeforeEach
    void prepare() {
        if (!prepared) {
            Http.Answer answer = new Http(base).send("PUT", SCOPE + "/a", JSON, "1", credentials());
            assertThat(answer.status()).isEqualTo(200);
            prepared = true;
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        String id = "/v1/users/%s/options";
        // identifiers
        cases.add(Case.of("letters as id", "GET", String.format(id, "abc"), null, null, 400, "invalid-identifier"));
        cases.add(Case.of("zero id", "GET", String.format(id, "0"), null, null, 400, "invalid-identifier"));
        cases.add(Case.of("negative id", "PUT", String.format(id, "-5") + "/a", JSON, "1", 400, "invalid-identifier"));
        cases.add(Case.of("id above long", "PUT", String.format(id, "9223372036854775808") + "/a", JSON, "1", 400, "invalid-identifier"));
        cases.add(Case.of("huge id", "GET", "/v1/organizations/99999999999999999999999999/options", null, null, 400, "invalid-identifier"));
        cases.add(Case.of("decimal id", "GET", String.format(id, "1.5"), null, null, 400, "invalid-identifier"));
        cases.add(Case.of("plus sign id", "GET", String.format(id, "+5"), null, null, 400, "invalid-identifier"));
        cases.add(Case.of("hex id", "GET", "/v1/projects/0x10/options", null, null, 400, "invalid-identifier"));
        cases.add(Case.of("space id", "GET", String.format(id, "%20"), null, null, 400, "invalid-identifier"));
        cases.add(Case.of("bad project of user", "PUT", "/v1/users/" + USER + "/projects/abc/options/a", JSON, "1", 400, "invalid-identifier"));
        cases.add(Case.of("zero organization of user", "PATCH", "/v1/users/" + USER + "/organizations/0/options", MERGE, "{\"a\":2}", 400, "invalid-identifier"));
        cases.add(Case.of("sql in id", "DELETE", String.format(id, "1%3BDROP%20TABLE%20user_options"), null, null, 400, "invalid-identifier"));
        // bulk parameters
        cases.add(Case.of("bulk letter id", "GET", "/v1/users/options/a?ids=1,x", null, null, 400, "invalid-identifier"));
        cases.add(Case.of("bulk empty ids", "GET", "/v1/users/options/a?ids=", null, null, 400, "invalid-parameter"));
        cases.add(Case.of("bulk no ids", "GET", "/v1/users/options/a", null, null, 400, "invalid-parameter"));
        cases.add(Case.of("bulk empty member", "GET", "/v1/projects/options/a?ids=1,,2", null, null, 400, "invalid-identifier"));
        cases.add(Case.of("bulk zero id", "GET", "/v1/organizations/options/a?ids=0", null, null, 400, "invalid-identifier"));
        String tooMany = IntStream.rangeClosed(1, 1001).mapToObj(String::valueOf).collect(Collectors.joining(","));
        cases.add(Case.of("bulk 1001 ids", "GET", "/v1/projects/options/a?ids=" + tooMany, null, null, 400, "invalid-parameter"));
        cases.add(Case.of("bulk bad key", "GET", "/v1/users/options/a%20b?ids=" + USER, null, null, 400, "invalid-key"));
        // keys
        cases.add(Case.of("space in key", "PUT", SCOPE + "/a%20b", JSON, "1", 400, "invalid-key"));
        cases.add(Case.of("256 character key", "PUT", SCOPE + "/" + "k".repeat(256), JSON, "1", 400, "invalid-key"));
        cases.add(Case.of("cyrillic key", "PUT", SCOPE + "/%D0%BA%D0%BB%D1%8E%D1%87", JSON, "1", 400, "invalid-key"));
        cases.add(Case.of("sql in key", "PUT", SCOPE + "/a%27%3B%20DROP%20TABLE%20user_options%3B--", JSON, "1", 400, "invalid-key"));
        cases.add(Case.of("quote in key read", "GET", SCOPE + "/a%27--", null, null, 400, "invalid-key"));
        cases.add(Case.of("star in key delete", "DELETE", SCOPE + "/a*b", null, null, 400, "invalid-key"));
        cases.add(Case.of("emoji key", "DELETE", SCOPE + "/%F0%9F%98%80", null, null, 400, "invalid-key"));
        cases.add(Case.of("patch key with space", "PATCH", SCOPE, MERGE, "{\"a\": 2, \"bad key\": 1}", 400, "invalid-key"));
        cases.add(Case.of("patch empty key", "PATCH", SCOPE, MERGE, "{\"a\": 2, \"\": 1}", 400, "invalid-key"));
        cases.add(Case.of("patch key with dollar", "PATCH", SCOPE, MERGE, "{\"a$\": 1}", 400, "invalid-key"));
        cases.add(Case.of("patch key with nul", "PATCH", SCOPE, MERGE, "{\"a\\u0000\": 1}", 400, "invalid-key"));
        // broken JSON
        cases.add(Case.of("unterminated object", "PUT", SCOPE + "/a", JSON, "{", 400, "malformed-json"));
        cases.add(Case.of("empty body", "PUT", SCOPE + "/a", JSON, "", 400, "malformed-json"));
        cases.add(Case.of("whitespace body", "PUT", SCOPE + "/a", JSON, "   ", 400, "malformed-json"));
        cases.add(Case.of("single quotes", "PUT", SCOPE + "/a", JSON, "'x'", 400, "malformed-json"));
        cases.add(Case.of("trailing comma", "PUT", SCOPE + "/a", JSON, "[1,]", 400, "malformed-json"));
        cases.add(Case.of("two values", "PUT", SCOPE + "/a", JSON, "1 2", 400, "malformed-json"));
        cases.add(Case.of("duplicate member", "PUT", SCOPE + "/a", JSON, "{\"x\":1,\"x\":2}", 400, "malformed-json"));
        cases.add(Case.of("NaN", "PUT", SCOPE + "/a", JSON, "NaN", 400, "malformed-json"));
        cases.add(Case.of("truncated literal", "PUT", SCOPE + "/a", JSON, "tru", 400, "malformed-json"));
        cases.add(Case.of("bare word", "PUT", SCOPE + "/a", JSON, "fr", 400, "malformed-json"));
        cases.add(Case.of("patch missing value", "PATCH", SCOPE, MERGE, "{\"a\": }", 400, "malformed-json"));
        cases.add(Case.of("too deep", "PUT", SCOPE + "/a", JSON, "[".repeat(300) + "]".repeat(300), 400, "malformed-json"));
        cases.add(new Case("invalid utf-8", "PUT", SCOPE + "/a", JSON, new byte[] { '"', (byte) 0xC3, (byte) 0x28, '"' }, 400,
                "malformed-json"));
        cases.add(new Case("utf-16 body", "PUT", SCOPE + "/a", JSON, "\"x\"".getBytes(StandardCharsets.UTF_16), 400, "malformed-json"));
        // odd unicode
        cases.add(Case.of("nul character", "PUT", SCOPE + "/a", JSON, "\"a\\u0000b\"", 400, "invalid-value"));
        cases.add(Case.of("lone high surrogate", "PUT", SCOPE + "/a", JSON, "\"\\ud800\"", 400, "invalid-value"));
        cases.add(Case.of("lone low surrogate", "PUT", SCOPE + "/a", JSON, "[\"\\udc00x\"]", 400, "invalid-value"));
        cases.add(Case.of("nul in member name", "PUT", SCOPE + "/a", JSON, "{\"k\\u0000\": 1}", 400, "invalid-value"));
        cases.add(Case.of("reversed surrogates", "PATCH", SCOPE, MERGE, "{\"a\": \"\\udc00\\ud800\"}", 400, "invalid-value"));
        // null and non-object patches
        cases.add(Case.of("null value", "PUT", SCOPE + "/a", JSON, "null", 400, "null-value"));
        cases.add(Case.of("padded null value", "PUT", SCOPE + "/a", JSON, "  null\n", 400, "null-value"));
        cases.add(Case.of("patch array", "PATCH", SCOPE, MERGE, "[1]", 400, "invalid-value"));
        cases.add(Case.of("patch string", "PATCH", SCOPE, MERGE, "\"a\"", 400, "invalid-value"));
        cases.add(Case.of("patch null", "PATCH", SCOPE, MERGE, "null", 400, "invalid-value"));
        // sizes and counts
        cases.add(Case.of("value over 64 KiB", "PUT", SCOPE + "/a", JSON, "\"" + "x".repeat(70_000) + "\"", 413, "value-too-large"));
        cases.add(Case.of("patch value over 64 KiB", "PATCH", SCOPE, MERGE, "{\"b\": [\"" + "y".repeat(66_000) + "\"]}", 413,
                "value-too-large"));
        cases.add(Case.of("body over 1 MiB", "PATCH", SCOPE, MERGE, "{\"b\": \"" + "z".repeat(1_100_000) + "\"}", 413,
                "body-too-large"));
        String manyKeys = IntStream.rangeClosed(1, 1000).mapToObj(i -> "\"k" + i + "\": " + i).collect(Collectors.joining(",", "{", "}"));
        cases.add(Case.of("1001 keys in a scope", "PATCH", SCOPE, MERGE, manyKeys, 422, "too-many-keys"));
        cases.add(Case.of("number beyond numeric", "PUT", SCOPE + "/a", JSON, "1e1000000", 422, "unstorable-value"));
        cases.add(Case.of("fraction beyond numeric", "PUT", SCOPE + "/a", JSON, "1e-20000", 422, "unstorable-value"));
        cases.add(Case.of("exponent beyond an int", "PATCH", SCOPE, MERGE, "{\"a\": 0e99999999999}", 422, "unstorable-value"));
        cases.add(Case.of("number longer than can be read back", "PUT", SCOPE + "/a", JSON, "1e1000", 422, "unstorable-value"));
        // content types
        cases.add(Case.of("text/plain", "PUT", SCOPE + "/a", "text/plain", "2", 415, "unsupported-media-type"));
        cases.add(Case.of("form body", "PUT", SCOPE + "/a", "application/x-www-form-urlencoded", "a=2", 415, "unsupported-media-type"));
        cases.add(Case.of("xml body", "PUT", SCOPE + "/a", "application/xml", "<a>2</a>", 415, "unsupported-media-type"));
        cases.add(Case.of("json patch", "PATCH", SCOPE, "application/json-patch+json", "[]", 415, "unsupported-media-type"));
        cases.add(Case.of("merge patch on put", "PUT", SCOPE + "/a", MERGE, "2", 415, "unsupported-media-type"));
        cases.add(Case.of("no content type", "PUT", SCOPE + "/a", null, "2", 415, "unsupported-media-type"));
        // headers and parameters
        cases.add(Case.of("unquoted If-Match", "PUT", SCOPE + "/a", JSON, "2", 400, "invalid-header", "If-Match", "1"));
        cases.add(Case.of("garbage If-Match", "DELETE", SCOPE, null, null, 400, "invalid-header", "If-Match", "\"1"));
        cases.add(Case.of("stale If-Match", "PATCH", SCOPE, MERGE, "{\"a\": 2}", 412, "version-mismatch", "If-Match", "\"0\""));
        cases.add(Case.of("opaque If-Match", "DELETE", SCOPE + "/a", null, null, 412, "version-mismatch", "If-Match", "\"abc\""));
        cases.add(Case.of("weak If-Match", "PUT", SCOPE + "/a", JSON, "2", 412, "version-mismatch", "If-Match", "W/\"1\""));
        cases.add(Case.of("bad defaults parameter", "GET", SCOPE + "?defaults=maybe", null, null, 400, "invalid-parameter"));
        cases.add(Case.of("bad If-None-Match", "GET", SCOPE, null, null, 400, "invalid-header", "If-None-Match", "abc"));
        // methods and paths
        cases.add(Case.of("POST to a scope", "POST", SCOPE, JSON, "{\"a\": 2}", 405, "method-not-allowed"));
        cases.add(Case.of("PUT a whole scope", "PUT", SCOPE, JSON, "{\"a\": 2}", 405, "method-not-allowed"));
        cases.add(Case.of("unknown path", "PUT", "/v1/users/" + USER + "/optionz/a", JSON, "2", 404, "not-found"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answersItsProblemAndChangesNothing(Case c) {
        Http.Answer answer = new Http(base).sendBytes(c.method(), c.path(), c.contentType(), c.body(), withCredentials(c.headers()));

        assertThat(answer.status()).as("status of %s: %s", c.name(), answer.body()).isEqualTo(c.status());
        assertThat(answer.contentType()).as("content type").startsWith("application/problem+json");
        assertThat(answer.json().get("type").asText())
                .isEqualTo("/problems/" + c.type());
        assertThat(answer.body()).doesNotContain("Exception").doesNotContain("SELECT").doesNotContain("dev.options");
        assertThat(Database.version(SCOPE_KEY)).as("version after %s", c.name()).isEqualTo(1);
        assertThat(Database.userRows(USER)).as("rows after %s", c.name()).isEqualTo(1);
        assertThat(Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND key = 'a'", USER)).isEqualTo("1");
    }
}
