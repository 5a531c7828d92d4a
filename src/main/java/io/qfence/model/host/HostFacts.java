package io.qfence.model.host;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What realization needs to know about a host that is not in the desired state. Observed on a live host, read from
 * a snapshot, or assumed for {@code plan --empty} ({@link #TYPICAL}).
 */
public record HostFacts(CgroupVersion cgroupVersion, Set<Capability> capabilities) {

    /** A modern production host: cgroup v2, VLANs, no AppArmor assumed. Used where no host is observed. */
    public static final HostFacts TYPICAL = new HostFacts(CgroupVersion.V2, EnumSet.complementOf(EnumSet.of(Capability.APPARMOR, Capability.KVM)));

    public HostFacts {
        Objects.requireNonNull(cgroupVersion, "cgroupVersion");
        capabilities = capabilities.isEmpty() ? Set.of() : java.util.Collections.unmodifiableSet(EnumSet.copyOf(capabilities));
    }

    public boolean has(Capability c) {
        return capabilities.contains(c);
    }
}
