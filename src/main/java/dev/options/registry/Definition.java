package dev.options.registry;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;

/**
 * What the registry says about one key, or about every key that starts with a prefix
 * ({@code notifications.*}): where it applies, its type and constraints, its default per scope kind,
 * whether a value equal to the default is still stored, its normalizer, whether it is deprecated, and
 * the JSON Schema given in full ({@code schema}, null when the short forms say all), the defaults
 * by epoch ({@code epochDefaults}: from each epoch on, the default of every scope kind the key applies
 * to) and the names it was stored under before ({@code renamedFrom}).
 * Immutable; built and checked by {@link RegistryLoader}.
 */
public record Definition(
        String key,
        String description,
        Set<ScopeKind> scopes,
        JsonType type,
        List<JsonNode> allowed,
        BigDecimal minimum,
        BigDecimal maximum,
        Integer maxLength,
        Pattern pattern,
        JsonType itemType,
        Integer maxItems,
        Map<ScopeKind, JsonNode> defaults,
        boolean pinDefaults,
        Normalizer normalizer,
        String deprecated,
        ValueSchema schema,
        NavigableMap<Integer, JsonNode> epochDefaults,
        List<String> renamedFrom) {

    public Definition {
        scopes = Collections.unmodifiableSet(scopes.isEmpty() ? EnumSet.noneOf(ScopeKind.class) : EnumSet.copyOf(scopes));
        allowed = allowed == null ? null : List.copyOf(allowed);
        defaults = Collections.unmodifiableMap(defaults.isEmpty() ? new EnumMap<>(ScopeKind.class) : new EnumMap<>(defaults));
        epochDefaults = Collections.unmodifiableNavigableMap(new TreeMap<>(epochDefaults == null ? Map.of() : epochDefaults));
        renamedFrom = renamedFrom == null ? List.of() : List.copyOf(renamedFrom);
    }

    /** Whether this definition covers every key that starts with a prefix rather than one key. */
    public boolean isPrefix() {
        return key.endsWith("*");
    }

    /** The prefix a prefix definition covers ({@code notifications.} for {@code notifications.*}). */
    public String prefix() {
        return key.substring(0, key.length() - 1);
    }

    public boolean appliesTo(ScopeKind kind) {
        return scopes.contains(kind);
    }

    /** The default in scopes of {@code kind} at {@code epoch}: that of the greatest epoch of defaults not above it, else the base one. */
    public Optional<JsonNode> defaultFor(ScopeKind kind, int epoch) {
        Map.Entry<Integer, JsonNode> byEpoch = epochDefaults.floorEntry(epoch);
        if (byEpoch != null && appliesTo(kind)) {
            return Optional.of(byEpoch.getValue());
        }
        return Optional.ofNullable(defaults.get(kind));
    }

    /**
     * The value in normalized form.
     *
     * @throws IllegalArgumentException with the reason, when it cannot be normalized
     */
    public JsonNode normalize(JsonNode value) {
        return normalizer == null ? value : normalizer.apply(value);
    }

    /** Why {@code value} (normalized) does not satisfy this definition's type and constraints; empty if it does. */
    public List<String> violations(JsonNode value) {
        List<String> reasons = new ArrayList<>();
        if (type != null && !type.matches(value)) {
            reasons.add("must be of type " + type.label());
            return reasons;
        }
        if (allowed != null && !allowed.contains(value)) {
            reasons.add("must be one of " + OptionJson.text(allowed));
        }
        if (value.isNumber()) {
            BigDecimal number = value.decimalValue();
            if (minimum != null && number.compareTo(minimum) < 0) {
                reasons.add("must be at least " + minimum.toPlainString());
            }
            if (maximum != null && number.compareTo(maximum) > 0) {
                reasons.add("must be at most " + maximum.toPlainString());
            }
        }
        if (value.isTextual()) {
            String text = value.textValue();
            if (maxLength != null && text.codePointCount(0, text.length()) > maxLength) {
                reasons.add("must be at most " + maxLength + " characters long");
            }
            if (pattern != null && !pattern.matcher(text).find()) {
                reasons.add("must match the pattern " + pattern.pattern());
            }
        }
        if (schema != null) {
            reasons.addAll(schema.violations(value));
        }
        if (value.isArray()) {
            if (maxItems != null && value.size() > maxItems) {
                reasons.add("must have at most " + maxItems + " items");
            }
            if (itemType != null) {
                for (JsonNode item : value) {
                    if (!itemType.matches(item)) {
                        reasons.add("items must be of type " + itemType.label());
                        break;
                    }
                }
            }
        }
        return reasons;
    }

    /** This definition as the discovery endpoints show it. */
    public ObjectNode describe() {
        ObjectNode node = OptionJson.MAPPER.createObjectNode();
        node.put("key", key);
        node.put("prefix", isPrefix());
        if (description != null) {
            node.put("description", description);
        }
        ArrayNode kinds = node.putArray("scopes");
        scopes.forEach(kind -> kinds.add(kind.label()));
        if (type != null) {
            node.put("type", type.label());
        }
        ObjectNode constraints = node.putObject("constraints");
        if (allowed != null) {
            constraints.set("enum", OptionJson.MAPPER.valueToTree(allowed));
        }
        if (minimum != null) {
            constraints.put("minimum", minimum);
        }
        if (maximum != null) {
            constraints.put("maximum", maximum);
        }
        if (maxLength != null) {
            constraints.put("maxLength", maxLength);
        }
        if (pattern != null) {
            constraints.put("pattern", pattern.pattern());
        }
        if (itemType != null) {
            constraints.put("items", itemType.label());
        }
        if (maxItems != null) {
            constraints.put("maxItems", maxItems);
        }
        // what a value must satisfy, as one JSON Schema: the short forms, and the schema given in full
        ObjectNode shortForms = ValueSchema.ofShortForms(type, allowed, minimum, maximum, maxLength, pattern, itemType, maxItems);
        if (schema == null) {
            node.set("schema", shortForms);
        } else if (shortForms.isEmpty()) {
            node.set("schema", schema.document());
        } else {
            ObjectNode both = node.putObject("schema");
            both.putArray("allOf").add(shortForms).add(schema.document());
        }
        ObjectNode defaultsNode = node.putObject("defaults");
        defaults.forEach((kind, value) -> defaultsNode.set(kind.label(), value));
        if (!epochDefaults.isEmpty()) {
            ObjectNode byEpoch = node.putObject("epochDefaults");
            epochDefaults.forEach((epoch, value) -> byEpoch.set(Integer.toString(epoch), value));
        }
        if (!renamedFrom.isEmpty()) {
            ArrayNode names = node.putArray("renamedFrom");
            renamedFrom.forEach(names::add);
        }
        node.put("pinDefaults", pinDefaults);
        if (normalizer != null) {
            node.put("normalizer", normalizer.label());
        }
        if (deprecated != null) {
            node.put("deprecated", deprecated);
        } else {
            node.putNull("deprecated");
        }
        return node;
    }
}
