package dev.options.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The packaged service, started with a registry whose default violates its own constraints, stops
 * during startup and says which key is wrong.
 */
class BrokenRegistryStopsStartupIT {

    @Test
    void startupStopsAndNamesTheKey() throws Exception {
        Path registry = Files.createTempFile("broken-registry", ".yaml");
        Files.writeString(registry, """
                definitions:
                  fine: {type: boolean, default: true}
                  theme: {type: string, enum: [light, dark], default: blue}
                """);
        Path log = Files.createTempFile("broken-registry", ".log");
        ProcessBuilder builder = new ProcessBuilder("java",
                "-Doptions.registry.path=" + registry,
                "-Dquarkus.http.port=0",
                "-jar", System.getProperty("runner.jar", "target/quarkus-app/quarkus-run.jar"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("DB_NAME", "options_test");
        Process process = builder.start();
        boolean exited = process.waitFor(90, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = Files.readString(log);

        assertThat(exited).as("the service stopped by itself: %s", output).isTrue();
        assertThat(process.exitValue()).as(output).isNotZero();
        assertThat(output).contains("key 'theme'").contains("violates its own definition").contains(registry.toString());
        Files.deleteIfExists(registry);
        Files.deleteIfExists(log);
    }
}
