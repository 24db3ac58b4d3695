package dev.options.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * write path checks values here, so no path applies them differently. Defaults depend on a scope's
 * epoch ({@link #epoch()} is the registry's current one); a key's old names ({@code renamed-from})
 * are resolved to it by {@link #canonical}.
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
    /** The defaults of each scope kind by key, from each epoch at which one of them changes on. */
    private final NavigableMap<Integer, Map<ScopeKind, Map<String, JsonNode>>> defaults = new TreeMap<>();
    /** Each old name of a renamed key, with the key's definition. */
    private final Map<String, Definition> renamed = new TreeMap<>();
    private final int epoch;
    private final boolean strict;

    @Inject
    public OptionRegistry(OptionsConfig config) {
        this(config.registry().path().map(RegistryLoader::loadRegistry).orElse(new RegistryLoader.Parsed(1, Map.of())),
                config.registry().strict());
        config.registry().path().ifPresent(path -> Log.infof("Loaded %d option definitions (epoch %d) from %s",
                exact.size() + prefixes.size(), epoch, path));
    }

    /** A registry of {@code definitions}, as {@link RegistryLoader} returns them, at epoch 1. */
    public OptionRegistry(Map<String, Definition> definitions, boolean strict) {
        this(new RegistryLoader.Parsed(1, definitions), strict);
    }

    public OptionRegistry(RegistryLoader.Parsed parsed, boolean strict) {
        this.strict = strict;
        this.epoch = parsed.epoch();
        Map<String, Definition> definitions = parsed.definitions();
        definitions.values().forEach(definition -> {
            if (definition.isPrefix()) {
                prefixes.add(definition);
            } else {
                exact.put(definition.key(), definition);
            }
        });
        // the longest prefix is the most specific
        prefixes.sort(Comparator.comparingInt((Definition d) -> d.prefix().length()).reversed());
        exact.values().forEach(definition -> definition.renamedFrom().forEach(old -> renamed.put(old, definition)));
        Set<Integer> changes = new TreeSet<>(Set.of(1));
        exact.values().forEach(definition -> changes.addAll(definition.epochDefaults().keySet()));
        for (int from : changes) {
            Map<ScopeKind, Map<String, JsonNode>> byKind = new EnumMap<>(ScopeKind.class);
            for (ScopeKind kind : ScopeKind.values()) {
                Map<String, JsonNode> byKey = new TreeMap<>();
                exact.values().forEach(definition -> definition.defaultFor(kind, from).ifPresent(value -> byKey.put(definition.key(), value)));
                byKind.put(kind, Collections.unmodifiableMap(byKey));
            }
            defaults.put(from, byKind);
        }
    }

    /** The registry's current epoch of defaults: the one a scope's first write fixes as its own. */
    public int epoch() {
        return epoch;
    }

    /**
     * The key {@code key} names: the key it was renamed to when it is an old name ({@code renamed-from}),
     * else itself.
     */
    public String canonical(String key) {
        Definition renamedTo = renamed.get(key);
        return renamedTo == null ? key : renamedTo.key();
    }

    /** The old names of {@code key} ({@code renamed-from}), none when it was never renamed. */
    public List<String> oldNames(String key) {
        Definition own = exact.get(key);
        return own == null ? List.of() : own.renamedFrom();
    }

    /** Whether any key was renamed. */
    public boolean hasRenames() {
        return !renamed.isEmpty();
    }

    /** The definitions of keys that have old names. */
    public List<Definition> renamedDefinitions() {
        return exact.values().stream().filter(definition -> !definition.renamedFrom().isEmpty()).toList();
    }

    /**
     * Stored options (as their rows hold them, old names included) by the keys they are read as: an
     * old name's value under the key it was renamed to, unless that key is stored itself or an old
     * name listed before it in {@code renamed-from} is. {@code stored} itself when it holds no old name.
     */
    public Map<String, JsonNode> canonicalOptions(Map<String, JsonNode> stored) {
        if (renamed.isEmpty() || stored.keySet().stream().noneMatch(renamed::containsKey)) {
            return stored;
        }
        Map<String, JsonNode> result = new TreeMap<>();
        stored.forEach((key, value) -> {
            if (!renamed.containsKey(key)) {
                result.put(key, value);
            }
        });
        stored.keySet().stream().filter(renamed::containsKey).map(this::canonical).distinct()
                .forEach(key -> result.computeIfAbsent(key, absent -> storedValue(stored, absent)));
        return result;
    }

    /** Keys (a scope's locks, as stored) as reads know them: each old name as its key; {@code keys} itself when none is one. */
    public SortedSet<String> canonicalKeys(SortedSet<String> keys) {
        if (renamed.isEmpty() || keys.stream().noneMatch(renamed::containsKey)) {
            return keys;
        }
        SortedSet<String> result = new TreeSet<>();
        keys.forEach(key -> result.add(canonical(key)));
        return Collections.unmodifiableSortedSet(result);
    }

    /** {@code keys} and every old name of each of them. */
    public Set<String> withOldNames(Set<String> keys) {
        if (renamed.isEmpty()) {
            return keys;
        }
        Set<String> result = new TreeSet<>(keys);
        keys.forEach(key -> result.addAll(oldNames(key)));
        return result;
    }

    /** The value {@code key} has in stored options (as their rows hold them): its own row's, else its first old name's. */
    public JsonNode storedValue(Map<String, JsonNode> stored, String key) {
        JsonNode own = stored.get(key);
        if (own != null || renamed.isEmpty()) {
            return own;
        }
        for (String old : oldNames(key)) {
            JsonNode value = stored.get(old);
            if (value != null) {
                return value;
            }
        }
        return null;
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

    /** The defaults of scopes of {@code kind} at {@code epoch}, by key, sorted. */
    public Map<String, JsonNode> defaults(ScopeKind kind, int epoch) {
        return defaults.floorEntry(Math.max(epoch, 1)).getValue().get(kind);
    }

    public Optional<JsonNode> defaultValue(ScopeKind kind, String key, int epoch) {
        return Optional.ofNullable(defaults(kind, epoch).get(key));
    }

    /** The keys whose default in scopes of {@code kind} differs between epochs {@code from} and {@code to}, sorted. */
    public SortedSet<String> defaultsChanged(ScopeKind kind, int from, int to) {
        Map<String, JsonNode> before = defaults(kind, from);
        Map<String, JsonNode> after = defaults(kind, to);
        SortedSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        keys.removeIf(key -> Objects.equals(before.get(key), after.get(key)));
        return keys;
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
