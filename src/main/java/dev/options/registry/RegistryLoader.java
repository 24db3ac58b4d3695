package dev.options.registry;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.options.problem.ProblemException;
import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;
import dev.options.value.OptionKeys;

/**
 * Reads a registry file (YAML) into definitions and checks that it is consistent: known fields only,
 * constraints that fit the type, and defaults that satisfy their own definition. Every error names
 * the file and the key.
 *
 * <pre>
 * epoch: 2
 * definitions:
 *   language:
 *     description: Language of the interface
 *     scopes: [user, user-in-project, organization]
 *     type: string
 *     normalizer: language-tag
 *     default: en
 *     scope-defaults: { organization: en-US }
 *     epoch-defaults: { 2: en-GB }
 *     renamed-from: [locale]
 *   notifications.*:
 *     type: boolean
 * </pre>
 */
public final class RegistryLoader {

    private static final Set<String> FIELDS = Set.of("description", "scopes", "type", "enum", "minimum", "maximum",
            "max-length", "pattern", "items", "max-items", "schema", "default", "scope-defaults", "pin-defaults", "normalizer",
            "deprecated", "epoch-defaults", "renamed-from");

    /** A registry file: its current epoch of defaults (1 when it names none) and its definitions by key. */
    public record Parsed(int epoch, Map<String, Definition> definitions) {
    }

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private RegistryLoader() {
    }

    /** The definitions of {@code location}: a file path, or {@code classpath:name} for a resource. */
    public static Map<String, Definition> load(String location) {
        return loadRegistry(location).definitions();
    }

    /** Loads {@code location}: a file path, or {@code classpath:name} for a resource. */
    public static Parsed loadRegistry(String location) {
        String text;
        try {
            if (location.startsWith("classpath:")) {
                String resource = location.substring("classpath:".length());
                try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new RegistryException("options registry " + location + ": no such resource");
                    }
                    text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                }
            } else {
                text = Files.readString(Path.of(location));
            }
        } catch (IOException e) {
            throw new RegistryException("options registry " + location + ": cannot be read (" + e.getMessage() + ")");
        }
        return parseRegistry(location, text);
    }

    /** The definitions of registry text; {@code source} names it in errors. */
    public static Map<String, Definition> parse(String source, String text) {
        return parseRegistry(source, text).definitions();
    }

    /** Parses registry text; {@code source} names it in errors. */
    public static Parsed parseRegistry(String source, String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (IOException e) {
            throw new RegistryException("options registry " + source + ": not valid YAML: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Parsed(1, Map.of());
        }
        if (!root.isObject() || !root.has("definitions") || root.size() != (root.has("epoch") ? 2 : 1)) {
            throw new RegistryException("options registry " + source + ": must be a map of definitions and, optionally, epoch");
        }
        int epoch = 1;
        if (root.has("epoch")) {
            JsonNode value = root.get("epoch");
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
                throw new RegistryException("options registry " + source + ": epoch must be a whole number, 1 or more");
            }
            epoch = value.intValue();
        }
        JsonNode definitions = root.get("definitions");
        if (!definitions.isObject()) {
            throw new RegistryException("options registry " + source + ": definitions must be a map of keys to definitions");
        }
        Map<String, Definition> result = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = definitions.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            try {
                result.put(entry.getKey(), definition(entry.getKey(), entry.getValue()));
            } catch (IllegalArgumentException | ProblemException e) {
                throw new RegistryException("options registry " + source + ": key '" + entry.getKey() + "': " + e.getMessage());
            }
        }
        checkRenames(source, result);
        return new Parsed(epoch, result);
    }

    /** An old name is an alias of one key only, and no key is defined under it. */
    private static void checkRenames(String source, Map<String, Definition> definitions) {
        Map<String, String> claimed = new LinkedHashMap<>();
        for (Definition definition : definitions.values()) {
            for (String old : definition.renamedFrom()) {
                String other = claimed.putIfAbsent(old, definition.key());
                if (other != null) {
                    throw new RegistryException("options registry " + source + ": key '" + definition.key() + "': renamed-from names "
                            + old + ", which " + other + " was already renamed from");
                }
                if (definitions.containsKey(old)) {
                    throw new RegistryException("options registry " + source + ": key '" + definition.key() + "': renamed-from names "
                            + old + ", which is defined itself");
                }
            }
        }
    }

    private static Definition definition(String key, JsonNode node) {
        checkKey(key);
        if (!node.isObject()) {
            throw new IllegalArgumentException("must be a map of fields");
        }
        Set<String> unknown = new TreeSet<>();
        node.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown fields " + unknown + "; known are " + new TreeSet<>(FIELDS));
        }
        Set<ScopeKind> scopes = scopes(node.get("scopes"));
        JsonType type = node.has("type") ? typeOf(node.get("type"), "type") : null;
        JsonType itemType = node.has("items") ? typeOf(node.get("items"), "items") : null;
        Normalizer normalizer = null;
        if (node.has("normalizer")) {
            String label = text(node.get("normalizer"), "normalizer");
            normalizer = Normalizer.byLabel(label).orElseThrow(() ->
                    new IllegalArgumentException("normalizer must be trim, lowercase or language-tag, not " + label));
        }
        List<JsonNode> allowed = null;
        if (node.has("enum")) {
            JsonNode values = node.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw new IllegalArgumentException("enum must be a non-empty list of values");
            }
            allowed = new ArrayList<>();
            for (JsonNode value : values) {
                if (value.isNull()) {
                    throw new IllegalArgumentException("enum may not contain null");
                }
                allowed.add(OptionJson.canonical(value));
            }
        }
        BigDecimal minimum = number(node.get("minimum"), "minimum", type);
        BigDecimal maximum = number(node.get("maximum"), "maximum", type);
        if (minimum != null && maximum != null && minimum.compareTo(maximum) > 0) {
            throw new IllegalArgumentException("minimum " + minimum + " is above maximum " + maximum);
        }
        Integer maxLength = count(node.get("max-length"), "max-length", type, JsonType.STRING);
        Pattern pattern = null;
        if (node.has("pattern")) {
            requireType(type, JsonType.STRING, "pattern");
            try {
                pattern = Pattern.compile(text(node.get("pattern"), "pattern"));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("pattern does not compile: " + e.getDescription());
            }
        }
        if (itemType != null) {
            requireType(type, JsonType.ARRAY, "items");
        }
        Integer maxItems = count(node.get("max-items"), "max-items", type, JsonType.ARRAY);
        boolean pinDefaults = bool(node.get("pin-defaults"), "pin-defaults");
        String deprecated = null;
        if (node.has("deprecated")) {
            JsonNode value = node.get("deprecated");
            if (value.isTextual()) {
                deprecated = value.textValue();
            } else if (bool(value, "deprecated")) {
                deprecated = "deprecated";
            }
        }
        String description = node.has("description") ? text(node.get("description"), "description") : null;

        Map<ScopeKind, JsonNode> defaults = new EnumMap<>(ScopeKind.class);
        boolean hasDefault = node.has("default") || node.has("scope-defaults");
        if (hasDefault && key.endsWith("*")) {
            throw new IllegalArgumentException("a prefix pattern may not have a default: a default must name its key");
        }
        if (node.has("default")) {
            JsonNode value = defaultValue(node.get("default"), "default");
            scopes.forEach(kind -> defaults.put(kind, value));
        }
        if (node.has("scope-defaults")) {
            JsonNode perKind = node.get("scope-defaults");
            if (!perKind.isObject()) {
                throw new IllegalArgumentException("scope-defaults must be a map of scope kinds to values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = perKind.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> member = it.next();
                ScopeKind kind = kind(member.getKey());
                if (!scopes.contains(kind)) {
                    throw new IllegalArgumentException("scope-defaults names " + kind.label() + ", to which the key does not apply");
                }
                defaults.put(kind, defaultValue(member.getValue(), "scope-defaults." + kind.label()));
            }
        }
        Map<Integer, JsonNode> epochDefaults = new TreeMap<>();
        if (node.has("epoch-defaults")) {
            if (key.endsWith("*")) {
                throw new IllegalArgumentException("a prefix pattern may not have a default: a default must name its key");
            }
            JsonNode byEpoch = node.get("epoch-defaults");
            if (!byEpoch.isObject() || byEpoch.isEmpty()) {
                throw new IllegalArgumentException("epoch-defaults must be a map of epochs (whole numbers, 1 or more) to values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = byEpoch.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> member = it.next();
                int epoch;
                try {
                    epoch = Integer.parseInt(member.getKey());
                } catch (NumberFormatException e) {
                    epoch = 0;
                }
                if (epoch < 1 || !member.getKey().equals(Integer.toString(epoch))) {
                    throw new IllegalArgumentException("epoch-defaults names " + member.getKey() + ", which is not an epoch (a whole number, 1 or more)");
                }
                epochDefaults.put(epoch, defaultValue(member.getValue(), "epoch-defaults." + epoch));
            }
        }
        List<String> renamedFrom = new ArrayList<>();
        if (node.has("renamed-from")) {
            if (key.endsWith("*")) {
                throw new IllegalArgumentException("a prefix pattern may not be renamed: renamed-from must name keys");
            }
            JsonNode names = node.get("renamed-from");
            if (!names.isArray() || names.isEmpty()) {
                throw new IllegalArgumentException("renamed-from must be a non-empty list of keys");
            }
            for (JsonNode name : names) {
                String old = text(name, "renamed-from");
                if (!OptionKeys.isValid(old) || old.equals(key) || renamedFrom.contains(old)) {
                    throw new IllegalArgumentException("renamed-from names " + old + ", which is not another key ([A-Za-z0-9_.:-]{1,255})");
                }
                renamedFrom.add(old);
            }
        }
        ValueSchema schema = node.has("schema") ? ValueSchema.of(node.get("schema")) : null;
        Definition definition = new Definition(key, description, scopes, type, allowed, minimum, maximum, maxLength,
                pattern, itemType, maxItems, defaults, pinDefaults, normalizer, deprecated, schema,
                new TreeMap<>(epochDefaults), renamedFrom);
        if (allowed != null) {
            for (JsonNode value : allowed) {
                if (type != null && !type.matches(value)) {
                    throw new IllegalArgumentException("enum value " + value + " is not of type " + type.label());
                }
            }
        }
        for (Map.Entry<ScopeKind, JsonNode> entry : defaults.entrySet()) {
            checkDefault(definition, entry.getKey(), entry.getValue());
        }
        for (Map.Entry<Integer, JsonNode> entry : epochDefaults.entrySet()) {
            for (ScopeKind kind : scopes) {
                checkDefault(definition, "the default from epoch " + entry.getKey() + " for " + kind.label() + " scopes", entry.getValue());
            }
        }
        return definition;
    }

    private static void checkDefault(Definition definition, ScopeKind kind, JsonNode value) {
        checkDefault(definition, "the default for " + kind.label() + " scopes", value);
    }

    private static void checkDefault(Definition definition, String what, JsonNode value) {
        String where = what + ", " + OptionJson.text(value) + ",";
        JsonNode normalized;
        try {
            normalized = definition.normalize(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " " + e.getMessage());
        }
        if (!normalized.equals(value)) {
            throw new IllegalArgumentException(where + " is not in normalized form; write " + OptionJson.text(normalized));
        }
        List<String> reasons = definition.violations(value);
        if (!reasons.isEmpty()) {
            throw new IllegalArgumentException(where + " violates its own definition: " + String.join("; ", reasons));
        }
    }

    private static void checkKey(String key) {
        String body = key.endsWith("*") ? key.substring(0, key.length() - 1) : key;
        if (!OptionKeys.isValid(body)) {
            throw new IllegalArgumentException("is neither a key ([A-Za-z0-9_.:-]{1,255}) nor a prefix pattern such as notifications.*");
        }
    }

    private static Set<ScopeKind> scopes(JsonNode node) {
        if (node == null) {
            return EnumSet.allOf(ScopeKind.class);
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException("scopes must be a non-empty list of scope kinds");
        }
        Set<ScopeKind> kinds = EnumSet.noneOf(ScopeKind.class);
        for (JsonNode label : node) {
            kinds.add(kind(text(label, "scopes")));
        }
        return kinds;
    }

    private static ScopeKind kind(String label) {
        for (ScopeKind kind : ScopeKind.values()) {
            if (kind.label().equals(label)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown scope kind " + label
                + "; known are organization, project, user, user-in-project, user-in-organization");
    }

    private static JsonType typeOf(JsonNode node, String field) {
        String label = text(node, field);
        return JsonType.byLabel(label).orElseThrow(() ->
                new IllegalArgumentException(field + " must be string, integer, number, boolean, array or object, not " + label));
    }

    private static JsonNode defaultValue(JsonNode value, String field) {
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(field + " may not be null");
        }
        return OptionJson.canonical(value);
    }

    private static BigDecimal number(JsonNode node, String field, JsonType type) {
        if (node == null) {
            return null;
        }
        if (type != JsonType.INTEGER && type != JsonType.NUMBER) {
            throw new IllegalArgumentException(field + " needs type integer or number");
        }
        if (!node.isNumber()) {
            throw new IllegalArgumentException(field + " must be a number");
        }
        return node.decimalValue();
    }

    private static Integer count(JsonNode node, String field, JsonType type, JsonType needed) {
        if (node == null) {
            return null;
        }
        requireType(type, needed, field);
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.intValue() < 0) {
            throw new IllegalArgumentException(field + " must be a whole number, 0 or more");
        }
        return node.intValue();
    }

    private static void requireType(JsonType type, JsonType needed, String field) {
        if (type != needed) {
            throw new IllegalArgumentException(field + " needs type " + needed.label());
        }
    }

    private static String text(JsonNode node, String field) {
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException(field + " must be text");
        }
        return node.textValue();
    }

    private static boolean bool(JsonNode node, String field) {
        if (node == null) {
            return false;
        }
        if (!node.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false");
        }
        return node.booleanValue();
    }
}
