package dev.options.registry;

import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.options.value.OptionJson;

/**
 * A JSON Schema (draft 2020-12) that a definition's values must satisfy, compiled once by
 * networknt's validator: the one a definition gives in full ({@code schema:}), checked against the
 * draft's meta-schema when the registry loads; and the one its short forms ({@code type},
 * {@code enum}, {@code minimum}...) stand for, which is what clients see.
 */
public final class ValueSchema {

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Schema META = SCHEMAS.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));

    private final JsonNode document;
    private final Schema compiled;

    private ValueSchema(JsonNode document, Schema compiled) {
        this.document = document;
        this.compiled = compiled;
    }

    /**
     * The schema {@code document}, compiled.
     *
     * @throws IllegalArgumentException naming what makes it no valid draft 2020-12 schema
     */
    static ValueSchema of(JsonNode document) {
        if (!document.isObject() && !document.isBoolean()) {
            throw new IllegalArgumentException("schema must be a JSON Schema (an object or a boolean)");
        }
        List<Error> wrong = META.validate(document);
        if (!wrong.isEmpty()) {
            throw new IllegalArgumentException("schema is not a valid JSON Schema (draft 2020-12): "
                    + String.join("; ", wrong.stream().map(Error::getMessage).toList()));
        }
        try {
            return new ValueSchema(document, SCHEMAS.getSchema(document));
        } catch (RuntimeException unusable) {
            throw new IllegalArgumentException("schema cannot be compiled: " + unusable.getMessage());
        }
    }

    /** The schema as clients see it. */
    public JsonNode document() {
        return document;
    }

    /** Why {@code value} fails the schema, one reason a person can read per failure; empty if it passes. */
    List<String> violations(JsonNode value) {
        return compiled.validate(value).stream().map(ValueSchema::reason).toList();
    }

    private static String reason(Error error) {
        String message = error.getMessage();
        // "$: does not have a value in the enumeration [1, 2]" reads better without the root's pointer
        return message.startsWith("$: ") ? message.substring(3) : message;
    }

    /** The schema the short forms of a definition stand for ({@code {}} when it has none). */
    static ObjectNode ofShortForms(JsonType type, List<JsonNode> allowed, BigDecimal minimum, BigDecimal maximum,
            Integer maxLength, Pattern pattern, JsonType itemType, Integer maxItems) {
        ObjectNode schema = OptionJson.MAPPER.createObjectNode();
        if (type != null) {
            schema.put("type", type.label());
        }
        if (allowed != null) {
            schema.set("enum", OptionJson.MAPPER.valueToTree(allowed));
        }
        if (minimum != null) {
            schema.put("minimum", minimum);
        }
        if (maximum != null) {
            schema.put("maximum", maximum);
        }
        if (maxLength != null) {
            schema.put("maxLength", maxLength);
        }
        if (pattern != null) {
            schema.put("pattern", pattern.pattern());
        }
        if (itemType != null) {
            schema.putObject("items").put("type", itemType.label());
        }
        if (maxItems != null) {
            schema.put("maxItems", maxItems);
        }
        return schema;
    }
}
