package io.qfence.platform.netlink;

/**
 * A VLAN on a bridge port ({@code struct bridge_vlan_info}): its id, whether untagged frames entering the port
 * belong to it ({@code pvid}), and whether it leaves the port untagged.
 */
public record BridgeVlan(int vid, boolean pvid, boolean untagged) {

    public BridgeVlan {
        if (vid < 1 || vid > 4094) {
            throw new IllegalArgumentException("VLAN id must be 1..4094, got " + vid);
        }
    }

    int flags() {
        return (pvid ? Rtnl.BRIDGE_VLAN_INFO_PVID : 0) | (untagged ? Rtnl.BRIDGE_VLAN_INFO_UNTAGGED : 0);
    }
}
