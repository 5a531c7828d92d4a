package io.qfence.app;

import io.qfence.host.HostFactsPort;
import io.qfence.model.host.Capability;
import io.qfence.model.host.HostFacts;
import io.qfence.platform.cgroup.CgroupFsPort;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.netlink.LinkCapabilities;
import io.qfence.platform.nft.NftFirewall;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.qemu.AppArmorProfiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The host's facts, gathered from the adapters that can tell: the cgroup layout (version, I/O weights), link kinds
 * and br_netfilter ({@link LinkCapabilities}, probed once per process in a throwaway namespace), the nft families
 * (a dry-run transaction), seccomp filters ({@code /proc/sys/kernel/seccomp}) and AppArmor. KVM is never claimed:
 * whether {@code /dev/kvm} works is only known by starting a guest, which is the guest lifecycle's to find out.
 * Computed once, on first use.
 */
final class LiveHostFacts implements HostFactsPort {

    private final CgroupLayout layout;
    private final NftFirewall firewall;
    private final Path netnsDir;
    private HostFacts facts;

    LiveHostFacts(CgroupLayout layout, NftFirewall firewall, Path netnsDir) {
        this.layout = layout;
        this.firewall = firewall;
        this.netnsDir = netnsDir;
    }

    @Override
    public synchronized HostFacts facts() {
        if (facts == null) {
            Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
            capabilities.addAll(LinkCapabilities.detected());
            capabilities.addAll(firewall.families());
            if (CgroupFsPort.ioWeight(layout)) {
                capabilities.add(Capability.CGROUP_IO_WEIGHT);
            }
            if (Files.isDirectory(Path.of("/proc/sys/kernel/seccomp"))) {
                capabilities.add(Capability.SECCOMP);
            }
            if (AppArmorProfiles.available()) {
                capabilities.add(Capability.APPARMOR);
            }
            if (io.qfence.platform.qemu.GuestJail.available()) {
                capabilities.add(Capability.NAMESPACES);
            }
            facts = new HostFacts(layout.version(), capabilities);
        }
        return facts;
    }

    @Override
    public List<String> namespaces() {
        return NetNamespace.names(netnsDir).stream().filter(n -> n.startsWith("qf")).toList();
    }
}
