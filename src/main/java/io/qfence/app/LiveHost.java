package io.qfence.app;

import io.qfence.host.HostConnector;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.UsageException;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupFsPort;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.netlink.NetlinkLinks;
import io.qfence.platform.netlink.RtnlClient;
import io.qfence.platform.nft.NftClient;
import io.qfence.platform.nft.NftFirewall;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.ProcSysctls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The real host: adapters over rtnetlink, libnftables, {@code /proc/sys} and cgroupfs, all confined to one network
 * namespace (the caller's, or the one named by {@link HostTarget#netns()}), and QEMU guests spawned in it. What the
 * adapters' factories throw is already in the ports' words ({@link HostPortException}); a target named on the command
 * line that cannot be opened is a {@link UsageException}.
 */
final class LiveHost implements HostConnector {

    @Override
    public boolean available() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return false;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 && ids[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    @Override
    public HostPorts connect(HostTarget target) {
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            NetNamespace netns = open(target);
            opened.push(netns);
            RtnlClient rtnl = RtnlClient.open(netns);
            opened.push(rtnl);
            NftClient nft = NftClient.open(netns);
            opened.push(nft);
            CgroupLayout layout = layout(target);
            NftFirewall firewall = new NftFirewall(nft);
            CgroupFs cgroups = new CgroupFs(layout);
            return new HostPorts(new LiveHostFacts(layout, firewall, NetNamespace.DEFAULT_DIR), new NetlinkLinks(rtnl, netns),
                    new ProcSysctls(netns), firewall, new CgroupFsPort(cgroups), new LiveGuests(cgroups, netns),
                    () -> closeAll(opened));
        } catch (RuntimeException e) {
            try {
                closeAll(opened);
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The namespace to manage: a name in /run/netns, a path, or the caller's own. Opened, never created or deleted. */
    private static NetNamespace open(HostTarget target) {
        if (target.netns().isEmpty()) {
            return NetNamespace.managed(java.util.Optional.empty());
        }
        String n = target.netns().get();
        Path path = n.contains("/") ? Path.of(n) : NetNamespace.DEFAULT_DIR.resolve(n);
        try {
            return NetNamespace.managed(java.util.Optional.of(path));
        } catch (HostPortException e) {
            throw new UsageException("cannot enter the network namespace " + path + ": " + e.operation() + ": " + e.reason().text()
                    + (n.contains("/") ? "" : " (create it with: ip netns add " + n + ")"), e);
        }
    }

    private static CgroupLayout layout(HostTarget target) {
        Path root = target.cgroupRoot().orElse(CgroupLayout.DEFAULT_ROOT);
        try {
            return CgroupLayout.detect(root, CgroupLayout.MOUNTINFO);
        } catch (HostPortException e) {
            throw new UsageException("no cgroup hierarchies found at " + root + ": " + e.operation() + ": " + e.reason().text(), e);
        }
    }

    private static void closeAll(Deque<AutoCloseable> opened) throws Exception {
        Exception first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
