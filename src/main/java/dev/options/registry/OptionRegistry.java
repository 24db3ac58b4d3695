package dev.options.registry;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.config.OptionsConfig;
import dev.options.option.OptionJson;
import dev.options.option.OptionKeys;
import dev.options.scope.ScopeKind;

/**
 * What is known about keys before anything is stored: their defaults. Every read path applies them
 * through this one registry, so a changed default reaches every scope that never chose otherwise.
 *
 * <p>Defaults come from {@code options.defaults} and apply to every scope kind. A default that is not
 * valid JSON, is JSON null, or belongs to an invalid key stops startup with the key named.
 */
@ApplicationScoped
public class OptionRegistry {

    private final Map<String, JsonNode> defaults;

    public OptionRegistry(OptionsConfig config) {
        Map<String, JsonNode> parsed = new TreeMap<>();
        config.defaults().forEach((key, text) -> parsed.put(key, parseDefault(key, text)));
        this.defaults = Collections.unmodifiableMap(parsed);
    }

    private static JsonNode parseDefault(String key, String text) {
        if (!OptionKeys.isValid(key)) {
            throw new IllegalArgumentException("options.defaults: invalid key '" + key + "'");
        }
        JsonNode value;
        try {
            value = OptionJson.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException("options.defaults.\"" + key + "\" is not valid JSON: " + text, e);
        }
        if (value == null || value.isNull() || value.isMissingNode()) {
            throw new IllegalArgumentException("options.defaults.\"" + key + "\" may not be null");
        }
        return OptionJson.canonical(value);
    }

    /** The defaults that apply to scopes of {@code kind}, by key, sorted. */
    public Map<String, JsonNode> defaults(ScopeKind kind) {
        return defaults;
    }

    public Optional<JsonNode> defaultValue(ScopeKind kind, String key) {
        return Optional.ofNullable(defaults(kind).get(key));
    }
}
