package io.qfence.model.host;

import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/** A per-network-namespace kernel setting qfence needs, e.g. {@code net.ipv4.ip_forward=1}. Never reset on teardown. */
public record Sysctl(String address, String key, String value) implements HostObject {

    public Sysctl {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (!key.matches("[a-z0-9_]+(\\.[a-z0-9_-]+)+")) {
            throw new IllegalArgumentException("invalid sysctl key '" + key + "'");
        }
    }

    public static Sysctl of(String key, String value) {
        return new Sysctl(Addresses.sysctl(key), key, value);
    }

    @Override
    public SortedMap<String, String> attributes() {
        SortedMap<String, String> a = new TreeMap<>();
        a.put("value", value);
        return a;
    }
}
