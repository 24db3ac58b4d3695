package dev.options.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;

/**
 * One limit on every path: whatever {@link OptionJson#canonical} accepts from a request body is read
 * back by {@link OptionJson#parseStored} from Postgres's text and from this service's own envelopes;
 * anything beyond it is refused at the door with a 422, cheaply.
 */
class OptionJsonLimitsTest {

    /** The value as a client sends it, then as Postgres would print it back, read as stored data. */
    private static JsonNode roundTrip(String body) {
        JsonNode accepted = OptionJson.canonical(OptionJson.parseBody(body.getBytes(StandardCharsets.UTF_8)));
        return OptionJson.parseStored(OptionJson.text(accepted));
    }

    private static ProblemType refusal(String body) {
        try {
            OptionJson.canonical(OptionJson.parseBody(body.getBytes(StandardCharsets.UTF_8)));
        } catch (ProblemException e) {
            return e.type();
        }
        throw new AssertionError(body + " was accepted");
    }

    @Test
    void aNumberWhoseTextIsOverTheLimitIsRefusedAtTheDoorNotStoredUnreadable() {
        assertThat(refusal("1e1000")).isEqualTo(ProblemType.UNSTORABLE_VALUE);
        assertThat(refusal("1e-1001")).isEqualTo(ProblemType.UNSTORABLE_VALUE);
        assertThat(refusal("-1e999")).as("the sign counts").isEqualTo(ProblemType.UNSTORABLE_VALUE);
        assertThat(refusal("[1, {\"a\": 1.5e1000}]")).as("nested").isEqualTo(ProblemType.UNSTORABLE_VALUE);
        for (String beyondAnInt : new String[] { "1e2147483648", "0e99999999999", "1e-2147483648", "0.1e-2147483647", "[-1E+9999999999]" }) {
            assertThat(refusal(beyondAnInt)).as("%s, whose exponent no number carries", beyondAnInt).isEqualTo(ProblemType.UNSTORABLE_VALUE);
        }
    }

    @Test
    void everyNumberUpToTheLimitIsReadBackExactly() {
        for (String body : new String[] { "1e999", "-1e998", "1e-998", "-1e-997", "9".repeat(1000), "-" + "9".repeat(999),
                "0." + "0".repeat(997) + "1" }) {
            JsonNode back = roundTrip(body);
            assertThat(back.decimalValue()).as(body).isEqualByComparingTo(new BigDecimal(body));
            assertThat(OptionJson.text(back).length()).as("%s's canonical text", body).isLessThanOrEqualTo(OptionJson.MAX_NUMBER_LENGTH);
        }
    }

    @Test
    void theLengthOfAHugeExponentIsMeasuredWithoutBuildingTheNumber() {
        long started = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            assertThat(refusal("1e131071")).isEqualTo(ProblemType.UNSTORABLE_VALUE);
        }
        // a generous bound, for a noisy machine: building the 131,072 digits a thousand times takes minutes
        assertThat(System.nanoTime() - started).isLessThan(5_000_000_000L);
        assertThat(OptionJson.plainLength(new BigDecimal("1e131071"))).isEqualTo(131_072);
        assertThat(OptionJson.plainLength(new BigDecimal("-1.50"))).isEqualTo(5);
        assertThat(OptionJson.plainLength(new BigDecimal("0E+5"))).isEqualTo(1);
        assertThat(OptionJson.plainLength(new BigDecimal("0.000"))).isEqualTo(5);
    }

    @Test
    void aValueNestedAsDeepAsAllowedIsReadableInsideAnEnvelope() {
        String deepest = "[".repeat(OptionJson.MAX_NESTING_DEPTH) + "]".repeat(OptionJson.MAX_NESTING_DEPTH);
        JsonNode value = OptionJson.canonical(OptionJson.parseBody(deepest.getBytes(StandardCharsets.UTF_8)));
        // the shared cache's value wraps the options in an object: one level more
        String envelope = "{\"deep\": " + OptionJson.text(value) + "}";
        assertThat(OptionJson.parseStored(envelope).get("deep")).isEqualTo(value);
        String tooDeep = "[".repeat(OptionJson.MAX_NESTING_DEPTH + 1) + "]".repeat(OptionJson.MAX_NESTING_DEPTH + 1);
        assertThat(refusal0(tooDeep)).isEqualTo(ProblemType.MALFORMED_JSON);
    }

    private static ProblemType refusal0(String body) {
        try {
            OptionJson.parseBody(body.getBytes(StandardCharsets.UTF_8));
        } catch (ProblemException e) {
            return e.type();
        }
        throw new AssertionError("accepted");
    }

    @Test
    void aRowBeyondWhatTheServiceAcceptsFailsAsUnreadable() {
        String hundreds = "[".repeat(300) + "]".repeat(300);
        assertThatThrownBy(() -> OptionJson.parseStored(hundreds)).isInstanceOf(OptionJson.UnreadableValueException.class);
        // numbers Postgres holds from before the limit are still read, so such a scope can be repaired
        String old = "1" + "0".repeat(5000);
        assertThat(OptionJson.parseStored(old).bigIntegerValue().toString()).isEqualTo(old);
    }

    @Test
    void objectMembersTakePostgresOrderSoOneVersionHasOneRepresentation() {
        JsonNode value = OptionJson.canonical(OptionJson.parseBody(
                "{\"bb\": 1, \"a\": {\"z\": 1, \"y\": 2, \"éa\": 3, \"zz\": 4}, \"b\": 2, \"ab\": [{\"d\": 1, \"c\": 2}]}"
                        .getBytes(StandardCharsets.UTF_8)));
        // jsonb: shorter names first, then by UTF-8 bytes ("é" is two bytes, so "éa" is longer than "zz")
        assertThat(OptionJson.text(value)).isEqualTo("{\"a\":{\"y\":2,\"z\":1,\"zz\":4,\"éa\":3},\"b\":2,\"ab\":[{\"c\":2,\"d\":1}],\"bb\":1}");
    }
}
