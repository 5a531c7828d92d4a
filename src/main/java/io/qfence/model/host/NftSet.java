package io.qfence.model.host;

import java.util.List;
import java.util.Objects;

/**
 * A named set, e.g. the allowed {@code ifname . ether_addr . ipv4_addr} tuples of anti-spoofing.
 *
 * @param type     the element type as nft lists it, e.g. {@code ["ifname","ether_addr","ipv4_addr"]}
 * @param elements canonical JSON of each element, sorted
 */
public record NftSet(String name, List<String> type, List<String> flags, List<String> elements) {

    public NftSet {
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("invalid set name '" + name + "'");
        }
        type = List.copyOf(type);
        flags = flags.stream().sorted().toList();
        elements = elements.stream().sorted().toList();
        Objects.requireNonNull(type, "type");
    }
}
