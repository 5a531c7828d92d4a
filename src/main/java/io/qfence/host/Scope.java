package io.qfence.host;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.Sysctl;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which parts of the host a command observes, plans and applies. Everything by default; {@code network,firewall,cgroups}
 * ({@code --no-guests}) leaves guests alone, for a host whose guests are not started yet (the isolation can be put in
 * place, checked and re-planned without QEMU).
 */
public record Scope(Set<Part> parts) {

    /** The parts, by the kind of {@link HostObject} in each. */
    public enum Part {
        /** Links and host settings (sysctls). */
        NETWORK,
        FIREWALL,
        CGROUPS,
        GUESTS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Scope ALL = new Scope(EnumSet.allOf(Part.class));
    public static final Scope WITHOUT_GUESTS = new Scope(EnumSet.of(Part.NETWORK, Part.FIREWALL, Part.CGROUPS));

    public Scope {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a scope needs at least one of " + labels(EnumSet.allOf(Part.class)));
        }
        parts = java.util.Collections.unmodifiableSet(EnumSet.copyOf(parts));
    }

    /** {@code network,firewall,cgroups}: comma-separated part names, in any order. */
    public static Scope parse(String text) {
        Set<Part> parts = EnumSet.noneOf(Part.class);
        for (String word : text.split(",")) {
            String w = word.strip().toLowerCase(Locale.ROOT);
            Part p = Arrays.stream(Part.values()).filter(x -> x.label().equals(w)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("unknown scope '" + w + "': use " + labels(EnumSet.allOf(Part.class))));
            parts.add(p);
        }
        return new Scope(parts);
    }

    public boolean includes(Part part) {
        return parts.contains(part);
    }

    public boolean includes(HostObject o) {
        return includes(partOf(o));
    }

    public boolean isAll() {
        return parts.size() == Part.values().length;
    }

    public static Part partOf(HostObject o) {
        if (o instanceof Link || o instanceof Sysctl) {
            return Part.NETWORK;
        } else if (o instanceof Firewall) {
            return Part.FIREWALL;
        } else if (o instanceof Cgroup) {
            return Part.CGROUPS;
        } else if (o instanceof Guest) {
            return Part.GUESTS;
        }
        throw new IllegalArgumentException("unknown host object " + o.getClass().getName());
    }

    @Override
    public String toString() {
        return labels(parts);
    }

    private static String labels(Set<Part> parts) {
        return parts.stream().map(Part::label).collect(Collectors.joining(","));
    }
}
