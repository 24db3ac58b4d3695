package dev.options.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;

class IdsTest {

    @ParameterizedTest
    @CsvSource({ "1,1", "42,42", "007,7", "0000000000000000000000000001,1",
            "9223372036854775807,9223372036854775807", "09223372036854775807,9223372036854775807" })
    void decimalIntegersFromOneParse(String text, long expected) {
        assertEquals(expected, Ids.parse("id", text));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "0", "000", "-1", "+1", "1.5", "0x10", " 1", "1 ", "abc", "00a", "0a1",
            "9223372036854775808", "99999999999999999999", "１２" })
    void anythingElseIsAnInvalidIdentifier(String text) {
        ProblemException problem = assertThrows(ProblemException.class, () -> Ids.parse("id", text));
        assertEquals(ProblemType.INVALID_IDENTIFIER, problem.type());
    }

    @Test
    void absentIsAnInvalidIdentifier() {
        assertThrows(ProblemException.class, () -> Ids.parse("id", null));
    }
}
