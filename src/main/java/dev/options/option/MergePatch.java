package dev.options.option;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.options.value.OptionJson;


/** JSON Merge Patch (RFC 7396) applied to one option value. */
public final class MergePatch {

    private MergePatch() {
    }

    /**
     * The result of merging {@code patch} into {@code target} ({@code null} when the option has no
     * value): an object patch merges member by member, recursively, a {@code null} member removing
     * its target member; anything else replaces the target.
     */
    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode result = target != null && target.isObject()
                ? ((ObjectNode) target).deepCopy()
                : OptionJson.MAPPER.getNodeFactory().objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> member = it.next();
            if (member.getValue().isNull()) {
                result.remove(member.getKey());
            } else {
                result.set(member.getKey(), apply(result.get(member.getKey()), member.getValue()));
            }
        }
        return result;
    }
}
