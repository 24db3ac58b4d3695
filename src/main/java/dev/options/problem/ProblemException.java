package dev.options.problem;

import java.util.Map;

/**
 * A failure that a client caused or can act on, answered as {@code application/problem+json}. It
 * carries no stack trace: it is an answer, not a bug.
 */
public final class ProblemException extends RuntimeException {

    private final ProblemType type;
    private final Map<String, Object> extensions;

    public ProblemException(ProblemType type, String detail) {
        this(type, detail, Map.of());
    }

    /** With extension members, such as {@code currentVersion} on a 412. */
    public ProblemException(ProblemType type, String detail, Map<String, Object> extensions) {
        super(detail, null, false, false);
        this.type = type;
        this.extensions = Map.copyOf(extensions);
    }

    public ProblemType type() {
        return type;
    }

    public String detail() {
        return getMessage();
    }

    public Map<String, Object> extensions() {
        return extensions;
    }
}
