package dev.options.rest;

import java.util.regex.Pattern;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;

/** Identifiers in paths and queries: decimal integers from 1 to 9223372036854775807. */
final class Ids {

    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,19}");

    private Ids() {
    }

    /** @throws ProblemException {@code 400 invalid-identifier} naming {@code what} */
    static long parse(String what, String text) {
        if (text != null) {
            // leading zeros dropped without a regex (String.replaceFirst compiles one per call)
            int start = 0;
            while (start < text.length() - 1 && text.charAt(start) == '0') {
                start++;
            }
            String digits = text.substring(start);
            if (DIGITS.matcher(digits).matches()) {
                try {
                    long id = Long.parseLong(digits);
                    if (id >= 1) {
                        return id;
                    }
                } catch (NumberFormatException tooLarge) {
                    // above Long.MAX_VALUE: answered below like any other bad identifier
                }
            }
        }
        throw new ProblemException(ProblemType.INVALID_IDENTIFIER,
                what + " must be a decimal integer from 1 to 9223372036854775807");
    }
}
