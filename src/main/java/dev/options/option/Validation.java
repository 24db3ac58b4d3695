package dev.options.option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.ScopeKind;
import dev.options.value.OptionJson;
import dev.options.value.OptionKeys;

/** Values fit to store: keys, no null, canonical JSON within the limits, and what their definitions ask. */
@ApplicationScoped
class Validation {

    private final OptionRegistry registry;
    private final OptionsConfig config;

    Validation(OptionRegistry registry, OptionsConfig config) {
        this.registry = registry;
        this.config = config;
    }

    /**
     * A value fit to store in scopes of {@code kind}: see {@link #validatedAll}.
     */
    JsonNode validated(ScopeKind kind, String key, JsonNode value) {
        return validatedAll(kind, Map.of(key, value)).get(key);
    }

    /**
     * Values fit to store in scopes of {@code kind}, normalized: valid keys, no JSON null, canonical
     * JSON, within the size limit, and satisfying their definitions.
     *
     * @throws ProblemException 400 for a bad key or a null, 413 for a value too large, 422
     *     {@code unstorable-value}, or 422 {@code invalid-option} listing every key that fails its
     *     definition (in {@code errors}, each with its reason)
     */
    Map<String, JsonNode> validatedAll(ScopeKind kind, Map<String, JsonNode> values) {
        Map<String, JsonNode> result = new LinkedHashMap<>();
        List<Map<String, String>> errors = new ArrayList<>();
        int max = config.limits().maxValueBytes();
        for (Map.Entry<String, JsonNode> entry : values.entrySet()) {
            String key = registry.canonical(OptionKeys.require(entry.getKey()));
            JsonNode value = entry.getValue();
            if (value == null || value.isNull() || value.isMissingNode()) {
                throw new ProblemException(ProblemType.NULL_VALUE, "an option value may be any JSON value except null");
            }
            OptionRegistry.Checked checked = registry.check(kind, key, OptionJson.canonical(value));
            if (!checked.valid()) {
                errors.add(Map.of("key", key, "reason", String.join("; ", checked.reasons())));
                continue;
            }
            int size = OptionJson.write(checked.value()).length;
            if (size > max) {
                throw new ProblemException(ProblemType.VALUE_TOO_LARGE,
                        "an option value may take at most " + max + " bytes as JSON; " + key + " takes " + size);
            }
            result.put(key, checked.value());
        }
        if (!errors.isEmpty()) {
            String keys = errors.stream().map(e -> e.get("key")).collect(Collectors.joining(", "));
            throw new ProblemException(ProblemType.INVALID_OPTION,
                    "options that fail their definitions: " + keys, Map.of("errors", errors));
        }
        return result;
    }
}
