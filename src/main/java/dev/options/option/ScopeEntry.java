package dev.options.option;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.registry.OptionRegistry;
import dev.options.scope.Scope;
import dev.options.scope.ScopeKind;
import dev.options.store.Changes;
import dev.options.store.StoredScope;
import dev.options.value.OptionJson;

/**
 * One scope in one unit of work (MediaWiki's cache entry, per scope): the originals as stored, with
 * the read flag they were loaded with; the normalized layer (stored values normalized, defaults
 * applied), computed once per originals and again only when the originals change, from memory; and
 * the staged modifications (of options, locks and a project's organization), kept apart and merged
 * over the normalized layer on every read. Confined
 * to its unit of work's Vert.x context, so it needs no locking.
 */
public final class ScopeEntry implements Staging {

    /** Marks an unset in {@link #modifications}; never a value, since JSON null is not one. */
    private static final JsonNode UNSET = NullNode.getInstance();

    private final Scope scope;
    private StoredScope originals;
    private ReadFlag flag;
    private Map<String, JsonNode> normalized;
    private Map<String, JsonNode> effective;
    private byte[] document;
    private final Map<String, JsonNode> modifications = new TreeMap<>();
    /** Keys to lock (true) or unlock (false). */
    private final Map<String, Boolean> lockModifications = new TreeMap<>();
    /** The organization a project is to belong to, or null. */
    private Long belongTo;
    /** The epoch of defaults the scope is to move to, or null. */
    private Integer epochTo;
    private boolean reset;
    /** Whether the values stored under old names are to be moved to the keys they were renamed to. */
    private boolean migrate;
    private boolean writtenInTransaction;

    ScopeEntry(Scope scope) {
        this.scope = scope;
    }

    public Scope scope() {
        return scope;
    }

    /** Whether the originals are held, read with {@code wanted} or a stronger flag. */
    public boolean holds(ReadFlag wanted) {
        return originals != null && flag.satisfies(wanted);
    }

    /** Whether the originals held are those of {@code version}, which identifies a scope's content. */
    boolean holdsVersion(long version) {
        return originals != null && originals.version() == version;
    }

    /** The originals; only while {@link #holds} some flag. */
    public StoredScope originals() {
        if (originals == null) {
            throw new IllegalStateException("scope " + scope.key() + " has not been read in this unit of work");
        }
        return originals;
    }

    void loaded(StoredScope stored, ReadFlag readFlag) {
        loaded(stored, readFlag, null);
    }

    /** Originals that come with their effective document already serialized (from the near cache). */
    void loaded(StoredScope stored, ReadFlag readFlag, byte[] serialized) {
        this.originals = stored;
        this.flag = readFlag;
        this.normalized = null;
        this.effective = null;
        this.document = serialized;
    }

    /** The originals as held now (none, or a version read with a flag), to go back to with {@link #restore(Held)}. */
    record Held(StoredScope originals, ReadFlag flag, byte[] document) {
    }

    Held held() {
        return new Held(originals, flag, document);
    }

    /**
     * Holds exactly what {@code held} held again: for originals loaded that the scope may never hold
     * (a version a save in flight is to write), so that no later read takes them for that version.
     */
    void restore(Held held) {
        loaded(held.originals(), held.flag(), held.document());
    }

    /** The originals held were confirmed current under the scope's lock. */
    void locked() {
        this.flag = ReadFlag.LOCKING;
    }

    @Override
    public void set(String key, JsonNode value) {
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("null is not a value; unset the key instead");
        }
        modifications.put(key, value);
    }

    @Override
    public void unset(String key) {
        modifications.put(key, UNSET);
    }

    @Override
    public void reset() {
        modifications.clear();
        reset = true;
    }

    @Override
    public void lock(String key) {
        requireLocking();
        lockModifications.put(key, Boolean.TRUE);
    }

    @Override
    public void unlock(String key) {
        requireLocking();
        lockModifications.put(key, Boolean.FALSE);
    }

    @Override
    public void belongTo(long organizationId) {
        if (scope.kind() != ScopeKind.PROJECT || organizationId < 1) {
            throw new IllegalArgumentException("only a project belongs to an organization, by a positive identifier");
        }
        belongTo = organizationId;
    }

    @Override
    public void moveToEpoch(int epoch) {
        epochTo = epoch;
    }

    @Override
    public void migrateRenamed() {
        migrate = true;
    }

    private void requireLocking() {
        if (!scope.kind().locks()) {
            throw new IllegalArgumentException(scope.kind().label() + " scopes hold no locks");
        }
    }

    public boolean hasModifications() {
        return reset || migrate || !modifications.isEmpty() || !lockModifications.isEmpty() || belongTo != null || epochTo != null;
    }

    /**
     * The option keys a save of what is staged writes, unset or leaves alone: those staged, and for
     * a reset every key stored. A lock above any of them refuses the save.
     */
    Set<String> writtenKeys(OptionRegistry registry) {
        Set<String> keys = new TreeSet<>(modifications.keySet());
        if (reset) {
            keys.addAll(registry.canonicalOptions(originals().options()).keySet());
        }
        return keys;
    }

    /**
     * The effective document, serialized: the originals' own, kept once serialized (or as the near
     * cache handed it over), unless modifications are staged over them.
     */
    byte[] document(OptionRegistry registry) {
        if (hasModifications()) {
            return view(registry).documentBytes();
        }
        if (document == null) {
            ScopeView view = view(registry);
            document = OptionJson.scopeDocument(view.version(), view.options(), view.locks());
        }
        return document;
    }

    /** What is staged, to go back to with {@link #restore} when an attempt to save it is abandoned. */
    record Staged(Map<String, JsonNode> modifications, boolean reset, Map<String, Boolean> lockModifications, Long belongTo,
            Integer epochTo, boolean migrate) {
    }

    Staged staged() {
        return new Staged(Map.copyOf(modifications), reset, Map.copyOf(lockModifications), belongTo, epochTo, migrate);
    }

    /** Stages exactly what {@code staged} held again, dropping whatever was staged since. */
    void restore(Staged staged) {
        modifications.clear();
        modifications.putAll(staged.modifications());
        reset = staged.reset();
        lockModifications.clear();
        lockModifications.putAll(staged.lockModifications());
        belongTo = staged.belongTo();
        epochTo = staged.epochTo();
        migrate = staged.migrate();
    }

    /** Forgets what was staged. */
    void discardModifications() {
        modifications.clear();
        reset = false;
        lockModifications.clear();
        belongTo = null;
        epochTo = null;
        migrate = false;
    }

    /** The locks with what is staged applied, each old name of a key ({@code renamed-from}) as that key. */
    private SortedSet<String> stagedLocks(OptionRegistry registry) {
        SortedSet<String> locks = registry.canonicalKeys(originals().locks());
        if (lockModifications.isEmpty()) {
            return locks;
        }
        Set<String> after = new TreeSet<>(locks);
        lockModifications.forEach((key, lock) -> {
            if (lock) {
                after.add(key);
            } else {
                after.remove(key);
            }
        });
        return StoredScope.locks(after);
    }

    private Long stagedOrganization() {
        return belongTo != null ? belongTo : originals().organization();
    }

    /** The epoch whose defaults apply, with what is staged: the one moved to, the scope's own, else the registry's current one. */
    private int stagedEpoch(OptionRegistry registry) {
        return epochTo != null ? epochTo : originals().epochOr(registry.epoch());
    }

    /**
     * The scope as this unit of work sees it: the normalized layer (stored values normalized, with
     * defaults under them), computed once per originals, and the staged modifications merged over it.
     */
    ScopeView view(OptionRegistry registry) {
        StoredScope stored = originals();
        if (normalized == null) {
            Map<String, JsonNode> defaults = registry.defaults(scope.kind(), stored.epochOr(registry.epoch()));
            Map<String, JsonNode> layer = new TreeMap<>();
            registry.canonicalOptions(stored.options()).forEach((key, value) -> layer.put(key, registry.normalizeStored(key, value)));
            normalized = layer;
            Map<String, JsonNode> withDefaults = new TreeMap<>(defaults);
            withDefaults.putAll(layer);
            effective = withDefaults;
        }
        if (!hasModifications()) {
            return new ScopeView(scope, stored.version(), effective, normalized, registry.canonicalKeys(stored.locks()),
                    stored.organization(), stored.epochOr(registry.epoch()), document);
        }
        Map<String, JsonNode> staged = merged(normalized);
        int epoch = stagedEpoch(registry);
        Map<String, JsonNode> withDefaults = new TreeMap<>(registry.defaults(scope.kind(), epoch));
        withDefaults.putAll(staged);
        return new ScopeView(scope, stored.version(), withDefaults, staged, stagedLocks(registry), stagedOrganization(), epoch, null);
    }

    private Map<String, JsonNode> merged(Map<String, JsonNode> base) {
        Map<String, JsonNode> result = reset ? new TreeMap<>() : new TreeMap<>(base);
        modifications.forEach((key, value) -> {
            if (value == UNSET) {
                result.remove(key);
            } else {
                result.put(key, value);
            }
        });
        return result;
    }

    /**
     * What saving the staged modifications changes in the stored rows: nothing for a value equal to
     * the one stored; a delete for an unset of a stored key, or for a value set equal to its default
     * (unless the key pins defaults). Rows the modifications do not name are left as they are. Keys
     * are those reads know (a key renamed is read from its old name's row until it has its own): a
     * write of a key deletes the rows of its old names as well, and a migration moves every old
     * name's row to its key.
     *
     * @throws ProblemException {@code 422 too-many-keys} when the scope would hold more than
     *     {@code maxKeys} stored options, or locks (a scope already over a lowered limit may still shrink)
     */
    Changes diff(OptionRegistry registry, int maxKeys) {
        Map<String, JsonNode> rows = originals().options();
        Map<String, JsonNode> before = registry.canonicalOptions(rows);
        Map<String, JsonNode> after = reset ? new TreeMap<>() : new TreeMap<>(before);
        int epochBefore = originals().epochOr(registry.epoch());
        int epochAfter = stagedEpoch(registry);
        modifications.forEach((key, value) -> {
            boolean isDefault = value != UNSET
                    && !registry.pinsDefaults(key)
                    && registry.defaultValue(scope.kind(), key, epochAfter).filter(value::equals).isPresent();
            if (value == UNSET || isDefault) {
                after.remove(key);
            } else {
                after.put(key, value);
            }
        });
        if (after.size() > maxKeys && after.size() > before.size()) {
            throw new ProblemException(ProblemType.TOO_MANY_KEYS,
                    "a scope holds at most " + maxKeys + " stored options; this write would make it " + after.size());
        }
        Map<String, JsonNode> upserts = new TreeMap<>();
        after.forEach((key, value) -> {
            if (!value.equals(before.get(key))) {
                upserts.put(key, value);
            }
        });
        Set<String> deletes = new TreeSet<>(before.keySet());
        deletes.removeAll(after.keySet());
        Map<String, JsonNode> previousRows = new TreeMap<>();
        if (before != rows) {
            // rows of old names: gone with every write of their key, and all of them with a migration
            Set<String> written = new TreeSet<>(upserts.keySet());
            written.addAll(deletes);
            for (Map.Entry<String, JsonNode> row : rows.entrySet()) {
                String key = registry.canonical(row.getKey());
                if (key.equals(row.getKey()) || !(migrate || written.contains(key))) {
                    continue;
                }
                deletes.add(row.getKey());
                previousRows.put(row.getKey(), row.getValue());
                if (migrate && !rows.containsKey(key) && after.containsKey(key)) {
                    upserts.putIfAbsent(key, after.get(key));
                }
            }
        }
        SortedSet<String> locksBefore = originals().locks();
        // the locks as stored are rewritten under their keys' names only by a change of locks or a migration
        SortedSet<String> locksAfter = lockModifications.isEmpty() && !migrate ? locksBefore : stagedLocks(registry);
        if (locksAfter.size() > maxKeys && locksAfter.size() > locksBefore.size()) {
            throw new ProblemException(ProblemType.TOO_MANY_KEYS,
                    "a scope holds at most " + maxKeys + " locks; this write would make it " + locksAfter.size());
        }
        Set<String> lockChanges = new TreeSet<>();
        locksAfter.stream().filter(key -> !locksBefore.contains(key)).forEach(lockChanges::add);
        locksBefore.stream().filter(key -> !locksAfter.contains(key)).forEach(lockChanges::add);
        Long organization = Objects.equals(stagedOrganization(), originals().organization()) ? null : stagedOrganization();
        Map<String, JsonNode> previous = new TreeMap<>();
        upserts.keySet().forEach(key -> {
            if (before.containsKey(key)) {
                previous.put(key, before.get(key));
            }
        });
        deletes.forEach(key -> {
            if (before.containsKey(key)) {
                previous.put(key, before.get(key));
            }
        });
        previous.putAll(previousRows);
        boolean moved = epochTo != null && epochAfter != epochBefore;
        return new Changes(upserts, deletes, lockChanges.isEmpty() ? null : locksAfter, lockChanges, organization, previous,
                originals().organization(), moved ? epochAfter : null,
                moved ? registry.defaultsChanged(scope.kind(), epochBefore, epochAfter) : Set.of(), originals().epoch(), registry.epoch());
    }

    /** The save wrote {@code next} in the current transaction, which still holds the scope's lock. */
    void saved(StoredScope next) {
        loaded(next, ReadFlag.LOCKING);
        discardModifications();
        writtenInTransaction = true;
    }

    /** A save outside any transaction stored {@code next}, which is now merely the latest. */
    void written(StoredScope next) {
        loaded(next, ReadFlag.LATEST);
        discardModifications();
    }

    /**
     * The transaction ended: the lock is gone, so originals read under it are now merely the latest;
     * originals this transaction wrote are forgotten if it rolled back, since they were never stored.
     */
    void transactionEnded(boolean committed) {
        if (writtenInTransaction && !committed) {
            originals = null;
            flag = null;
            normalized = null;
            effective = null;
            document = null;
        } else if (flag == ReadFlag.LOCKING) {
            flag = ReadFlag.LATEST;
        }
        writtenInTransaction = false;
    }
}
