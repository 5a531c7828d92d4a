package io.qfence.model.host;

/** The address scheme of host objects, in one place so that realization, observation and tests agree. */
public final class Addresses {

    public static final String FIREWALL = "firewall";

    private Addresses() {}

    public static String sysctl(String key) {
        return "host/sysctl/" + key;
    }

    public static String group(String group) {
        return "group." + group;
    }

    public static String bridge(String group) {
        return group(group) + "/bridge";
    }

    public static String uplinkVlan(String group) {
        return group(group) + "/uplink-vlan";
    }

    public static String groupCgroup(String group) {
        return group(group) + "/cgroup";
    }

    public static String vm(String group, String vm) {
        return group(group) + "/vm." + vm;
    }

    public static String tap(String group, String vm) {
        return vm(group, vm) + "/tap";
    }

    public static String vmCgroup(String group, String vm) {
        return vm(group, vm) + "/cgroup";
    }

    /**
     * A link that an interrupted apply left under a temporary name ({@code InterfaceNames.isTemporary}): it is qfence's,
     * is in no realization, and the next plan deletes it.
     */
    public static String leftoverLink(String name) {
        return LEFTOVER + "link/" + name;
    }

    /** Whether the address names something an interrupted apply left behind (see {@link #leftoverLink}). */
    public static boolean isLeftover(String address) {
        return address.startsWith(LEFTOVER);
    }

    private static final String LEFTOVER = "host/leftover/";

    /** The alias qfence writes on its links (IFLA_IFALIAS): ownership proof and the way back to the address. */
    public static String linkAlias(String address) {
        return "qfence:" + address;
    }
}
