package io.qfence.source;

import io.qfence.model.Origin;
import java.util.HashMap;
import java.util.Map;

/**
 * Where each node of one parsed document was written: for every JSON pointer, the position of its value and, for
 * mapping members, of its key. Schema errors and semantic findings are located through it, so that a message about
 * {@code /spec/vms/2/ip} points at the line and column of that IP in the YAML.
 */
final class MarkIndex {

    private final String file;
    private final Map<String, Origin> values = new HashMap<>();
    private final Map<String, Origin> keys = new HashMap<>();

    MarkIndex(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    void putValue(String pointer, int line, int column) {
        values.putIfAbsent(pointer, new Origin(file, line, column));
    }

    void putKey(String pointer, int line, int column) {
        keys.putIfAbsent(pointer, new Origin(file, line, column));
    }

    /** Where the value at {@code pointer} starts; the nearest enclosing node when it is absent (a missing field). */
    Origin value(String pointer) {
        for (String p = pointer; ; p = parent(p)) {
            Origin o = values.get(p);
            if (o != null) {
                return o;
            }
            if (p.isEmpty()) {
                return new Origin(file, 1, 1);
            }
        }
    }

    /** Where the key of the member at {@code pointer} is; its value's position for array items and the root. */
    Origin key(String pointer) {
        Origin o = keys.get(pointer);
        return o != null ? o : value(pointer);
    }

    static String parent(String pointer) {
        int slash = pointer.lastIndexOf('/');
        return slash <= 0 ? "" : pointer.substring(0, slash);
    }

    /** Appends one reference token to a JSON pointer, escaping as RFC 6901 says. */
    static String child(String pointer, String token) {
        return pointer + "/" + token.replace("~", "~0").replace("/", "~1");
    }

    static String child(String pointer, int index) {
        return pointer + "/" + index;
    }
}
