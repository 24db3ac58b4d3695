package dev.options.events;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.scope.ScopeKey;
import dev.options.value.OptionJson;

/**
 * One committed change of one scope: the scope's new version and the keys it changed. {@code id} is
 * the event's Redis stream id ({@code <ms>-<seq>}), which orders events and is the SSE event id.
 */
public record ChangeEvent(String id, ScopeKey scope, long version, List<String> keys) {

    public ChangeEvent {
        keys = List.copyOf(keys);
    }

    /** The event's data as the change feed sends it. */
    public String json() {
        ObjectNode node = OptionJson.MAPPER.createObjectNode();
        node.put("scope", scope.value());
        node.put("version", version);
        var array = node.putArray("keys");
        keys.forEach(array::add);
        return OptionJson.text(node);
    }

    /** Whether stream id {@code a} comes after {@code b}. */
    public static boolean after(String a, String b) {
        return compare(a, b) > 0;
    }

    /** Compares stream ids as Redis does: milliseconds, then sequence, both unsigned 64-bit numbers. */
    public static int compare(String a, String b) {
        int byTime = Long.compareUnsigned(millis(a), millis(b));
        return byTime != 0 ? byTime : Long.compareUnsigned(sequence(a), sequence(b));
    }

    /** The time part of a stream id, unsigned. */
    public static long millis(String id) {
        int dash = id.indexOf('-');
        return Long.parseUnsignedLong(dash < 0 ? id : id.substring(0, dash));
    }

    private static long sequence(String id) {
        int dash = id.indexOf('-');
        return dash < 0 ? 0 : Long.parseUnsignedLong(id.substring(dash + 1));
    }

    /** Whether {@code id} is a stream id ({@code 1732200000000-0}), each part within 64 bits unsigned as Redis's are. */
    public static boolean isStreamId(String id) {
        if (id == null || !id.matches("[0-9]{1,20}(-[0-9]{1,20})?")) {
            return false;
        }
        try {
            millis(id);
            sequence(id);
            return true;
        } catch (NumberFormatException beyond64Bits) {
            return false;
        }
    }
}
