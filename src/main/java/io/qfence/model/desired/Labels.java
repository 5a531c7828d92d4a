package io.qfence.model.desired;

import java.util.Map;
import java.util.TreeMap;

/** Checks and copies the {@code labels} of a VM or group: keys and values as {@link Selector#LABEL_TEXT}, sorted. */
final class Labels {

    private Labels() {}

    static Map<String, String> copyOf(String owner, Map<String, String> labels) {
        Map<String, String> sorted = new TreeMap<>();
        labels.forEach((k, v) -> {
            try {
                sorted.put(Selector.requireLabelText("label key", k), Selector.requireLabelText("label value", v));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(owner + ": " + e.getMessage(), e);
            }
        });
        return java.util.Collections.unmodifiableMap(sorted);
    }
}
