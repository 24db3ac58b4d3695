package dev.options.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.config.OptionsConfig;
import dev.options.scope.ScopeKind;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;

/**
 * The option definitions, loaded once at startup from {@code options.registry.path}; a registry that
 * does not load stops startup with the key named. Every read path takes defaults from here and every
 * write path checks values here, so no path applies them differently.
 */
@Startup
@ApplicationScoped
public class OptionRegistry {

    /** A value checked against its definition: normalized, or the reasons it fails. */
    public record Checked(JsonNode value, List<String> reasons) {
        public boolean valid() {
            return reasons.isEmpty();
        }
    }

    private final Map<String, Definition> exact = new TreeMap<>();
    private final List<Definition> prefixes = new ArrayList<>();
    private final Map<ScopeKind, Map<String, JsonNode>> defaults = new EnumMap<>(ScopeKind.class);
    private final boolean strict;

    @Inject
    public OptionRegistry(OptionsConfig config) {
        this(config.registry().path().map(RegistryLoader::load).orElse(Map.of()), config.registry().strict());
        config.registry().path().ifPresent(path -> Log.infof("Loaded %d option definitions from %s", exact.size() + prefixes.size(), path));
    }

    /** A registry of {@code definitions}, as {@link RegistryLoader} returns them. */
    public OptionRegistry(Map<String, Definition> definitions, boolean strict) {
        this.strict = strict;
        definitions.values().forEach(definition -> {
            if (definition.isPrefix()) {
                prefixes.add(definition);
            } else {
                exact.put(definition.key(), definition);
            }
        });
        // the longest prefix is the most specific
        prefixes.sort(Comparator.comparingInt((Definition d) -> d.prefix().length()).reversed());
        for (ScopeKind kind : ScopeKind.values()) {
            Map<String, JsonNode> byKey = new TreeMap<>();
            exact.values().forEach(definition -> definition.defaultFor(kind).ifPresent(value -> byKey.put(definition.key(), value)));
            defaults.put(kind, Collections.unmodifiableMap(byKey));
        }
    }

    /** The definition that governs {@code key}: its own, else that of the longest matching prefix. */
    public Optional<Definition> definition(String key) {
        Definition own = exact.get(key);
        if (own != null) {
            return Optional.of(own);
        }
        for (Definition prefix : prefixes) {
            if (key.startsWith(prefix.prefix()) && key.length() > prefix.prefix().length()) {
                return Optional.of(prefix);
            }
        }
        return Optional.empty();
    }

    /** A definition by its own key or pattern, as the registry file names it. */
    public Optional<Definition> named(String keyOrPattern) {
        Definition own = exact.get(keyOrPattern);
        if (own != null) {
            return Optional.of(own);
        }
        return prefixes.stream().filter(d -> d.key().equals(keyOrPattern)).findFirst();
    }

    /** Every definition, sorted by key. */
    public Collection<Definition> definitions() {
        Map<String, Definition> all = new TreeMap<>(exact);
        prefixes.forEach(d -> all.put(d.key(), d));
        return all.values();
    }

    /** The defaults of scopes of {@code kind}, by key, sorted. */
    public Map<String, JsonNode> defaults(ScopeKind kind) {
        return defaults.get(kind);
    }

    public Optional<JsonNode> defaultValue(ScopeKind kind, String key) {
        return Optional.ofNullable(defaults.get(kind).get(key));
    }

    /** Whether a value equal to the default of {@code key} is still stored. */
    public boolean pinsDefaults(String key) {
        return definition(key).map(Definition::pinDefaults).orElse(false);
    }

    /** Whether {@code key} may be set in scopes of {@code kind}: undefined keys may, defined ones where they apply. */
    public boolean appliesTo(ScopeKind kind, String key) {
        return definition(key).map(d -> d.appliesTo(kind)).orElse(true);
    }

    /**
     * A stored value as reads show it: normalized by its definition's normalizer, so values stored
     * before the normalizer existed read normalized too. A value the normalizer cannot handle is
     * shown as stored.
     */
    public JsonNode normalizeStored(String key, JsonNode value) {
        Optional<Definition> definition = definition(key);
        if (definition.isEmpty() || definition.get().normalizer() == null) {
            return value;
        }
        try {
            return definition.get().normalize(value);
        } catch (IllegalArgumentException e) {
            return value;
        }
    }

    /** Checks a value about to be set in a scope of {@code kind}: applicability, type, constraints. */
    public Checked check(ScopeKind kind, String key, JsonNode value) {
        Optional<Definition> found = definition(key);
        if (found.isEmpty()) {
            return strict
                    ? new Checked(value, List.of("is not a defined option"))
                    : new Checked(value, List.of());
        }
        Definition definition = found.get();
        if (!definition.appliesTo(kind)) {
            return new Checked(value, List.of("does not apply to " + kind.label() + " scopes"));
        }
        JsonNode normalized;
        try {
            normalized = definition.normalize(value);
        } catch (IllegalArgumentException e) {
            return new Checked(value, List.of(e.getMessage()));
        }
        return new Checked(normalized, definition.violations(normalized));
    }
}
