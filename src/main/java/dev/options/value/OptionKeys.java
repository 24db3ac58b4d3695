package dev.options.value;

import java.util.regex.Pattern;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;

/** The syntax of option keys: 1 to 255 characters of {@code A-Z a-z 0-9 _ . : -}. */
public final class OptionKeys {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.:-]{1,255}");

    private OptionKeys() {
    }

    public static boolean isValid(String key) {
        return key != null && KEY.matcher(key).matches();
    }

    /** @throws ProblemException {@code 400 invalid-key} unless {@code key} is valid */
    public static String require(String key) {
        if (!isValid(key)) {
            throw new ProblemException(ProblemType.INVALID_KEY, "key must match [A-Za-z0-9_.:-]{1,255}");
        }
        return key;
    }
}
