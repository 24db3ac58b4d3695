package dev.options.rest;

import java.util.Iterator;

import com.fasterxml.jackson.databind.JsonNode;

import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.value.OptionJson;

/** What every request body must be before its content is looked at. */
final class Bodies {

    private Bodies() {
    }

    /**
     * A body without a media type is not taken for JSON: 415, like any other media type.
     *
     * @param detail what the problem tells the client to send
     */
    static void requireMediaType(String contentType, String detail) {
        if (contentType == null || contentType.isBlank()) {
            throw new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE, detail);
        }
    }

    /**
     * The one member {@code name} of a body that must be the object {@code shape} describes and
     * nothing else; 400 {@code invalid-value} when it is no object, lacks the member or has others.
     */
    static JsonNode onlyMember(byte[] body, String name, String shape) {
        JsonNode document = OptionJson.parseBody(body);
        JsonNode member = document.isObject() ? document.get(name) : null;
        if (member == null) {
            throw new ProblemException(ProblemType.INVALID_VALUE, "the body must be " + shape);
        }
        for (Iterator<String> names = document.fieldNames(); names.hasNext(); ) {
            String other = names.next();
            if (!other.equals(name)) {
                throw new ProblemException(ProblemType.INVALID_VALUE, "unknown member " + other + "; the body is " + shape);
            }
        }
        return member;
    }
}
