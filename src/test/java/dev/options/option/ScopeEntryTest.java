package dev.options.option;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.options.registry.OptionRegistry;
import dev.options.registry.RegistryLoader;
import dev.options.scope.Scope;
import dev.options.store.StoredScope;

/**
 * The two layers of a scope in one unit of work: raw originals and the normalized layer, computed
 * once per originals and rebuilt from memory after a save.
 */
class ScopeEntryTest {

    /** A registry that counts how often stored values are normalized. */
    static final class CountingRegistry extends OptionRegistry {
        final AtomicInteger normalized = new AtomicInteger();

        CountingRegistry() {
            super(RegistryLoader.parse("counting.yaml", """
                    definitions:
                      language: {type: string, normalizer: language-tag, default: en}
                      nick: {type: string, normalizer: trim}
                    """), false);
        }

        @Override
        public JsonNode normalizeStored(String key, JsonNode value) {
            normalized.incrementAndGet();
            return super.normalizeStored(key, value);
        }
    }

    @Test
    void normalizationRunsOncePerOriginalsHoweverOftenTheScopeIsRead() {
        CountingRegistry registry = new CountingRegistry();
        ScopeEntry entry = new ScopeEntry(Scope.user(1));
        entry.loaded(new StoredScope(4, Map.of("language", TextNode.valueOf("pt_br"), "nick", TextNode.valueOf(" ann "))),
                ReadFlag.NORMAL);

        for (int i = 0; i < 5; i++) {
            ScopeView view = entry.view(registry);
            assertThat(view.options()).containsEntry("language", TextNode.valueOf("pt-BR")).containsEntry("nick", TextNode.valueOf("ann"));
        }
        entry.set("nick", TextNode.valueOf("bo"));
        assertThat(entry.view(registry).options()).containsEntry("nick", TextNode.valueOf("bo"));
        assertThat(registry.normalized).hasValue(2);

        // a save hands the entry its new originals: the normalized layer is rebuilt from them, in memory
        entry.saved(new StoredScope(5, Map.of("language", TextNode.valueOf("pt_br"), "nick", TextNode.valueOf("bo"))));
        entry.view(registry);
        entry.view(registry);
        assertThat(registry.normalized).hasValue(4);
        assertThat(entry.view(registry).version()).isEqualTo(5);
    }

    @Test
    void rawOriginalsStayRawForTheDiffSoAnUntouchedLegacyValueIsNotRewritten() {
        CountingRegistry registry = new CountingRegistry();
        ScopeEntry entry = new ScopeEntry(Scope.user(1));
        entry.loaded(new StoredScope(1, Map.of("nick", TextNode.valueOf(" ann "))), ReadFlag.LOCKING);
        entry.set("language", TextNode.valueOf("fr"));

        var changes = entry.diff(registry, 1000);

        assertThat(changes.upserts()).containsOnlyKeys("language");
        assertThat(changes.deletes()).isEmpty();
    }
}
