package dev.options.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Requests generated from the contract (META-INF/openapi.yaml) against the service with
 * authentication on: every documented operation, with its path, query and header parameters and
 * bodies drawn valid and invalid from their schemas (jqwik's arbitraries), with and without tokens
 * (an admin's, a reader's, a user's, expired, forged). No answer is a 5xx, and every answer's status
 * is one the contract documents for that operation.
 */
@QuarkusTest
@TestProfile(AuthOn.class)
class ContractFuzzTest {

    private static final int REQUESTS = 1500;
    private static final Set<String> METHODS = Set.of("get", "put", "post", "patch", "delete");

    @TestHTTPResource("/")
    URI base;

    private record Operation(String method, String path, JsonNode operation, JsonNode pathItem) {
    }

    @Test
    void generatedRequestsGetOnlyDocumentedStatusesAndNever5xx() throws IOException {
        JsonNode contract;
        try (InputStream in = ContractFuzzTest.class.getResourceAsStream("/META-INF/openapi.yaml")) {
            contract = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        List<Operation> operations = new ArrayList<>();
        contract.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(method -> {
            if (METHODS.contains(method.getKey())) {
                operations.add(new Operation(method.getKey().toUpperCase(), path.getKey(), method.getValue(), path.getValue()));
            }
        }));
        Http http = new Http(base);
        long user = Fixtures.newId();
        List<String> tokens = new ArrayList<>();
        tokens.add(null);
        tokens.add(Tokens.group("options-admin"));
        tokens.add(Tokens.group("options-reader"));
        tokens.add(Tokens.user(user));
        tokens.add(Tokens.expired(user));
        tokens.add(Tokens.badSignature(user));
        tokens.add("not-a-token");
        Random random = new Random(Long.getLong("fuzz.seed", 20261207L));
        Arbitrary<String> junk = Arbitraries.strings().all().ofMaxLength(40);
        Set<String> undocumented = new TreeSet<>();
        Set<Integer> seen = new TreeSet<>();
        for (int i = 0; i < REQUESTS; i++) {
            Operation operation = operations.get(random.nextInt(operations.size()));
            List<JsonNode> parameters = new ArrayList<>();
            operation.pathItem().path("parameters").forEach(parameters::add);
            operation.operation().path("parameters").forEach(parameters::add);
            String path = operation.path();
            StringBuilder query = new StringBuilder();
            List<String> headers = new ArrayList<>();
            for (JsonNode reference : parameters) {
                JsonNode parameter = resolve(contract, reference);
                String name = parameter.get("name").asText();
                String in = parameter.get("in").asText();
                boolean required = parameter.path("required").asBoolean(false);
                if (!required && random.nextInt(3) == 0) {
                    continue;
                }
                String value = random.nextInt(5) == 0 ? junk.sample() : valid(parameter.get("schema"), random, user);
                switch (in) {
                    case "path" -> path = path.replace("{" + name + "}", encode(value.isEmpty() ? "x" : value));
                    case "query" -> query.append(query.length() == 0 ? "?" : "&").append(name).append('=').append(encode(value));
                    case "header" -> {
                        if (!name.equals("Last-Event-ID") && value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                            headers.add(name);
                            headers.add(value);
                        }
                    }
                    default -> { }
                }
            }
            if (operation.operation().get("responses").path("200").path("$ref").asText().endsWith("ChangeStream")) {
                // an accepted stream never ends: only the requests the feed refuses are made of it here
                headers.add("Last-Event-ID");
                headers.add("not-an-id-" + random.nextInt(100));
            }
            String token = tokens.get(random.nextInt(tokens.size()));
            if (token != null) {
                headers.add("Authorization");
                headers.add("Bearer " + token);
            }
            String contentType = null;
            String body = null;
            if (operation.operation().has("requestBody") || random.nextInt(10) == 0) {
                contentType = switch (random.nextInt(6)) {
                    case 0 -> "text/plain";
                    case 1 -> "application/merge-patch+json";
                    default -> "application/json";
                };
                body = switch (random.nextInt(6)) {
                    case 0 -> junk.sample();
                    case 1 -> "{\"version\": " + random.nextInt(5) + "}";
                    case 2 -> "{\"organization\": " + (random.nextInt(3) + 1) + "}";
                    case 3 -> "{\"epoch\": " + random.nextInt(4) + "}";
                    default -> json(random, 2);
                };
            }
            Http.Answer answer = http.send(operation.method(), path + query, contentType, body, headers.toArray(String[]::new));
            String call = operation.method() + " " + path + query + (body == null ? "" : " " + body);
            assertThat(answer.status()).as("%s: %s", call, answer.body()).isLessThan(500);
            seen.add(answer.status());
            if (!operation.operation().get("responses").has(String.valueOf(answer.status()))) {
                undocumented.add(operation.operation().get("operationId").asText() + " " + answer.status() + " (" + call + ")");
            }
        }
        assertThat(undocumented).as("answers whose status the contract does not document for the operation").isEmpty();
        // the requests reached past the door, and were refused at it, both
        assertThat(seen).as("statuses answered").contains(200, 400, 401, 403, 404);
    }

    private static JsonNode resolve(JsonNode contract, JsonNode node) {
        return node.has("$ref") ? contract.at(node.get("$ref").asText().substring(1)) : node;
    }

    /** A value the parameter's schema accepts, as text. */
    private static String valid(JsonNode schema, Random random, long user) {
        if (schema.has("enum")) {
            JsonNode choices = schema.get("enum");
            return choices.get(random.nextInt(choices.size())).asText();
        }
        String pattern = schema.path("pattern").asText("");
        switch (schema.path("type").asText("string")) {
            case "integer":
                long low = schema.path("minimum").asLong(0);
                long high = schema.path("maximum").asLong(low + 50);
                return String.valueOf(low + (long) (random.nextDouble() * (high - low + 1)));
            case "boolean":
                return String.valueOf(random.nextBoolean());
            case "array":
                return random.nextBoolean() ? String.valueOf(user) : user + "," + (user + 1);
            default:
                if (pattern.contains("[1-9][0-9]")) {
                    return random.nextBoolean() ? String.valueOf(user) : String.valueOf(1 + random.nextInt(1000));
                }
                if (pattern.contains("A-Za-z0-9_.:-")) {
                    return List.of("theme", "language", "fuzz.key", "a:b", "notifications.email", "x").get(random.nextInt(6));
                }
                return List.of("\"1\"", "*", "no-cache", "1-0", "\"dark\"", "true").get(random.nextInt(6));
        }
    }

    /** A random JSON document, objects of a few members at most {@code depth} deep. */
    private static String json(Random random, int depth) {
        int kind = random.nextInt(depth > 0 ? 7 : 5);
        return switch (kind) {
            case 0 -> String.valueOf(random.nextInt(2000) - 1000);
            case 1 -> "\"s" + random.nextInt(100) + "\"";
            case 2 -> String.valueOf(random.nextBoolean());
            case 3 -> "null";
            case 4 -> "1.5e" + random.nextInt(400);
            case 5 -> "[" + json(random, depth - 1) + ", " + json(random, depth - 1) + "]";
            default -> {
                StringBuilder object = new StringBuilder("{");
                int members = random.nextInt(4);
                for (int m = 0; m < members; m++) {
                    if (m > 0) {
                        object.append(", ");
                    }
                    object.append('"').append(List.of("theme", "k" + m, "bad key", "a.b").get(random.nextInt(4))).append("\": ")
                            .append(json(random, depth - 1));
                }
                yield object.append('}').toString();
            }
        };
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
