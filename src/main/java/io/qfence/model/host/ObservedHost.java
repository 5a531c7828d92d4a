package io.qfence.model.host;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of everything qfence owns on a host, plus what it noticed around it. This is what {@code qfence state}
 * prints (as JSON) and what {@code plan --observed} reads back.
 *
 * @param objects    qfence's own objects, sorted by address
 * @param foreign    look-alikes qfence will not touch
 * @param namespaces network namespaces under qfence's netns directory with qfence's prefix
 */
public record ObservedHost(
        String host,
        HostFacts facts,
        List<HostObject> objects,
        List<ForeignObject> foreign,
        List<CounterSample> counters,
        List<String> namespaces) {

    public ObservedHost {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(facts, "facts");
        objects = objects.stream().sorted(Comparator.comparing(HostObject::address)).toList();
        foreign = List.copyOf(foreign);
        counters = List.copyOf(counters);
        namespaces = namespaces.stream().sorted().toList();
    }

    /** A host with nothing of qfence's on it. */
    public static ObservedHost empty(String host, HostFacts facts) {
        return new ObservedHost(host, facts, List.of(), List.of(), List.of(), List.of());
    }
}
