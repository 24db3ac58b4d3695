package dev.options.option;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.registry.Definition;
import dev.options.registry.OptionRegistry;
import dev.options.scope.ScopeKind;
import dev.options.store.ScopeScans;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * What a new default would change (Discourse's "update existing users?" with its count): per scope
 * kind the key applies to, the scopes written at least once whose value in force comes from the
 * default (no layer of their chain that counts for the key stores it, under its name or an old one)
 * and whose default, at their own epoch, differs from the candidate. One query per kind, none for a
 * kind where no epoch's default differs. Locks are not looked at: a scope below a lock counts by
 * its own chain, so one that stores the key below a lock that enforces a default is not counted.
 */
@ApplicationScoped
public class DefaultImpact {

    private final OptionRegistry registry;
    private final ScopeScans store;

    DefaultImpact(OptionRegistry registry, ScopeScans store) {
        this.registry = registry;
        this.store = store;
    }

    /** The count per kind for {@code definition} (a key's own, not a prefix's) if its default became {@code candidate}. */
    public Uni<Map<ScopeKind, Long>> of(Definition definition, JsonNode candidate) {
        String key = definition.key();
        List<String> names = new ArrayList<>();
        names.add(key);
        names.addAll(definition.renamedFrom());
        Set<ScopeKind> counting = definition.scopes().isEmpty() ? EnumSet.noneOf(ScopeKind.class) : EnumSet.copyOf(definition.scopes());
        List<ScopeKind> kinds = List.copyOf(counting);
        return Multi.createFrom().iterable(kinds)
                .onItem().transformToUniAndConcatenate(kind -> {
                    List<Integer> epochs = new ArrayList<>();
                    for (int epoch = 1; epoch <= registry.epoch(); epoch++) {
                        Optional<JsonNode> today = registry.defaultValue(kind, key, epoch);
                        if (!Objects.equals(today.orElse(null), candidate)) {
                            epochs.add(epoch);
                        }
                    }
                    return epochs.isEmpty() ? Uni.createFrom().item(0L)
                            : store.takingTheDefault(kind, names, counting, epochs);
                })
                .collect().asList()
                .map(counts -> {
                    Map<ScopeKind, Long> byKind = new LinkedHashMap<>();
                    for (int i = 0; i < kinds.size(); i++) {
                        byKind.put(kinds.get(i), counts.get(i));
                    }
                    return byKind;
                });
    }
}
