package dev.options.option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;

/**
 * Reading and writing option values so that they round-trip exactly.
 *
 * <p>Numbers are kept as {@link BigDecimal}/{@link BigInteger}, never doubles, so 2^53+1 stays
 * 9007199254740993 and 1.50 stays 1.50. Values are canonicalized the way Postgres {@code jsonb}
 * stores them (a number written with an exponent but no fraction, like {@code 1e2}, is the integer
 * 100), so that the value a client sent and the value read back from the database compare equal and
 * an unchanged value is recognized as unchanged.
 */
public final class OptionJson {

    /** Postgres {@code numeric} holds at most this many digits before the decimal point. */
    static final int MAX_INTEGER_DIGITS = 131_072;
    /** ... and at most this many after it. */
    static final int MAX_FRACTION_DIGITS = 16_383;
    /** Option values are settings, not documents: deeper nesting is refused while parsing. */
    static final int MAX_NESTING_DEPTH = 128;

    public static final JsonMapper MAPPER = JsonMapper.builder(new JsonFactoryBuilder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                    // characters beyond the BMP as UTF-8, not as escaped surrogate pairs
                    .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private static final JsonNodeFactory NODES = MAPPER.getNodeFactory();

    private OptionJson() {
    }

    /**
     * Parses a request body into a JSON tree.
     *
     * @throws ProblemException {@code 400 malformed-json} for anything that is not exactly one JSON value
     */
    public static JsonNode parseBody(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the request body is empty; it must be a JSON value");
        }
        if (notUtf8(body)) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the request body must be JSON in UTF-8");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new ProblemException(ProblemType.MALFORMED_JSON, "the request body holds no JSON value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, describe(e));
        } catch (IOException e) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the request body could not be read as JSON");
        }
    }

    /**
     * Whether the body starts like UTF-16 or UTF-32 (a byte-order mark or a NUL among the first
     * bytes), which the parser would otherwise detect and accept; JSON between systems is UTF-8.
     */
    private static boolean notUtf8(byte[] body) {
        int first = body[0] & 0xFF;
        return first == 0x00 || first == 0xFE || first == 0xFF || (body.length > 1 && body[1] == 0);
    }

    /** Parses a value as Postgres returned it ({@code jsonb} as text): trusted, already canonical. */
    public static JsonNode parseStored(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored value is not JSON", e);
        }
    }

    public static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The scope document, {@code {"version": 7, "options": {...}}}, serialized. */
    public static byte[] scopeDocument(long version, Map<String, JsonNode> options) {
        ObjectNode document = NODES.objectNode();
        document.put("version", version);
        document.set("options", object(options));
        return write(document);
    }

    /** An object node whose members are {@code members}, in their iteration order. */
    public static ObjectNode object(Map<String, JsonNode> members) {
        ObjectNode node = NODES.objectNode();
        members.forEach(node::set);
        return node;
    }

    /**
     * The canonical form of a value: numbers as Postgres {@code jsonb} keeps them, and every string
     * checked for what {@code jsonb} cannot hold (U+0000, unpaired surrogates).
     *
     * @throws ProblemException {@code 400 invalid-value} for such strings, {@code 422 unstorable-value}
     *     for numbers beyond what Postgres can store
     */
    public static JsonNode canonical(JsonNode value) {
        if (value.isObject()) {
            ObjectNode copy = NODES.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> member = it.next();
                checkText(member.getKey());
                copy.set(member.getKey(), canonical(member.getValue()));
            }
            return copy;
        }
        if (value.isArray()) {
            ArrayNode copy = NODES.arrayNode(value.size());
            for (JsonNode item : value) {
                copy.add(canonical(item));
            }
            return copy;
        }
        if (value.isTextual()) {
            checkText(value.textValue());
            return value;
        }
        if (value.isBigDecimal() || value.isFloatingPointNumber()) {
            return canonicalDecimal(value.decimalValue());
        }
        if (value.isBigInteger()) {
            return canonicalInteger(value.bigIntegerValue());
        }
        return value;
    }

    private static JsonNode canonicalDecimal(BigDecimal number) {
        int integerDigits = number.precision() - number.scale();
        if (integerDigits > MAX_INTEGER_DIGITS || number.scale() > MAX_FRACTION_DIGITS) {
            throw new ProblemException(ProblemType.UNSTORABLE_VALUE,
                    "a number has more digits than can be stored (at most " + MAX_INTEGER_DIGITS
                            + " before and " + MAX_FRACTION_DIGITS + " after the decimal point)");
        }
        if (number.scale() <= 0) {
            return canonicalInteger(number.toBigIntegerExact());
        }
        return NODES.numberNode(number);
    }

    private static JsonNode canonicalInteger(BigInteger number) {
        if (number.bitLength() < 32) {
            return NODES.numberNode(number.intValue());
        }
        if (number.bitLength() < 64) {
            return NODES.numberNode(number.longValue());
        }
        if (number.abs().toString().length() > MAX_INTEGER_DIGITS) {
            throw new ProblemException(ProblemType.UNSTORABLE_VALUE, "a number has more digits than can be stored");
        }
        return NODES.numberNode(number);
    }

    private static void checkText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                throw new ProblemException(ProblemType.INVALID_VALUE, "strings may not contain U+0000");
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new ProblemException(ProblemType.INVALID_VALUE, "strings may not contain unpaired surrogates");
            }
            if (Character.isLowSurrogate(c)) {
                throw new ProblemException(ProblemType.INVALID_VALUE, "strings may not contain unpaired surrogates");
            }
        }
    }

    /** A parse error's reason and position, never the input itself. */
    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int cut = message == null ? -1 : message.indexOf(':');
        String reason = message == null ? "invalid JSON" : (cut > 0 ? message.substring(0, cut) : message);
        if (reason.length() > 120) {
            reason = reason.substring(0, 120);
        }
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
            return reason + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        }
        return reason;
    }
}
