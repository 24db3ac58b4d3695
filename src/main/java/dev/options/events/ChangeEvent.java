package dev.options.events;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.options.option.OptionJson;
import dev.options.scope.ScopeKey;

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

    static int compare(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        long ma = Long.parseLong(da < 0 ? a : a.substring(0, da));
        long mb = Long.parseLong(db < 0 ? b : b.substring(0, db));
        if (ma != mb) {
            return Long.compare(ma, mb);
        }
        long sa = da < 0 ? 0 : Long.parseLong(a.substring(da + 1));
        long sb = db < 0 ? 0 : Long.parseLong(b.substring(db + 1));
        return Long.compare(sa, sb);
    }

    /** Whether {@code id} is a stream id ({@code 1732200000000-0}). */
    public static boolean isStreamId(String id) {
        return id != null && id.matches("[0-9]{1,19}(-[0-9]{1,19})?");
    }
}
