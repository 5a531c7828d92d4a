package io.qfence.platform.netlink;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Capability;
import io.qfence.platform.os.NetNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Which link-related kernel features this host has, found by trying them: inside a throwaway network namespace
 * (held only by a thread, so nothing real is touched and nothing is left behind), qfence creates a bridge, a veth
 * pair and a VLAN-filtering bridge, asks whether the kernel knows the {@code vlan} kind, and looks for
 * {@code /proc/sys/net/bridge} (br_netfilter) and {@code /dev/net/tun}.
 *
 * <p>Only the capabilities in {@link #PROBED} are decided here; the others (nftables, seccomp, ...) belong to
 * other adapters.
 */
public final class LinkCapabilities {

    public static final Set<Capability> PROBED = Collections.unmodifiableSet(EnumSet.of(Capability.BRIDGE, Capability.VETH,
            Capability.TUN, Capability.VLAN_8021Q, Capability.BRIDGE_VLAN_FILTERING, Capability.BR_NETFILTER));

    private static volatile Set<Capability> detected;
    private static volatile RuntimeException detectionFailure;

    private LinkCapabilities() {}

    /** Probes now. Needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_ADMIN inside it). */
    public static Set<Capability> probe() {
        Set<Capability> found = EnumSet.noneOf(Capability.class);
        if (Files.exists(Path.of("/dev/net/tun"))) {
            found.add(Capability.TUN);
        }
        try (NetNamespace probe = NetNamespace.createThrowaway("capabilities");
             RtnlClient rtnl = new RtnlClient(probe.call(() -> io.qfence.platform.os.NetlinkSocket.open(
                     io.qfence.platform.os.NetlinkSocket.NETLINK_ROUTE)), probe.name(), Optional::empty)) {
            if (succeeds(() -> rtnl.createBridge("qfprobe-br", BridgeOptions.DEFAULTS))) {
                found.add(Capability.BRIDGE);
            }
            if (succeeds(() -> rtnl.createVethPair("qfprobe-v0", "qfprobe-v1"))) {
                found.add(Capability.VETH);
            }
            if (rtnl.kernelKnowsKind("vlan")) {
                found.add(Capability.VLAN_8021Q);
            }
            if (found.contains(Capability.BRIDGE)
                    && succeeds(() -> rtnl.createBridge("qfprobe-vf", BridgeOptions.DEFAULTS.withVlanFiltering(true)))) {
                found.add(Capability.BRIDGE_VLAN_FILTERING);
            }
            if (probe.call(() -> Files.isDirectory(Path.of("/proc/sys/net/bridge")))) {
                found.add(Capability.BR_NETFILTER);
            }
        }
        return Collections.unmodifiableSet(found);
    }

    /**
     * The result of one probe per process (the kernel's features do not change while qfence runs).
     *
     * @throws HostPortException (port {@code host}) when the probe itself failed, e.g. without root
     */
    public static Set<Capability> detected() throws HostPortException {
        Set<Capability> d = detected;
        if (d == null) {
            synchronized (LinkCapabilities.class) {
                if (detected == null) {
                    detected = LinkPortEdge.call(HostPortException.Port.HOST, "link capabilities", LinkCapabilities::probe);
                }
                d = detected;
            }
        }
        return d;
    }

    /** {@link #detected()}, or empty when probing is impossible here (e.g. not root): then only the kernel decides. */
    static Optional<Set<Capability>> detectedIfPossible() {
        if (detected == null && detectionFailure != null) {
            return Optional.empty();
        }
        try {
            return Optional.of(detected());
        } catch (HostPortException e) {
            detectionFailure = e;
            return Optional.empty();
        }
    }

    /**
     * A report for operators, one line per probed capability, e.g. {@code VLAN_8021Q  missing (enable
     * CONFIG_VLAN_8021Q)}.
     */
    public static String describe(Set<Capability> present) {
        StringJoiner lines = new StringJoiner("\n");
        for (Capability c : PROBED) {
            lines.add(String.format("%-22s %s", c.name(), present.contains(c) ? "present" : "missing (enable " + c.requirement() + ")"));
        }
        return lines.toString();
    }

    private static boolean succeeds(Runnable attempt) {
        try {
            attempt.run();
            return true;
        } catch (NetlinkException e) {
            if (e.errno() == NetlinkException.EOPNOTSUPP) {
                return false;
            }
            throw e;
        }
    }
}
