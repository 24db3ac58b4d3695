package dev.options.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;

/**
 * The contract ({@code META-INF/openapi.yaml}, served at {@code /q/openapi}) and the service agree:
 * the document is valid OpenAPI 3.1; every route the service has is documented and every documented
 * path is routed; and a tour that calls every documented operation gets only documented statuses,
 * with bodies that validate against the documented schemas.
 */
@QuarkusTest
class ContractTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> METHODS = Set.of("get", "put", "post", "patch", "delete");
    private static JsonNode contract;

    @TestHTTPResource("/")
    URI base;

    @BeforeAll
    static void readContract() throws IOException {
        try (InputStream in = ContractTest.class.getResourceAsStream("/META-INF/openapi.yaml")) {
            contract = YAML.readTree(in);
        }
    }

    @Test
    void theDocumentIsValidOpenApi31AndIsWhatTheServiceServes() throws IOException {
        String text;
        try (InputStream in = ContractTest.class.getResourceAsStream("/META-INF/openapi.yaml")) {
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(text);
        assertThat(parsed.getMessages()).as("what the parser found wrong").isEmpty();
        assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");

        Http.Answer served = new Http(base).get("/q/openapi?format=json");
        assertThat(served.status()).isEqualTo(200);
        JsonNode document = served.json();
        assertThat(operations(document)).as("the operations served").isEqualTo(operations(contract));
        assertThat(document.get("components").get("schemas")).isEqualTo(contract.get("components").get("schemas"));
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedPathIsRouted() {
        List<String> routes = routes();
        List<String> documented = new ArrayList<>();
        contract.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (METHODS.contains(method)) {
                documented.add(method.toUpperCase() + " " + path.getKey().replaceAll("\\{[A-Za-z]+Id\\}", "1").replace("{key}", "k"));
            }
        }));
        for (String call : documented) {
            assertThat(routes).as("a route for %s", call).anyMatch(route -> call.matches(route));
        }
        Http http = new Http(base);
        for (String route : routes) {
            if (documented.stream().anyMatch(call -> call.matches(route))) {
                continue;
            }
            // a route of its own only to answer 405 with the methods the path has, on a documented path
            String method = route.substring(0, route.indexOf(' '));
            String path = route.substring(route.indexOf(' ') + 1);
            String call = documented.stream().map(known -> known.substring(known.indexOf(' ') + 1))
                    .filter(known -> known.matches(path)).findFirst()
                    .orElseThrow(() -> new AssertionError("no documented path for the route " + route));
            Http.Answer answer = http.send(method, call, "application/json", "{}");
            assertThat(answer.status()).as("%s %s, undocumented, answers only 405", method, call).isEqualTo(405);
            assertThat(answer.header("Allow")).isNotBlank();
        }
    }

    /** Every route of the REST resources (and the hot-read routes ahead of them), as "METHOD path-regex". */
    private static List<String> routes() {
        List<String> routes = new ArrayList<>();
        for (JavaClass resource : new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.options")) {
            if (!resource.isAnnotatedWith(Path.class)) {
                continue;
            }
            Class<?> type = resource.reflect();
            String root = type.getAnnotation(Path.class).value();
            if (root.startsWith("/dev")) {
                continue; // the token minter of dev builds, no part of the contract
            }
            for (Method method : type.getDeclaredMethods()) {
                for (var annotation : method.getAnnotations()) {
                    HttpMethod http = annotation.annotationType().getAnnotation(HttpMethod.class);
                    if (http != null) {
                        Path sub = method.getAnnotation(Path.class);
                        String template = sub == null ? root : root.replaceAll("/$", "") + "/" + sub.value().replaceAll("^/", "");
                        routes.add(http.value() + " " + regex(template));
                    }
                }
            }
        }
        routes.add("GET " + regex(dev.options.rest.HotReads.PATH));
        routes.add("GET " + regex(dev.options.rest.HotReads.NARROWED));
        return routes;
    }

    /** A JAX-RS ({name: regex}, {name}) or Vert.x (:name) path template as a regular expression. */
    private static String regex(String template) {
        StringBuilder regex = new StringBuilder();
        Matcher parameter = Pattern.compile("\\{\\s*\\w+\\s*:\\s*([^}]+)\\}|\\{\\w+\\}|:\\w+").matcher(template);
        int at = 0;
        while (parameter.find()) {
            regex.append(Pattern.quote(template.substring(at, parameter.start())));
            regex.append(parameter.group(1) != null ? "(?:" + parameter.group(1).trim() + ")" : "[^/]+");
            at = parameter.end();
        }
        regex.append(Pattern.quote(template.substring(at)));
        return regex.toString();
    }

    /** path -> method -> operationId. */
    private static Map<String, Map<String, String>> operations(JsonNode document) {
        Map<String, Map<String, String>> operations = new TreeMap<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(method -> {
            if (METHODS.contains(method.getKey())) {
                operations.computeIfAbsent(path.getKey(), ignored -> new TreeMap<>())
                        .put(method.getKey(), method.getValue().path("operationId").asText());
            }
        }));
        return operations;
    }

    @Test
    void aTourOfEveryOperationGetsDocumentedStatusesAndBodies() {
        Tour tour = new Tour(new Http(base));
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        long user = Fixtures.newId();
        String[][] kinds = {
                {"Organization", "/v1/organizations/" + organization},
                {"Project", "/v1/projects/" + project},
                {"User", "/v1/users/" + user},
                {"UserInProject", "/v1/users/" + user + "/projects/" + project},
                {"UserInOrganization", "/v1/users/" + user + "/organizations/" + organization},
        };
        tour.call("registerProject", 200, "PUT", "/v1/projects/" + project, "application/json", "{\"organization\": " + organization + "}");
        tour.call("getProjectOrganization", 200, "GET", "/v1/projects/" + project, null, null);
        tour.call("getProjectOrganization", 404, "GET", "/v1/projects/" + Fixtures.newId(), null, null);
        for (String[] kind : kinds) {
            String name = kind[0];
            String b = kind[1];
            String s = b + "/options";
            Http.Answer written = tour.call("put" + name + "Option", 200, "PUT", s + "/tour.a", "application/json", "\"first\"");
            tour.call("get" + name + "Options", 200, "GET", s, null, null);
            tour.call("get" + name + "Options", 304, "GET", s, null, null, "If-None-Match", written.etag());
            tour.call("get" + name + "Options", 200, "GET", s + "?inherit=true", null, null);
            tour.call("get" + name + "Options", 200, "GET", s + "?version=1", null, null);
            tour.call("get" + name + "Options", 404, "GET", s + "?version=99", null, null);
            tour.call("get" + name + "Options", 400, "GET", s + "?defaults=sometimes", null, null);
            tour.call("get" + name + "Option", 200, "GET", s + "/tour.a", null, null);
            tour.call("get" + name + "Option", 404, "GET", s + "/tour.none", null, null);
            tour.call("get" + name + "Option", 400, "GET", s + "/not%20a%20key", null, null);
            tour.call("patch" + name + "Options", 200, "PATCH", s, "application/merge-patch+json", "{\"tour.b\": {\"x\": 1}, \"tour.a\": \"second\"}");
            tour.call("patch" + name + "Options", 412, "PATCH", s, "application/merge-patch+json", "{\"tour.b\": 2}", "If-Match", "\"1\"");
            tour.call("patch" + name + "Options", 415, "PATCH", s, "text/plain", "tour.b=2");
            tour.call("patch" + name + "Options", 400, "PATCH", s, "application/json", "{not json");
            tour.call("put" + name + "Option", 400, "PUT", s + "/tour.a", "application/json", "null");
            tour.call("delete" + name + "Option", 200, "DELETE", s + "/tour.b", null, null);
            tour.call("explain" + name + "Option", 200, "GET", s + "/tour.a/explain", null, null);
            tour.call("get" + name + "History", 200, "GET", b + "/history?limit=10", null, null);
            tour.call("get" + name + "History", 400, "GET", b + "/history?limit=0", null, null);
            tour.call("revert" + name, 200, "POST", b + "/revert", "application/json", "{\"version\": 1}");
            tour.call("revert" + name, 400, "POST", b + "/revert", "application/json", "{\"version\": \"one\"}");
            tour.call("get" + name + "Epoch", 200, "GET", b + "/epoch", null, null);
            tour.call("move" + name + "Epoch", 422, "PUT", b + "/epoch", "application/json", "{\"epoch\": 1}");
            tour.call("reset" + name + "Options", 200, "DELETE", s, null, null);
        }
        for (String[] kind : List.of(kinds[0], kinds[1])) {
            tour.call("put" + kind[0] + "Option", 200, "PUT", kind[1] + "/options/tour.locked", "application/json", "true");
        }
        for (String[] kind : List.of(kinds[0], kinds[1])) {
            tour.call("lock" + kind[0] + "Option", 200, "PUT", kind[1] + "/locks/tour.locked", null, null);
        }
        tour.call("putUserInProjectOption", 409, "PUT", kinds[3][1] + "/options/tour.locked", "application/json", "false");
        tour.call("unlockOrganizationOption", 200, "DELETE", kinds[0][1] + "/locks/tour.locked", null, null);
        tour.call("unlockProjectOption", 200, "DELETE", kinds[1][1] + "/locks/tour.locked", null, null);
        tour.call("getProjectOptionInBulk", 200, "GET", "/v1/projects/options/tour.locked?ids=" + project + ",1", null, null);
        tour.call("getOrganizationOptionInBulk", 200, "GET", "/v1/organizations/options/tour.locked?ids=" + organization, null, null);
        tour.call("getUserOptionInBulk", 200, "GET", "/v1/users/options/tour.a?ids=" + user, null, null);
        tour.call("getUserOptionInBulk", 400, "GET", "/v1/users/options/tour.a?ids=x", null, null);
        Http.Answer definitions = tour.call("listDefinitions", 200, "GET", "/v1/definitions", null, null);
        String defined = definitions.json().get("definitions").get(0).get("key").asText();
        tour.call("getDefinition", 200, "GET", "/v1/definitions/" + defined, null, null);
        tour.call("getDefinition", 404, "GET", "/v1/definitions/tour.undefined", null, null);
        tour.call("getDefaultImpact", 400, "GET", "/v1/definitions/" + defined + "/impact", null, null);
        tour.call("streamChanges", 400, "GET", "/v1/changes", null, null, "Last-Event-ID", "not-an-id");

        Set<String> documented = new TreeSet<>();
        operations(contract).values().forEach(byMethod -> documented.addAll(byMethod.values()));
        assertThat(tour.called).as("operations the tour called").containsAll(documented);
    }

    /** Calls operations and checks each answer against what the contract documents for it. */
    private static final class Tour {

        private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        private final Http http;
        private final Set<String> called = new TreeSet<>();

        Tour(Http http) {
            this.http = http;
        }

        Http.Answer call(String operationId, int expected, String method, String path, String contentType, String body,
                String... headers) {
            Http.Answer answer = http.send(method, path, contentType, body, headers);
            assertThat(answer.status()).as("%s %s: %s", method, path, answer.body()).isEqualTo(expected);
            JsonNode operation = operation(operationId);
            JsonNode response = resolve(operation.get("responses").get(String.valueOf(expected)));
            assertThat(response).as("%s documents %d", operationId, expected).isNotNull();
            JsonNode content = response.get("content");
            if (content == null) {
                assertThat(answer.body()).as("%s %d has no body", operationId, expected).isEmpty();
            } else {
                String mediaType = answer.contentType().replaceAll(";.*", "").trim();
                JsonNode documented = content.get(mediaType);
                assertThat(documented).as("%s %d documents %s", operationId, expected, mediaType).isNotNull();
                List<Error> wrong = schema(documented.get("schema")).validate(answer.json());
                assertThat(wrong).as("%s %d: %s against its schema", operationId, expected, answer.body()).isEmpty();
            }
            called.add(operationId);
            return answer;
        }

        private static JsonNode operation(String operationId) {
            for (var path : (Iterable<Map.Entry<String, JsonNode>>) contract.get("paths")::fields) {
                for (var method : (Iterable<Map.Entry<String, JsonNode>>) path.getValue()::fields) {
                    if (METHODS.contains(method.getKey()) && operationId.equals(method.getValue().path("operationId").asText())) {
                        return method.getValue();
                    }
                }
            }
            throw new AssertionError("no operation " + operationId + " in the contract");
        }

        private static JsonNode resolve(JsonNode node) {
            if (node != null && node.has("$ref")) {
                return contract.at(node.get("$ref").asText().substring(1));
            }
            return node;
        }

        /** The documented schema, its references resolved within the contract's components. */
        private static Schema schema(JsonNode documented) {
            ObjectNode root = ((ObjectNode) documented.deepCopy());
            root.set("components", contract.get("components"));
            return SCHEMAS.getSchema(root);
        }
    }
}
