package dev.options.option;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.cache.CacheMetrics;
import dev.options.cache.NearCache;
import dev.options.config.OptionsConfig;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKey;
import dev.options.scope.ScopeKind;
import dev.options.store.HistoryStore;
import dev.options.value.OptionKeys;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.value.OptionJson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * Reads, stages and saves the options of every scope kind; the one entry point for HTTP resources
 * and for code that uses the service directly. Every method must run on a Vert.x duplicated context
 * (an HTTP request, or {@code VertxContextSupport} elsewhere), which carries the request cache; the
 * methods of one unit of work are used in sequence, as its database session is.
 *
 * <p>Within a unit of work a scope is read from Postgres at most once per read flag: later reads
 * with the same or a weaker flag are served from the request cache, with staged modifications merged
 * in. {@link #update} is the save of the write path: locking, or one conditional statement. The work
 * is done by one collaborator a job: {@link LayeredReads}, {@link Saves}, {@link BulkReads},
 * {@link Inheritance} and {@link Validation}.
 */
@ApplicationScoped
public class OptionService {

    private final LayeredReads reads;
    private final Saves saves;
    private final BulkReads bulkReads;
    private final Inheritance inheritance;
    private final History history;
    private final MeterRegistry meters;
    private final Validation validation;
    private final OptionRegistry registry;
    private final NearCache near;
    private final CacheMetrics metrics;
    private final boolean caches;

    OptionService(LayeredReads reads, Saves saves, BulkReads bulkReads, Inheritance inheritance, History history,
            Validation validation, OptionRegistry registry, OptionsConfig config, NearCache near, CacheMetrics metrics,
            MeterRegistry meters) {
        this.meters = meters;
        this.history = history;
        this.reads = reads;
        this.saves = saves;
        this.bulkReads = bulkReads;
        this.inheritance = inheritance;
        this.validation = validation;
        this.registry = registry;
        this.near = near;
        this.metrics = metrics;
        this.caches = config.cache().enabled();
    }

    /** A change to make under the scope's lock, given the scope as it is then. */
    @FunctionalInterface
    public interface Edit {
        void apply(ScopeView current, Staging staging);
    }

    /**
     * The scope as this unit of work sees it. {@link ReadFlag#LOCKING} locks the scope until the
     * transaction ends, so it needs one ({@link #inTransaction}).
     */
    public Uni<ScopeView> read(Scope scope, ReadFlag flag) {
        return reads.held(scope, flag).map(entry -> entry.view(registry));
    }

    /** A scope's document as {@link #read} would serialize it, without building its maps when it is at hand. */
    public record Document(long version, byte[] bytes) {
    }

    /** The scope's version and effective document, serialized: the hot read, served pre-serialized. */
    public Uni<Document> readDocument(Scope scope, ReadFlag flag) {
        return reads.held(scope, flag).map(entry -> new Document(entry.originals().version(), entry.document(registry)));
    }

    /**
     * The hot read's document, {@link #readDocument} with {@link ReadFlag#NORMAL}, from the near
     * cache's documents tier when it holds the scope. For a request that reads nothing else of the
     * scope: a document from that tier does not enter the request's unit of work.
     */
    public Uni<Document> readHotDocument(Scope scope) {
        if (caches) {
            NearCache.Document held = near.document(scope);
            if (held != null) {
                metrics.hit(CacheMetrics.Layer.NEAR);
                if (held.dueForRefresh()) {
                    reads.refreshAhead(scope);
                }
                return Uni.createFrom().item(new Document(held.version(), held.bytes()));
            }
        }
        return readDocument(scope, ReadFlag.NORMAL);
    }

    /**
     * The key a request names, checked: itself, or the key it was renamed to when it is an old name
     * ({@code renamed-from}), so that old names are aliases on every path.
     *
     * @throws dev.options.problem.ProblemException 400 {@code invalid-key}
     */
    public String key(String named) {
        return registry.canonical(OptionKeys.require(named));
    }

    /** The effective value of one option, empty when neither stored nor defaulted. */
    public Uni<Optional<JsonNode>> get(Scope scope, String key, ReadFlag flag) {
        String named = key(key);
        return read(scope, flag).map(view -> Optional.ofNullable(view.options().get(named)));
    }

    /**
     * Records the changes this unit of work saves from now on as made by {@code actor} (a token's
     * subject; null for no one known) through {@code channel}, in every scope's history.
     */
    public void attribute(String actor, Channel channel) {
        RequestCache.unitOfWork().attribute(actor, channel);
    }

    /** Stages {@code key = value} in this unit of work, checked and normalized; {@link #save} stores it. */
    public void set(Scope scope, String key, JsonNode value) {
        String named = key(key);
        JsonNode checked = validation.validated(scope.kind(), named, value);
        RequestCache.unitOfWork().entry(scope).set(named, checked);
    }

    /** Stages an unset of {@code key}; {@link #save} stores it. */
    public void unset(Scope scope, String key) {
        RequestCache.unitOfWork().entry(scope).unset(key(key));
    }

    /** Stages an unset of every stored option of the scope; {@link #save} stores it. */
    public void reset(Scope scope) {
        RequestCache.unitOfWork().entry(scope).reset();
    }

    /** Forgets what is staged for the scope. */
    public void discard(Scope scope) {
        RequestCache.unitOfWork().find(scope).ifPresent(ScopeEntry::discardModifications);
    }

    /** A value fit to store in scopes of {@code kind}: see {@link #validatedAll}. */
    public JsonNode validated(ScopeKind kind, String key, JsonNode value) {
        return validation.validated(kind, key, value);
    }

    /**
     * Values fit to store in scopes of {@code kind}, normalized: valid keys, no JSON null, canonical
     * JSON, within the size limit, and satisfying their definitions.
     *
     * @throws dev.options.problem.ProblemException 400 for a bad key or a null, 413 for a value too
     *     large, 422 {@code unstorable-value}, or 422 {@code invalid-option} listing every key that
     *     fails its definition (in {@code errors}, each with its reason)
     */
    public Map<String, JsonNode> validatedAll(ScopeKind kind, Map<String, JsonNode> values) {
        return validation.validatedAll(kind, values);
    }

    /** Saves what is staged for the scope: {@link #update} with no further edit. */
    public Uni<ScopeView> save(Scope scope, IfMatch ifMatch) {
        return update(scope, ifMatch, (current, staging) -> {
        });
    }

    /**
     * Saves the scope: {@code edit} applied to the scope as it is at the moment of the save, with what
     * this unit of work staged, in one transaction (see {@link Saves}).
     *
     * @throws dev.options.problem.ProblemException {@code 412 version-mismatch} (with
     *     {@code currentVersion}) when {@code ifMatch} does not match, {@code 422 too-many-keys};
     *     nothing is written then
     */
    public Uni<ScopeView> update(Scope scope, IfMatch ifMatch, Edit edit) {
        return saves.update(scope, ifMatch, edit);
    }

    /**
     * Runs {@code work} in one Postgres transaction, or in the transaction this unit of work already
     * has open. Saves inside it are committed or rolled back together.
     */
    public <T> Uni<T> inTransaction(Supplier<Uni<T>> work) {
        return saves.inTransaction(work);
    }

    /**
     * The effective value of {@code key} in each scope of a single-identifier {@code kind}, in the
     * order of {@code ids} (null where neither stored nor defaulted).
     */
    public Uni<Map<Long, JsonNode>> bulk(ScopeKind kind, String key, List<Long> ids) {
        return bulkReads.bulk(kind, key(key), ids);
    }

    /**
     * A scope with what it inherits, for a client that wants the options in force, and where each
     * value comes from.
     */
    public Uni<InheritedView> inherited(Scope scope, ReadFlag flag) {
        return inheritance.inherited(scope, flag);
    }

    /**
     * Whether {@code key} is deprecated by its definition; each use of one is counted
     * ({@code options.deprecated.uses{key}}), so operators see who still relies on it.
     */
    public boolean deprecated(String key) {
        Optional<String> definitionKey = registry.definition(key).filter(d -> d.deprecated() != null).map(d -> d.key());
        definitionKey.ifPresent(found -> Counter.builder("options.deprecated.uses")
                .description("Reads and writes of deprecated keys, by definition").tag("key", found).register(meters).increment());
        return definitionKey.isPresent();
    }

    /** The registry's current epoch of defaults, which a scope's first write fixes as its own. */
    public int currentEpoch() {
        return registry.epoch();
    }

    /** The default of {@code key} in scopes of {@code kind} at {@code epoch}, if it has one. */
    public Optional<JsonNode> defaultValue(ScopeKind kind, String key, int epoch) {
        return registry.defaultValue(kind, key, epoch);
    }

    /** Whether {@code key}'s definition applies to scopes of {@code kind} (undefined keys apply to all). */
    public boolean appliesTo(ScopeKind kind, String key) {
        return registry.appliesTo(kind, key);
    }

    /** A page of a scope's history, newest first, and the {@code before} of the next page (null when there is none). */
    public record HistoryPage(List<HistoryStore.Recorded> entries, Long next) {
    }

    /**
     * The changes of {@code scope}, newest first, at most {@code limit}, of versions below {@code before}
     * (null: from the newest), only those that change {@code key} (null: all).
     */
    public Uni<HistoryPage> history(Scope scope, String key, Long before, int limit) {
        return history.page(scope, key, before, limit);
    }

    /**
     * The scope as it was at {@code version}: what it stored then, under today's defaults.
     *
     * @throws dev.options.problem.ProblemException {@code 404 unknown-version} beyond the current
     *     version or the history kept
     */
    public Uni<ScopeView> readAt(Scope scope, long version) {
        return history.at(scope, version).map(then -> history.view(scope, then));
    }

    /**
     * Saves a new version of the scope whose stored options equal those of {@code version} (see
     * {@link #readAt}), checked like any write; recorded through {@link Channel#REVERT}.
     */
    public Uni<ScopeView> revert(Scope scope, long version, IfMatch ifMatch) {
        return history.revert(scope, version, ifMatch);
    }

    /** The values in force of a scope, serialized, and their entity tag's content (every layer's version, narrowest first). */
    public record InheritedDocument(String versions, byte[] bytes, List<Scope> layers, long[] layerVersions) {

        /** Made of {@code layers} (narrowest first) at {@code layerVersions}, which {@code versions} joins. */
        public InheritedDocument {
            layers = List.copyOf(layers);
        }
    }

    /**
     * {@link #inherited} with {@link ReadFlag#NORMAL}, serialized: the hot inherited read. The layers are
     * read as any NORMAL read reads them (the near cache, when warm), and the document is kept once
     * serialized for as long as no layer changes.
     */
    public Uni<InheritedDocument> readInheritedDocument(Scope scope) {
        return inheritance.document(scope);
    }

    /**
     * The layers of a scope's chain as this unit of work sees them, widest first, the scope itself
     * last (see {@link Inheritance}).
     */
    public Uni<List<ScopeView>> chain(Scope scope, ReadFlag flag) {
        return inheritance.chain(scope, flag);
    }

    /**
     * A scope's values in force: {@code own} and the {@code layers} of its chain (widest first, the scope
     * last), each key's value and the kind of the layer it comes from ({@code default}, {@code organization},
     * {@code project}, {@code user}, {@code user-in-project}, {@code user-in-organization}), and the keys
     * locked above it, each with the scope whose lock enforces it.
     */
    public record InheritedView(ScopeView own, List<ScopeView> layers, Map<String, JsonNode> options,
            Map<String, String> sources, SortedMap<String, ScopeKey> lockedBy) {

        /**
         * The document of the values in force: the scope's version, the options, their sources, the keys
         * locked above, and the scope's own locks when it holds any.
         */
        public byte[] document() {
            ObjectNode document = OptionJson.MAPPER.createObjectNode();
            document.put("version", own.version());
            document.set("options", OptionJson.object(options));
            ObjectNode sourcesNode = document.putObject("sources");
            sources.forEach(sourcesNode::put);
            ArrayNode locked = document.putArray("locked");
            lockedBy.keySet().forEach(locked::add);
            if (!own.locks().isEmpty()) {
                ArrayNode locks = document.putArray("locks");
                own.locks().forEach(locks::add);
            }
            return OptionJson.write(document);
        }

        /** The versions of every layer, narrowest first, joined by dots: the entity tag's content. */
        public String versions() {
            StringBuilder joined = new StringBuilder();
            for (int i = layers.size() - 1; i >= 0; i--) {
                joined.append(layers.get(i).version());
                if (i > 0) {
                    joined.append('.');
                }
            }
            return joined.toString();
        }
    }
}
