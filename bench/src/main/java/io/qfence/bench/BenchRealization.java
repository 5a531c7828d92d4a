package io.qfence.bench;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.Capability;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.HostFacts;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.model.host.HostObject;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/** A scenario directory realized exactly as qfence realizes it on this machine, re-rooted into a bench sandbox. */
public final class BenchRealization {

    /**
     * The test machines as qfence detects them (HOST-FACTS.md): cgroup v1, bridge netfilter, BFQ I/O weights, no
     * 802.1Q, no AppArmor, no KVM. The run's state snapshots check that the baselines built what qfence builds.
     */
    public static final HostFacts THIS_MACHINE = new HostFacts(CgroupVersion.V1, EnumSet.of(Capability.BRIDGE, Capability.TUN,
            Capability.VETH, Capability.BR_NETFILTER, Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP,
            Capability.CGROUP_IO_WEIGHT, Capability.NAMESPACES));

    private BenchRealization() {}

    /**
     * This host as the bench realizes for it: {@link #THIS_MACHINE}'s capabilities, with the cgroup version qfence
     * detects here ({@link CgroupLayout#detect()}: v1 on the test machines, v2 in the lab and on current distributions),
     * so that the baselines build what qfence builds on this host.
     */
    public static HostFacts thisHost() {
        return new HostFacts(CgroupLayout.detect().version(), THIS_MACHINE.capabilities());
    }

    public static DesiredState load(Path dir) {
        LoadResult r = DesiredStateLoader.loadDirectory(dir);
        if (!r.ok()) {
            throw new IllegalArgumentException(dir + " is not valid: " + r.errors());
        }
        return r.state().orElseThrow();
    }

    public static Realization realize(Path dir, String cgroupParent) {
        HostOverrides sandbox = new HostOverrides(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(cgroupParent));
        return Realizer.realize(sandbox.applyTo(load(dir)), ScenarioGenerator.HOST, thisHost(), LocalDate.now(ZoneOffset.UTC));
    }

    public static <T extends HostObject> List<T> objects(Realization r, Class<T> kind) {
        return r.objects(kind);
    }
}
