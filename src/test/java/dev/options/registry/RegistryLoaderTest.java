package dev.options.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.scope.ScopeKind;

/** A registry that does not parse or contradicts itself is refused with the key named. */
class RegistryLoaderTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            default outside its enum       | theme:{type: string, enum: [light, dark], default: blue}        | theme       | must be one of
            default above its maximum      | rows:{type: integer, maximum: 5, default: 6}                    | rows        | must be at most 5
            default of the wrong type      | rows:{type: integer, default: "6"}                              | rows        | must be of type integer
            default not normalized         | lang:{type: string, normalizer: language-tag, default: EN_us}   | lang        | write "en-US"
            default not a language tag     | lang:{type: string, normalizer: language-tag, default: "!!"}    | lang        | BCP 47
            default breaking its pattern   | code:{type: string, pattern: "^[a-z]+$", default: "A1"}         | code        | must match the pattern
            default too long               | nick:{type: string, max-length: 2, default: abc}                | nick        | at most 2 characters
            null default                   | flag:{type: boolean, default: null}                             | flag        | may not be null
            unknown field                  | flag:{type: boolean, defualt: true}                             | flag        | unknown fields [defualt]
            unknown type                   | flag:{type: bool}                                               | flag        | must be string, integer
            minimum above maximum          | rows:{type: integer, minimum: 9, maximum: 1}                    | rows        | is above maximum
            bounds on a string             | name:{type: string, minimum: 1}                                 | name        | needs type integer or number
            pattern that does not compile  | name:{type: string, pattern: "("}                               | name        | does not compile
            items on a non-array           | name:{type: string, items: string}                              | name        | needs type array
            unknown scope kind             | flag:{scopes: [team], type: boolean}                            | flag        | unknown scope kind team
            default for a foreign kind     | flag:{scopes: [user], type: boolean, scope-defaults: {project: true}} | flag  | to which the key does not apply
            prefix with a default          | "notify.*":{type: boolean, default: true}                       | notify.*    | prefix pattern may not have a default
            invalid key                    | "bad key":{type: boolean}                                       | bad key     | is neither a key
            enum of the wrong type         | rows:{type: integer, enum: [1, "2"]}                            | rows        | is not of type integer
            unknown normalizer             | name:{type: string, normalizer: upper}                          | name        | normalizer must be
            schema that is not one         | w:{schema: {type: strin}}                                       | w           | not a valid JSON Schema (draft 2020-12)
            schema of the wrong shape      | w:{schema: [1]}                                                 | w           | must be a JSON Schema
            default failing its schema     | w:{schema: {type: integer}, default: x}                         | w           | violates its own definition
            """)
    void aBrokenDefinitionIsRefusedWithItsKeyNamed(String name, String definition, String key, String reason) {
        String yaml = "definitions: {" + definition + "}";
        assertThatThrownBy(() -> RegistryLoader.parse("test.yaml", yaml))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("test.yaml")
                .hasMessageContaining("key '" + key + "'")
                .hasMessageContaining(reason);
    }

    @Test
    void yamlThatDoesNotParseIsRefused() {
        assertThatThrownBy(() -> RegistryLoader.parse("broken.yaml", "definitions:\n  a: [unclosed\n"))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("broken.yaml")
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> RegistryLoader.parse("dup.yaml", "definitions:\n  a: {type: string}\n  a: {type: integer}\n"))
                .hasMessageContaining("dup.yaml");
        assertThatThrownBy(() -> RegistryLoader.parse("shape.yaml", "keys: {}"))
                .hasMessageContaining("must be a map of definitions and, optionally, epoch");
    }

    @Test
    void theExampleRegistryLoadsAndPerKindDefaultsOverrideTheCommonOne() {
        Map<String, Definition> definitions = RegistryLoader.load("classpath:registry-example.yaml");
        assertThat(definitions).containsKeys("language", "notifications.*", "max_results");
        Definition rows = definitions.get("max_results");
        assertThat(rows.defaultFor(ScopeKind.ORGANIZATION, 1)).contains(IntNode.valueOf(100));
        assertThat(rows.defaultFor(ScopeKind.USER, 1)).contains(IntNode.valueOf(50));
        Definition language = definitions.get("language");
        assertThat(language.defaultFor(ScopeKind.PROJECT, 1)).isEmpty();
        assertThat(language.normalize(TextNode.valueOf("pt_br"))).isEqualTo(TextNode.valueOf("pt-BR"));
    }

    @Test
    void theLongestPrefixGovernsAKeyAndAnExactKeyBeatsEveryPrefix() {
        OptionRegistry registry = new OptionRegistry(RegistryLoader.parse("p.yaml", """
                definitions:
                  "a.*": {type: boolean}
                  "a.b.*": {type: integer}
                  "a.b.c": {type: string}
                """), false);
        assertThat(registry.definition("a.x").orElseThrow().key()).isEqualTo("a.*");
        assertThat(registry.definition("a.b.x").orElseThrow().key()).isEqualTo("a.b.*");
        assertThat(registry.definition("a.b.c").orElseThrow().key()).isEqualTo("a.b.c");
        assertThat(registry.definition("a.")).isEmpty();
        assertThat(registry.definition("b")).isEmpty();
    }

    @Test
    void epochsGiveDefaultsFromEachEpochOnAndAreChecked() {
        OptionRegistry registry = new OptionRegistry(RegistryLoader.parseRegistry("e.yaml", """
                epoch: 4
                definitions:
                  layout:
                    type: string
                    enum: [a, b, c]
                    default: a
                    scope-defaults: {organization: b}
                    epoch-defaults: {2: b, 4: c}
                  other: {type: integer, default: 1}
                """), false);
        assertThat(registry.epoch()).isEqualTo(4);
        assertThat(registry.defaultValue(ScopeKind.USER, "layout", 1)).contains(TextNode.valueOf("a"));
        assertThat(registry.defaultValue(ScopeKind.ORGANIZATION, "layout", 1)).contains(TextNode.valueOf("b"));
        assertThat(registry.defaultValue(ScopeKind.USER, "layout", 2)).contains(TextNode.valueOf("b"));
        assertThat(registry.defaultValue(ScopeKind.USER, "layout", 3)).contains(TextNode.valueOf("b"));
        assertThat(registry.defaultValue(ScopeKind.USER, "layout", 4)).contains(TextNode.valueOf("c"));
        assertThat(registry.defaultValue(ScopeKind.USER, "layout", 9)).contains(TextNode.valueOf("c"));
        assertThat(registry.defaults(ScopeKind.USER, 3)).containsEntry("other", IntNode.valueOf(1));
        assertThat(registry.defaultsChanged(ScopeKind.USER, 1, 4)).containsExactly("layout");
        assertThat(registry.defaultsChanged(ScopeKind.ORGANIZATION, 1, 3)).isEmpty();
        assertThat(RegistryLoader.parseRegistry("none.yaml", "definitions: {}").epoch()).isEqualTo(1);

        assertThatThrownBy(() -> RegistryLoader.parse("e.yaml", "epoch: 0\ndefinitions: {}"))
                .hasMessageContaining("epoch must be a whole number, 1 or more");
        assertThatThrownBy(() -> RegistryLoader.parse("e.yaml", "epoch: 2\nextra: 1\ndefinitions: {}"))
                .hasMessageContaining("must be a map of definitions and, optionally, epoch");
        assertThatThrownBy(() -> RegistryLoader.parse("e.yaml", "definitions:\n  k: {type: integer, epoch-defaults: {x: 1}}"))
                .hasMessageContaining("key 'k'").hasMessageContaining("not an epoch");
        assertThatThrownBy(() -> RegistryLoader.parse("e.yaml", "definitions:\n  k: {type: integer, epoch-defaults: {2: \"no\"}}"))
                .hasMessageContaining("key 'k'").hasMessageContaining("the default from epoch 2");
        assertThatThrownBy(() -> RegistryLoader.parse("e.yaml", "definitions:\n  k.*: {type: integer, epoch-defaults: {2: 1}}"))
                .hasMessageContaining("a prefix pattern may not have a default");
    }

    @Test
    void oldNamesAreAliasesOfOneKeyOnlyAndNeverDefinedThemselves() {
        OptionRegistry registry = new OptionRegistry(RegistryLoader.parseRegistry("r.yaml", """
                definitions:
                  date_format: {type: string, renamed-from: [dateformat, date-style]}
                """), false);
        assertThat(registry.canonical("dateformat")).isEqualTo("date_format");
        assertThat(registry.canonical("date-style")).isEqualTo("date_format");
        assertThat(registry.canonical("date_format")).isEqualTo("date_format");
        assertThat(registry.canonical("other")).isEqualTo("other");
        assertThat(registry.canonicalOptions(Map.of("date-style", TextNode.valueOf("b"), "dateformat", TextNode.valueOf("a"),
                "x", IntNode.valueOf(1)))).containsExactlyInAnyOrderEntriesOf(Map.of("date_format", TextNode.valueOf("a"),
                "x", IntNode.valueOf(1)));

        assertThatThrownBy(() -> RegistryLoader.parse("r.yaml", "definitions:\n  a: {renamed-from: [old]}\n  b: {renamed-from: [old]}"))
                .hasMessageContaining("key 'b'").hasMessageContaining("which a was already renamed from");
        assertThatThrownBy(() -> RegistryLoader.parse("r.yaml", "definitions:\n  a: {renamed-from: [b]}\n  b: {type: string}"))
                .hasMessageContaining("key 'a'").hasMessageContaining("which is defined itself");
        assertThatThrownBy(() -> RegistryLoader.parse("r.yaml", "definitions:\n  a: {renamed-from: [a]}"))
                .hasMessageContaining("not another key");
        assertThatThrownBy(() -> RegistryLoader.parse("r.yaml", "definitions:\n  a: {renamed-from: [\"b c\"]}"))
                .hasMessageContaining("not another key");
        assertThatThrownBy(() -> RegistryLoader.parse("r.yaml", "definitions:\n  a.*: {renamed-from: [b]}"))
                .hasMessageContaining("a prefix pattern may not be renamed");
    }
}
