package dev.options.option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import io.smallrye.mutiny.Uni;

/**
 * The values in force in a scope: each key from the narrowest layer of its chain that holds it, a
 * layer counting for a key only when the key applies to the layer's kind, over the defaults of the
 * scope's kind at the scope's own epoch; and over all of it the locks of the organizations and projects above the scope, the
 * widest first, each enforcing its own value in force. The chains, widest first:
 *
 * <pre>
 * organization          organization
 * project               organization of the project, project
 * user                  user
 * user in organization  organization, user, user in the organization
 * user in project       organization of the project, project, user, user in the project
 * </pre>
 *
 * Every layer is a NORMAL read (or the flag asked for): from the caches, like any other read.
 */
@ApplicationScoped
class Inheritance {

    /** Documents of values in force kept once serialized, by scope, with the layers' versions they were made of. */
    private static final int DOCUMENTS_KEPT = 20_000;

    private final LayeredReads reads;
    private final OptionRegistry registry;
    private final Cache<ScopeKey, OptionService.InheritedDocument> documents = Caffeine.newBuilder()
            .maximumSize(DOCUMENTS_KEPT).build();

    Inheritance(LayeredReads reads, OptionRegistry registry) {
        this.reads = reads;
        this.registry = registry;
    }

    /** The layers of {@code scope}'s chain, widest first, the scope itself last. */
    Uni<List<ScopeView>> chain(Scope scope, ReadFlag flag) {
        return entries(scope, flag).map(entries -> entries.stream().map(entry -> entry.view(registry)).toList());
    }

    /** The unit of work's entries of the layers of {@code scope}'s chain, widest first, the scope itself last. */
    private Uni<List<ScopeEntry>> entries(Scope scope, ReadFlag flag) {
        return switch (scope.kind()) {
            case ORGANIZATION, USER -> reads.held(scope, flag).map(List::of);
            case PROJECT -> reads.held(scope, flag).chain(project -> withOrganization(project, flag, List.of(project)));
            case USER_IN_ORGANIZATION -> reads.held(Scope.organization(scope.ids().get(1)), flag)
                    .chain(organization -> reads.held(Scope.user(scope.ids().get(0)), flag)
                            .chain(user -> reads.held(scope, flag).map(own -> List.of(organization, user, own))));
            case USER_IN_PROJECT -> reads.held(Scope.project(scope.ids().get(1)), flag)
                    .chain(project -> reads.held(Scope.user(scope.ids().get(0)), flag)
                            .chain(user -> reads.held(scope, flag)
                                    .chain(own -> withOrganization(project, flag, List.of(project, user, own)))));
        };
    }

    private Uni<List<ScopeEntry>> withOrganization(ScopeEntry project, ReadFlag flag, List<ScopeEntry> narrower) {
        Long organizationId = project.hasModifications() ? project.view(registry).organization() : project.originals().organization();
        if (organizationId == null) {
            return Uni.createFrom().item(narrower);
        }
        return reads.held(Scope.organization(organizationId), flag).map(organization -> {
            List<ScopeEntry> layers = new ArrayList<>(narrower.size() + 1);
            layers.add(organization);
            layers.addAll(narrower);
            return layers;
        });
    }

    /** The values in force in {@code scope}, with their sources and locks. */
    Uni<OptionService.InheritedView> inherited(Scope scope, ReadFlag flag) {
        return chain(scope, flag).map(layers -> inForce(scope.kind(), layers));
    }

    /**
     * The values in force in {@code scope} as NORMAL reads find its layers, serialized: the document
     * kept for the scope when it was made of the same layers' versions (a version names a scope's
     * content, and the project's names its organization, so the same versions make the same
     * document), else made and kept. A unit of work with changes staged on a layer does not use it.
     */
    Uni<OptionService.InheritedDocument> document(Scope scope) {
        OptionService.InheritedDocument fromNear = keptFromNear(scope);
        if (fromNear != null) {
            return Uni.createFrom().item(fromNear);
        }
        return entries(scope, ReadFlag.NORMAL).map(entries -> {
            String versions = versions(entries);
            OptionService.InheritedDocument kept = documents.getIfPresent(scope.key());
            boolean staged = entries.stream().anyMatch(ScopeEntry::hasModifications);
            if (kept != null && !staged && kept.versions().equals(versions)) {
                return kept;
            }
            List<ScopeView> layers = entries.stream().map(entry -> entry.view(registry)).toList();
            List<Scope> scopes = new ArrayList<>(entries.size());
            long[] layerVersions = new long[entries.size()];
            for (int i = entries.size() - 1; i >= 0; i--) {
                layerVersions[scopes.size()] = entries.get(i).originals().version();
                scopes.add(entries.get(i).scope());
            }
            OptionService.InheritedDocument made = new OptionService.InheritedDocument(versions, inForce(scope.kind(), layers).document(),
                    scopes, layerVersions);
            if (!staged) {
                documents.put(scope.key(), made);
            }
            return made;
        });
    }

    /**
     * The document kept for {@code scope} when every layer of its chain is in the near cache at the
     * version it was made of, found without entering the unit of work (no entries, no views): what
     * {@link #document} would answer for a unit of work that has read none of them, which is what the
     * hot route serves. The layers are those it was made of: the project's version being the same,
     * so is its organization. A layer's version comes from the documents tier for the kinds it holds
     * (so the chain's organizations, projects and users need no entry of their own), else from the
     * entries. Null otherwise (the slow path decides, and counts its own hits).
     */
    private OptionService.InheritedDocument keptFromNear(Scope scope) {
        OptionService.InheritedDocument kept = documents.getIfPresent(scope.key());
        if (kept == null || !RequestCache.isEmpty()) {
            return null;
        }
        return reads.nearAt(kept.layers(), kept.layerVersions()) ? kept : null;
    }

    /** The versions of {@code entries} (widest first), narrowest first, joined by dots. */
    private static String versions(List<ScopeEntry> entries) {
        StringBuilder joined = new StringBuilder();
        for (int i = entries.size() - 1; i >= 0; i--) {
            joined.append(entries.get(i).originals().version());
            if (i > 0) {
                joined.append('.');
            }
        }
        return joined.toString();
    }

    /** What {@code layers} (widest first, the scope last) put in force in a scope of {@code kind}. */
    OptionService.InheritedView inForce(ScopeKind kind, List<ScopeView> layers) {
        Map<String, JsonNode> options = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        registry.defaults(kind, layers.get(layers.size() - 1).epoch()).forEach((key, value) -> {
            options.put(key, value);
            sources.put(key, "default");
        });
        for (ScopeView layer : layers) {
            ScopeKind layerKind = layer.scope().kind();
            layer.stored().forEach((key, value) -> {
                if (registry.appliesTo(layerKind, key)) {
                    options.put(key, value);
                    sources.put(key, layerKind.label());
                }
            });
        }
        SortedMap<String, ScopeKey> lockedBy = new TreeMap<>();
        // a scope's own locks are for the scopes below it; the widest lock of a key wins
        for (int i = 0; i < layers.size() - 1; i++) {
            ScopeView locker = layers.get(i);
            for (String key : locker.locks()) {
                if (lockedBy.containsKey(key)) {
                    continue;
                }
                lockedBy.put(key, locker.scope().key());
                Optional<JsonNode> enforced = valueInForce(layers.subList(0, i + 1), key);
                if (enforced.isPresent()) {
                    options.put(key, enforced.get());
                } else {
                    options.remove(key);
                }
                sources.put(key, locker.scope().kind().label());
            }
        }
        sources.keySet().retainAll(options.keySet());
        return new OptionService.InheritedView(layers.get(layers.size() - 1), List.copyOf(layers),
                Collections.unmodifiableMap(options), Collections.unmodifiableMap(sources), Collections.unmodifiableSortedMap(lockedBy));
    }

    /**
     * The value in force of {@code key} in the last of {@code layers} (widest first) without locks:
     * the narrowest layer that holds it and counts for it, else the default of that scope's kind at its epoch.
     */
    private Optional<JsonNode> valueInForce(List<ScopeView> layers, String key) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            ScopeView layer = layers.get(i);
            JsonNode stored = layer.stored().get(key);
            if (stored != null && registry.appliesTo(layer.scope().kind(), key)) {
                return Optional.of(stored);
            }
        }
        ScopeView last = layers.get(layers.size() - 1);
        return registry.defaultValue(last.scope().kind(), key, last.epoch());
    }
}
