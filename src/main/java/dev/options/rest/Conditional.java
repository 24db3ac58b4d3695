package dev.options.rest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.options.option.IfMatch;
import dev.options.option.ReadFlag;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;

/**
 * Conditional requests (RFC 9110 §13) on a scope's version, which its entity tag carries: {@code "7"}.
 */
final class Conditional {

    private Conditional() {
    }

    static String etag(long version) {
        return "\"" + version + "\"";
    }

    /** The precondition of a write's {@code If-Match}; strong comparison, so weak tags never match. */
    static IfMatch ifMatch(String header) {
        if (header == null) {
            return IfMatch.NONE;
        }
        if (header.trim().equals("*")) {
            return new IfMatch(true, List.of());
        }
        List<Long> versions = new ArrayList<>();
        for (String tag : tags("If-Match", header)) {
            if (!tag.startsWith("W/")) {
                version(tag).ifPresent(versions::add);
            }
        }
        return new IfMatch(false, versions);
    }

    /** Whether a read's {@code If-None-Match} names {@code version}; weak comparison. */
    static boolean noneMatchNames(String header, long version) {
        return noneMatchNamesTag(header, etag(version));
    }

    /** Whether a read's {@code If-None-Match} names the opaque entity tag {@code etag}; weak comparison. */
    static boolean noneMatchNamesTag(String header, String etag) {
        if (header == null) {
            return false;
        }
        if (header.trim().equals("*")) {
            return true;
        }
        for (String tag : tags("If-None-Match", header)) {
            if ((tag.startsWith("W/") ? tag.substring(2) : tag).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** {@code Cache-Control: no-cache} (or {@code Pragma: no-cache}) asks for the primary: LATEST. */
    static ReadFlag readFlag(String cacheControl, String pragma) {
        if (hasDirective(cacheControl, "no-cache") || hasDirective(pragma, "no-cache")) {
            return ReadFlag.LATEST;
        }
        return ReadFlag.NORMAL;
    }

    private static boolean hasDirective(String header, String directive) {
        if (header == null) {
            return false;
        }
        for (String part : header.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            int eq = name.indexOf('=');
            if ((eq < 0 ? name : name.substring(0, eq).trim()).equals(directive)) {
                return true;
            }
        }
        return false;
    }

    /** The entity tags of a list header, each {@code "..."} or {@code W/"..."}. */
    private static List<String> tags(String name, String header) {
        List<String> tags = new ArrayList<>();
        for (String part : header.split(",")) {
            String tag = part.trim();
            if (tag.isEmpty()) {
                continue;
            }
            String opaque = tag.startsWith("W/") ? tag.substring(2) : tag;
            if (opaque.length() < 2 || !opaque.startsWith("\"") || !opaque.endsWith("\"")
                    || opaque.substring(1, opaque.length() - 1).contains("\"")) {
                throw new ProblemException(ProblemType.INVALID_HEADER,
                        name + " must be * or a list of entity tags such as \"7\"");
            }
            tags.add(tag);
        }
        if (tags.isEmpty()) {
            throw new ProblemException(ProblemType.INVALID_HEADER, name + " is empty");
        }
        return tags;
    }

    private static Optional<Long> version(String quotedTag) {
        String inner = quotedTag.substring(1, quotedTag.length() - 1);
        if (!inner.matches("[0-9]{1,19}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(inner));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
