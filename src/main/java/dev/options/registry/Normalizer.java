package dev.options.registry;

import java.util.IllformedLocaleException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * How a value is brought to its one canonical form before it is checked and stored, and when a
 * stored value is read (so values stored before a normalizer was added read normalized too).
 * Applies to strings, and to the strings of an array.
 */
public enum Normalizer {
    TRIM("trim", String::strip),
    LOWERCASE("lowercase", s -> s.toLowerCase(Locale.ROOT)),
    /** A BCP 47 language tag in its canonical case ({@code en_us} and {@code EN-us} become {@code en-US}). */
    LANGUAGE_TAG("language-tag", Normalizer::languageTag);

    private final String label;
    private final UnaryOperator<String> function;

    Normalizer(String label, UnaryOperator<String> function) {
        this.label = label;
        this.function = function;
    }

    public String label() {
        return label;
    }

    public static Optional<Normalizer> byLabel(String label) {
        for (Normalizer normalizer : values()) {
            if (normalizer.label.equals(label)) {
                return Optional.of(normalizer);
            }
        }
        return Optional.empty();
    }

    /**
     * The normalized value.
     *
     * @throws IllegalArgumentException with the reason, when a string cannot be normalized
     */
    public JsonNode apply(JsonNode value) {
        if (value.isTextual()) {
            return TextNode.valueOf(function.apply(value.textValue()));
        }
        if (value.isArray()) {
            ArrayNode copy = ((ArrayNode) value).arrayNode(value.size());
            value.forEach(item -> copy.add(apply(item)));
            return copy;
        }
        return value;
    }

    private static String languageTag(String text) {
        String tag = text.strip().replace('_', '-');
        if (tag.isEmpty()) {
            throw new IllegalArgumentException("is not a BCP 47 language tag");
        }
        try {
            return new Locale.Builder().setLanguageTag(tag).build().toLanguageTag();
        } catch (IllformedLocaleException e) {
            throw new IllegalArgumentException("is not a BCP 47 language tag");
        }
    }
}
