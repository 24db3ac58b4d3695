package dev.options.store;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A scope's stored options as the caches keep them: immutable, iterated in key order, in two arrays
 * (three objects whatever the size) instead of a tree map's node per option behind an unmodifiable
 * view. The near cache holds one per cached scope, so its size is most of the cache's heap and its
 * object count most of what a full collection traces. Keys are interned: a million scopes storing
 * the same keys hold one string per key.
 */
final class StoredOptions extends AbstractMap<String, JsonNode> {

    static final StoredOptions EMPTY = new StoredOptions(new String[0], new JsonNode[0]);

    private final String[] keys;
    private final JsonNode[] values;

    private StoredOptions(String[] keys, JsonNode[] values) {
        this.keys = keys;
        this.values = values;
    }

    /** The options of {@code options}, sorted by key; neither keys nor values may be null. */
    static StoredOptions of(Map<String, JsonNode> options) {
        if (options instanceof StoredOptions already) {
            return already;
        }
        if (options.isEmpty()) {
            return EMPTY;
        }
        String[] keys = new String[options.size()];
        int i = 0;
        for (String key : options.keySet()) {
            keys[i++] = key.intern();
        }
        Arrays.sort(keys);
        JsonNode[] values = new JsonNode[keys.length];
        for (i = 0; i < keys.length; i++) {
            values[i] = options.get(keys[i]);
            if (values[i] == null) {
                throw new NullPointerException("option " + keys[i] + " has no value");
            }
        }
        return new StoredOptions(keys, values);
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public JsonNode get(Object key) {
        int index = indexOf(key);
        return index >= 0 ? values[index] : null;
    }

    private int indexOf(Object key) {
        return key instanceof String text ? Arrays.binarySearch(keys, text) : -1;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super JsonNode> action) {
        for (int i = 0; i < keys.length; i++) {
            action.accept(keys[i], values[i]);
        }
    }

    @Override
    public Set<Entry<String, JsonNode>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return keys.length;
            }

            @Override
            public Iterator<Entry<String, JsonNode>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < keys.length;
                    }

                    @Override
                    public Entry<String, JsonNode> next() {
                        if (next >= keys.length) {
                            throw new NoSuchElementException();
                        }
                        int index = next++;
                        return new SimpleImmutableEntry<>(keys[index], values[index]);
                    }
                };
            }
        };
    }
}
