package io.qfence.model.desired;

import io.qfence.model.Origin;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One hypervisor host and the groups it runs.
 *
 * @param uplink       the physical interface for VLAN trunking and NAT egress; absent means "no trunk, masquerade
 *                     out of whichever non-qfence interface routes the traffic"
 * @param imagesRoot   absolute directory that every boot path is relative to
 * @param runDir       absolute directory for per-VM runtime files (sockets, pidfiles)
 * @param stateDir     absolute directory for qfence's own state (lock, journal, Git cache)
 * @param cgroupParent cgroup path, relative to the cgroup root (v2) or to each controller's root (v1)
 */
public record Host(
        String name,
        List<String> groups,
        Optional<String> uplink,
        String imagesRoot,
        String runDir,
        String stateDir,
        String cgroupParent,
        UidRange vmUidRange,
        QemuSettings qemu,
        Confinement confinement,
        Origin origin) {

    public Host {
        Names.requireDnsLabel("host", name);
        groups = List.copyOf(groups);
        Objects.requireNonNull(uplink, "uplink");
        for (String dir : List.of(imagesRoot, runDir, stateDir)) {
            if (dir == null || !dir.startsWith("/")) {
                throw new IllegalArgumentException("host " + name + ": imagesRoot, runDir and stateDir must be absolute, got '" + dir + "'");
            }
        }
        if (!RelativePaths.isSafe(cgroupParent)) {
            throw new IllegalArgumentException("host " + name + ": cgroupParent must be a relative path without '..', got '" + cgroupParent + "'");
        }
        Objects.requireNonNull(vmUidRange, "vmUidRange");
        Objects.requireNonNull(qemu, "qemu");
        Objects.requireNonNull(confinement, "confinement");
        Objects.requireNonNull(origin, "origin");
    }
}
