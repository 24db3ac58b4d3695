package dev.options.value;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
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

    /**
     * A number's canonical text (as Postgres prints it: sign, digits, decimal point) has at most this
     * many characters. One limit on every path: a longer number is refused at the door, and every
     * parser of stored data reads numbers this long, so what was accepted is readable everywhere.
     */
    public static final int MAX_NUMBER_LENGTH = 1000;
    /** Option values are settings, not documents: deeper nesting is refused in request bodies. */
    public static final int MAX_NESTING_DEPTH = 128;
    /**
     * Stored data may wrap values in envelopes of its own (the scope document, Redis's value), so it is
     * read with room beyond {@link #MAX_NESTING_DEPTH}: a value accepted at the door is always readable
     * (deeper ones, which only a hand-made row can hold, fail their own scope's reads alone).
     */
    static final int MAX_STORED_NESTING_DEPTH = MAX_NESTING_DEPTH + 8;
    /**
     * The longest number Postgres {@code numeric} can print (a sign, 131,072 digits, a point and
     * 16,383 more): stored data is read whatever it holds, rows written before
     * {@link #MAX_NUMBER_LENGTH} held included.
     */
    static final int MAX_STORED_NUMBER_LENGTH = 1 + 131_072 + 1 + 16_383;

    /** Reads request bodies and writes everything: the limits a client's input must meet. */
    public static final JsonMapper MAPPER = mapper(MAX_NESTING_DEPTH, MAX_NUMBER_LENGTH);

    /** Reads what this service stored or cached, which met {@link #MAPPER}'s limits when it was accepted. */
    private static final JsonMapper STORED = mapper(MAX_STORED_NESTING_DEPTH, MAX_STORED_NUMBER_LENGTH);

    private static JsonMapper mapper(int maxNestingDepth, int maxNumberLength) {
        return JsonMapper.builder(new JsonFactoryBuilder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(maxNestingDepth)
                            .maxNumberLength(maxNumberLength)
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
    }

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
        } catch (NumberFormatException e) {
            // an exponent beyond what a number can carry (1e2147483648): Jackson's number parser throws this
            throw new ProblemException(ProblemType.UNSTORABLE_VALUE, "a number's exponent is beyond what can be stored");
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

    /**
     * Parses a value as Postgres returned it ({@code jsonb} as text), or as this service cached it:
     * already canonical.
     *
     * @throws UnreadableValueException when it is not JSON within the limits values were accepted under
     */
    public static JsonNode parseStored(String text) {
        try {
            return STORED.readTree(text);
        } catch (JsonProcessingException | NumberFormatException e) {
            throw new UnreadableValueException(e);
        }
    }

    /** A stored value that cannot be read back: answered as an internal error of its own scope alone. */
    public static final class UnreadableValueException extends IllegalStateException {
        UnreadableValueException(Throwable cause) {
            super("stored value is not JSON within the service's limits", cause);
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

    /** The scope document, {@code {"version": 7, "options": {...}}} (with {@code "locks"} when it holds any), serialized. */
    public static byte[] scopeDocument(long version, Map<String, JsonNode> options, Collection<String> locks) {
        ObjectNode document = NODES.objectNode();
        document.put("version", version);
        document.set("options", object(options));
        if (!locks.isEmpty()) {
            ArrayNode array = document.putArray("locks");
            locks.forEach(array::add);
        }
        return write(document);
    }

    /** An object node whose members are {@code members}, in their iteration order. */
    public static ObjectNode object(Map<String, JsonNode> members) {
        ObjectNode node = NODES.objectNode();
        members.forEach(node::set);
        return node;
    }

    /**
     * The canonical form of a value, as Postgres {@code jsonb} keeps it: numbers in its notation,
     * object members in its order (shorter names first, then by their UTF-8 bytes), so that one
     * version has one byte representation on every instance, however it was read; every string
     * checked for what {@code jsonb} cannot hold (U+0000, unpaired surrogates).
     *
     * @throws ProblemException {@code 400 invalid-value} for such strings, {@code 422 unstorable-value}
     *     for numbers whose canonical text is longer than {@link #MAX_NUMBER_LENGTH}
     */
    public static JsonNode canonical(JsonNode value) {
        if (value.isObject()) {
            List<Map.Entry<String, JsonNode>> members = new ArrayList<>(value.size());
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> member = it.next();
                checkText(member.getKey());
                members.add(member);
            }
            members.sort(Map.Entry.comparingByKey(JSONB_MEMBER_ORDER));
            ObjectNode copy = NODES.objectNode();
            for (Map.Entry<String, JsonNode> member : members) {
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

    /**
     * Postgres {@code jsonb}'s order of object members: shorter names first, names of one length by
     * their UTF-8 bytes (which is code point order, as String's order is for the BMP alone).
     */
    static final Comparator<String> JSONB_MEMBER_ORDER = (a, b) -> {
        byte[] left = a.getBytes(StandardCharsets.UTF_8);
        byte[] right = b.getBytes(StandardCharsets.UTF_8);
        return left.length != right.length ? Integer.compare(left.length, right.length) : Arrays.compareUnsigned(left, right);
    };

    private static JsonNode canonicalDecimal(BigDecimal number) {
        // measured before anything is built from it: 1e131071 is nine bytes of input
        checkLength(number);
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
        checkLength(new BigDecimal(number));
        return NODES.numberNode(number);
    }

    /** Refuses a number whose canonical (plain) text would be longer than {@link #MAX_NUMBER_LENGTH}. */
    private static void checkLength(BigDecimal number) {
        if (plainLength(number) > MAX_NUMBER_LENGTH) {
            throw new ProblemException(ProblemType.UNSTORABLE_VALUE,
                    "a number is longer than can be stored (at most " + MAX_NUMBER_LENGTH + " characters written out in full)");
        }
    }

    /**
     * The length of {@code number}'s canonical text, from its precision and scale alone: a sign,
     * the integer digits (at least one), and for a positive scale a point and that many digits.
     */
    static long plainLength(BigDecimal number) {
        long sign = number.signum() < 0 ? 1 : 0;
        long integerDigits = number.signum() == 0 ? 1 : Math.max(1, (long) number.precision() - number.scale());
        long fraction = number.scale() > 0 ? 1L + number.scale() : 0;
        return sign + integerDigits + fraction;
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
