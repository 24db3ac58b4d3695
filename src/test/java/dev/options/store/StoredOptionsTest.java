package dev.options.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;

class StoredOptionsTest {

    private static Map<String, JsonNode> unordered() {
        Map<String, JsonNode> options = new HashMap<>();
        for (String key : List.of("zeta", "alpha", "mid.key", "b", "a-b", "A")) {
            options.put(key, TextNode.valueOf("value of " + key));
        }
        return options;
    }

    @Test
    void aStoredScopesOptionsIterateInKeyOrderAndEqualTheMapTheyWereMadeFrom() {
        Map<String, JsonNode> source = unordered();
        StoredScope stored = new StoredScope(3, source);
        assertThat(new ArrayList<>(stored.options().keySet())).containsExactlyElementsOf(new TreeMap<>(source).keySet());
        List<String> visited = new ArrayList<>();
        stored.options().forEach((key, value) -> visited.add(key + "=" + value.textValue()));
        assertThat(visited).containsExactlyElementsOf(new TreeMap<>(source).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().textValue()).toList());
        assertThat(stored.options()).isEqualTo(source).hasSameHashCodeAs(new TreeMap<>(source));
        assertThat(stored.options().get("mid.key")).isEqualTo(TextNode.valueOf("value of mid.key"));
        assertThat(stored.options().get("missing")).isNull();
        assertThat(stored.options().get(42)).isNull();
        assertThat(stored.options().containsKey("zeta")).isTrue();
        assertThat(stored.options().containsKey("zet")).isFalse();
    }

    @Test
    void theyCannotBeChangedNorChangeWithTheirSource() {
        Map<String, JsonNode> source = unordered();
        StoredScope stored = new StoredScope(1, source);
        source.put("late", IntNode.valueOf(1));
        assertThat(stored.options()).doesNotContainKey("late").hasSize(6);
        assertThatThrownBy(() -> stored.options().put("x", IntNode.valueOf(1))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> stored.options().remove("b")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> stored.options().entrySet().iterator().remove()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> stored.options().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void scopesStoringTheSameKeysShareOneStringPerKey() {
        StoredScope first = new StoredScope(1, Map.of(new String("shared.key".toCharArray()), IntNode.valueOf(1)));
        StoredScope second = new StoredScope(1, Map.of(new String("shared.key".toCharArray()), IntNode.valueOf(2)));
        assertThat(first.options().keySet().iterator().next()).isSameAs(second.options().keySet().iterator().next());
    }

    @Test
    void anEmptyScopeHoldsNothing() {
        assertThat(StoredScope.empty().options()).isEmpty();
        assertThat(new StoredScope(2, Map.of()).options()).isEqualTo(Map.of());
    }
}
