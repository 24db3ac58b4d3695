package dev.options.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The folders are the architecture: no two packages depend on each other, and each depends only on
 * those below it. From the bottom up:
 *
 * <pre>
 * problem, config, batch   what a failure is; the settings; requests of one event-loop turn sent together
 * value, scope             an option's key and exact JSON value; the scopes and their keys
 * store                    Postgres, the source of truth
 * cache                    the near cache (per instance) and the shared cache (Redis)
 * events                   the change stream, its publisher, the outbox relay
 * registry                 option definitions
 * option                   the service: the unit of work, reads through the layers, saves
 * security                 who may do what
 * rest, health, dev        HTTP
 * </pre>
 */
class LayersTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.options");

    @Test
    void noPackageCycles() {
        slices().matching("dev.options.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void eachLayerDependsOnlyOnThoseBelowIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("problem").definedBy("dev.options.problem..")
                .layer("config").definedBy("dev.options.config..")
                .layer("batch").definedBy("dev.options.batch..")
                .layer("value").definedBy("dev.options.value..")
                .layer("scope").definedBy("dev.options.scope..")
                .layer("store").definedBy("dev.options.store..")
                .layer("cache").definedBy("dev.options.cache..")
                .layer("events").definedBy("dev.options.events..")
                .layer("registry").definedBy("dev.options.registry..")
                .layer("option").definedBy("dev.options.option..")
                .layer("security").definedBy("dev.options.security..")
                .layer("http").definedBy("dev.options.rest..", "dev.options.health..", "dev.options.dev..")
                .whereLayer("http").mayNotBeAccessedByAnyLayer()
                .whereLayer("security").mayOnlyBeAccessedByLayers("http")
                .whereLayer("option").mayOnlyBeAccessedByLayers("http")
                .whereLayer("registry").mayOnlyBeAccessedByLayers("option", "http")
                .whereLayer("events").mayOnlyBeAccessedByLayers("option", "http")
                .whereLayer("cache").mayOnlyBeAccessedByLayers("events", "option", "http")
                .whereLayer("store").mayOnlyBeAccessedByLayers("cache", "events", "option", "http")
                .whereLayer("scope").mayOnlyBeAccessedByLayers("store", "cache", "events", "registry", "option", "security", "http")
                .whereLayer("batch").mayOnlyBeAccessedByLayers("store", "cache")
                .whereLayer("value").mayOnlyBeAccessedByLayers("store", "cache", "events", "registry", "option", "http")
                .check(MAIN);
    }
}
