package io.qfence.model.host;

/**
 * Kernel and host capabilities that qfence detects rather than assumes. The names are the kernel options (or
 * packages) an operator must enable when one is missing.
 */
public enum Capability {
    BRIDGE("CONFIG_BRIDGE"),
    TUN("CONFIG_TUN"),
    VETH("CONFIG_VETH"),
    VLAN_8021Q("CONFIG_VLAN_8021Q"),
    BRIDGE_VLAN_FILTERING("CONFIG_BRIDGE_VLAN_FILTERING"),
    /**
     * Nothing loads br_netfilter on demand: on Debian 12's stock kernel it is a module ({@code =m}), and a freshly
     * booted host lacks {@code /proc/sys/net/bridge} until it is loaded (measured in the production-kernel lab).
     */
    BR_NETFILTER("CONFIG_BRIDGE_NETFILTER, built in or as the br_netfilter module loaded: modprobe br_netfilter"),
    NFT_INET("CONFIG_NF_TABLES_INET"),
    NFT_BRIDGE("CONFIG_NF_TABLES_BRIDGE"),
    SECCOMP("CONFIG_SECCOMP_FILTER"),
    /** Proportional I/O weights: the io controller on cgroup v2, or BFQ's {@code blkio.bfq.weight} on v1. */
    CGROUP_IO_WEIGHT("the io cgroup controller (v2) or the BFQ I/O scheduler's blkio.bfq.weight (v1)"),
    APPARMOR("AppArmor enabled in the kernel and the apparmor package installed"),
    /** The guest jail's namespaces (DESIGN.md §9, "The guest jail"), seen in {@code /proc/self/ns}. */
    NAMESPACES("mount, PID, IPC and UTS namespaces (CONFIG_PID_NS, CONFIG_IPC_NS, CONFIG_UTS_NS)"),
    KVM("a working /dev/kvm");

    private final String requirement;

    Capability(String requirement) {
        this.requirement = requirement;
    }

    /** What to enable when the capability is missing, e.g. {@code CONFIG_VLAN_8021Q}. */
    public String requirement() {
        return requirement;
    }
}
