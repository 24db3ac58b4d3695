package dev.options.option;

import java.util.List;

/**
 * A write's precondition on the scope's version, checked under the scope's lock: {@code any} for
 * {@code If-Match: *}, otherwise the versions that match.
 */
public record IfMatch(boolean any, List<Long> versions) {

    /** No precondition: every version matches. */
    public static final IfMatch NONE = new IfMatch(true, List.of());

    public IfMatch {
        versions = List.copyOf(versions);
    }

    public static IfMatch version(long version) {
        return new IfMatch(false, List.of(version));
    }

    public boolean matches(long version) {
        return any || versions.contains(version);
    }
}
