package dev.options.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Every manifest under deploy/ and every Dockerfile checked against the application they deploy:
 * probes that exist and answer, the right port, only real configuration in the environment, pinned
 * images, resources and security contexts everywhere.
 */
@QuarkusTest
class ManifestsTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Path DEPLOY = Path.of("deploy");

    private static List<JsonNode> documents(Path file) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            List<JsonNode> all = new ArrayList<>();
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    all.add(doc);
                }
            }
            return all;
        } catch (IOException e) {
            throw new IllegalStateException(file + " does not parse: " + e.getMessage(), e);
        }
    }

    private static List<JsonNode> allDocuments() throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                all.addAll(documents(file));
            }
        }
        return all;
    }

    private static List<JsonNode> workloads(List<JsonNode> documents) {
        return documents.stream()
                .filter(doc -> Set.of("Deployment", "StatefulSet").contains(doc.path("kind").asText()))
                .toList();
    }

    private static JsonNode serviceContainer(List<JsonNode> documents) {
        return workloads(documents).stream()
                .filter(doc -> doc.path("metadata").path("name").asText().equals("options-service"))
                .findFirst().orElseThrow()
                .path("spec").path("template").path("spec").path("containers").get(0);
    }

    /** The names the application reads from the environment: every property's env form and every placeholder. */
    private static Set<String> knownEnvironment() throws IOException {
        Set<String> known = new HashSet<>();
        for (String property : ConfigProvider.getConfig().getPropertyNames()) {
            String name = property.startsWith("%") ? property.substring(property.indexOf('.') + 1) : property;
            known.add(name.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
        }
        Matcher placeholders = Pattern.compile("\\$\\{([A-Z_][A-Z0-9_]*)[:}]")
                .matcher(Files.readString(Path.of("src/main/resources/application.properties")));
        while (placeholders.find()) {
            known.add(placeholders.group(1));
        }
        return known;
    }

    @Test
    void everyManifestParsesAndTheBaseHasWhatAProductionServiceNeeds() throws IOException {
        List<JsonNode> documents = allDocuments();
        Set<String> kinds = new HashSet<>();
        documents.forEach(doc -> kinds.add(doc.path("kind").asText()));
        assertThat(kinds).contains("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                "NetworkPolicy", "Kustomization");
        JsonNode base = documents(DEPLOY.resolve("base/deployment.yaml")).get(0);
        assertThat(base.path("spec").path("replicas").asInt()).isEqualTo(3);
    }

    @Test
    void theProbesExistAndAnswerAndThePortIsTheHttpPort() throws IOException {
        JsonNode container = serviceContainer(documents(DEPLOY.resolve("base/deployment.yaml")));
        // the configured port (a test instance listens on a random one)
        Matcher configured = Pattern.compile("(?m)^quarkus\\.http\\.port=(\\d+)$")
                .matcher(Files.readString(Path.of("src/main/resources/application.properties")));
        assertThat(configured.find()).isTrue();
        int httpPort = Integer.parseInt(configured.group(1));
        assertThat(container.path("ports").get(0).path("containerPort").asInt()).isEqualTo(httpPort);
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            JsonNode get = container.path(probe).path("httpGet");
            assertThat(get.path("port").asText()).as(probe).isEqualTo(container.path("ports").get(0).path("name").asText());
            String path = get.path("path").asText();
            assertThat(path).as(probe).startsWith("/q/health/");
            given().when().get(path).then().statusCode(200);
        }
    }

    @Test
    void theGracePeriodCoversThePreStopDelayAndTimeout() throws IOException {
        JsonNode deployment = documents(DEPLOY.resolve("base/deployment.yaml")).get(0);
        JsonNode config = documents(DEPLOY.resolve("base/configmap.yaml")).get(0).path("data");
        JsonNode container = serviceContainer(List.of(deployment));
        long preStop = container.path("lifecycle").path("preStop").path("sleep").path("seconds").asLong();
        long delay = Duration.parse("PT" + config.path("SHUTDOWN_DELAY").asText().toUpperCase(Locale.ROOT)).toSeconds();
        long timeout = Duration.parse("PT" + config.path("SHUTDOWN_TIMEOUT").asText().toUpperCase(Locale.ROOT)).toSeconds();
        assertThat(preStop).isPositive();
        assertThat(deployment.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asLong())
                .isGreaterThan(preStop + delay + timeout);
    }

    @Test
    void everyEnvironmentVariableTheManifestsSetIsRealConfiguration() throws IOException {
        Set<String> known = knownEnvironment();
        List<String> set = new ArrayList<>();
        serviceContainer(documents(DEPLOY.resolve("base/deployment.yaml"))).path("env").forEach(env -> set.add(env.path("name").asText()));
        documents(DEPLOY.resolve("base/configmap.yaml")).get(0).path("data").fieldNames().forEachRemaining(set::add);
        for (String overlay : List.of("dev", "prod")) {
            documents(DEPLOY.resolve("overlays/" + overlay + "/kustomization.yaml")).get(0).path("configMapGenerator")
                    .forEach(generator -> generator.path("literals")
                            .forEach(literal -> set.add(literal.asText().substring(0, literal.asText().indexOf('=')))));
        }
        documents(DEPLOY.resolve("compose.yaml")).get(0).path("services").path("options-a").path("environment")
                .fieldNames().forEachRemaining(set::add);
        assertThat(set).isNotEmpty();
        assertThat(set).allSatisfy(name -> assertThat(known).as("%s is read by the application", name).contains(name));
    }

    @Test
    void everyImageIsPinnedAndEveryWorkloadHasResourcesAndASecurityContext() throws IOException {
        List<JsonNode> documents = allDocuments();
        List<JsonNode> workloads = workloads(documents);
        assertThat(workloads).hasSizeGreaterThanOrEqualTo(3);
        for (JsonNode workload : workloads) {
            JsonNode pod = workload.path("spec").path("template").path("spec");
            String name = workload.path("metadata").path("name").asText();
            assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).as("%s runs as non-root", name).isTrue();
            for (JsonNode container : pod.path("containers")) {
                assertPinned(container.path("image").asText());
                for (String kind : List.of("requests", "limits")) {
                    assertThat(container.path("resources").path(kind).has("cpu")).as("%s %s cpu", name, kind).isTrue();
                    assertThat(container.path("resources").path(kind).has("memory")).as("%s %s memory", name, kind).isTrue();
                }
                assertThat(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true))
                        .as("%s may not escalate", name).isFalse();
            }
        }
        JsonNode service = serviceContainer(documents);
        assertThat(service.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
        documents(DEPLOY.resolve("compose.yaml")).get(0).path("services")
                .forEach(compose -> assertPinned(compose.path("image").asText()));
    }

    @Test
    void dockerfilesArePinnedOnOneUbiGenerationAndRunAsNonRoot() throws IOException {
        for (String name : List.of("Dockerfile.jvm", "Dockerfile.native", "Dockerfile.native-micro")) {
            List<String> lines = Files.readAllLines(Path.of("src/main/docker", name));
            List<String> from = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
            assertThat(from).as(name).isNotEmpty();
            from.forEach(line -> {
                String image = line.substring(5).trim().split("\\s+")[0];
                assertPinned(image);
                assertThat(image).as("%s on UBI 9", name).contains("ubi9");
            });
            assertThat(lines.stream().filter(l -> l.startsWith("USER ")).map(l -> l.substring(5).trim()))
                    .as("%s runs as a non-root user", name).isNotEmpty().doesNotContain("root", "0");
        }
        String nativeBuilder = Files.readString(Path.of("pom.xml"));
        assertThat(nativeBuilder).contains("ubi9-quarkus-mandrel-builder-image:jdk-21");
    }

    private static void assertPinned(String image) {
        assertThat(image).as("image").isNotBlank();
        String tag = image.contains("@sha256:") ? "digest" : image.substring(image.lastIndexOf('/') + 1);
        assertThat(tag).as("%s is pinned by tag", image).contains(":").doesNotEndWith(":latest");
    }
}
