package io.qfence.platform.netlink;

import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.host.Capability;
import io.qfence.model.host.PortFlags;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;

/**
 * The rtnetlink requests qfence sends, as pure functions of their arguments (so golden tests can pin their bytes).
 * Links are named by {@code IFLA_IFNAME} where the kernel accepts a name; attributes that only take an ifindex
 * ({@code IFLA_MASTER}, {@code IFLA_LINK}, {@code ifa_index}, the {@code AF_BRIDGE} port) take resolved indexes.
 *
 * <p>Changes to an existing link are {@code RTM_NEWLINK} without {@code NLM_F_CREATE}, like {@code ip link set}:
 * unlike {@code RTM_SETLINK}, it also applies {@code IFLA_INFO_SLAVE_DATA} (bridge-port flags).
 */
final class Requests {

    private static final int CREATE = Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL;

    private Requests() {}

    static NetlinkRequest dumpLinks() {
        return NetlinkRequest.dump("list links", Rtnl.RTM_GETLINK, w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0));
    }

    static NetlinkRequest getLink(String name) {
        return new NetlinkRequest("look up link " + name, Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name), java.util.Optional.empty());
    }

    static NetlinkRequest getLink(int index) {
        return new NetlinkRequest("look up link #" + index, Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, index, 0, 0), java.util.Optional.empty());
    }

    /**
     * Asks whether the kernel knows link kind {@code kind} without creating anything: a create request with no
     * name and no kind-specific data fails validation (EINVAL) when the kind exists, and with EOPNOTSUPP ("Unknown
     * device type") when it does not (after the kernel tried to load its module).
     */
    static NetlinkRequest probeKind(String kind) {
        return NetlinkRequest.acked("probe link kind " + kind, Rtnl.RTM_NEWLINK, CREATE, w -> {
            w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0);
            int linkInfo = w.beginNested(Rtnl.IFLA_LINKINFO);
            w.string(Rtnl.IFLA_INFO_KIND, kind);
            w.endNested(linkInfo);
        });
    }

    static NetlinkRequest dumpAddresses() {
        return NetlinkRequest.dump("list addresses", Rtnl.RTM_GETADDR, w -> w.ifaddrmsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0));
    }

    /** Addresses of one link: the kernel applies the index filter only on a strictly checking socket. */
    static NetlinkRequest dumpAddresses(int index) {
        return NetlinkRequest.dump("list addresses of link " + index, Rtnl.RTM_GETADDR, w -> w.ifaddrmsg(Rtnl.AF_UNSPEC, 0, 0, 0, index));
    }

    static NetlinkRequest newBridge(String name, BridgeOptions options) {
        NetlinkRequest request = NetlinkRequest.acked("create bridge " + name, Rtnl.RTM_NEWLINK, CREATE, w -> {
            w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name);
            options.mtu().ifPresent(mtu -> w.u32(Rtnl.IFLA_MTU, mtu));
            options.mac().ifPresent(mac -> w.attribute(Rtnl.IFLA_ADDRESS, mac.toBytes()));
            int linkInfo = w.beginNested(Rtnl.IFLA_LINKINFO);
            w.string(Rtnl.IFLA_INFO_KIND, "bridge");
            if (options.vlanFiltering()) {
                int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
                w.u8(Rtnl.IFLA_BR_VLAN_FILTERING, 1);
                w.endNested(data);
            }
            w.endNested(linkInfo);
        });
        return request.needing(options.vlanFiltering() ? Capability.BRIDGE_VLAN_FILTERING : Capability.BRIDGE);
    }

    /**
     * A veth pair; the peer is created directly inside the namespace open as {@code peerNamespaceFd} when given
     * ({@code IFLA_NET_NS_FD} inside {@code VETH_INFO_PEER}), so it never appears in this namespace.
     */
    static NetlinkRequest newVethPair(String name, String peerName, OptionalInt peerNamespaceFd) {
        String where = peerNamespaceFd.isPresent() ? " (peer in another namespace)" : "";
        return NetlinkRequest.acked("create veth pair " + name + "/" + peerName + where, Rtnl.RTM_NEWLINK, CREATE, w -> {
            w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name);
            int linkInfo = w.beginNested(Rtnl.IFLA_LINKINFO);
            w.string(Rtnl.IFLA_INFO_KIND, "veth");
            int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
            int peer = w.beginNested(Rtnl.VETH_INFO_PEER, false); // starts with a struct ifinfomsg
            w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, peerName);
            peerNamespaceFd.ifPresent(fd -> w.u32(Rtnl.IFLA_NET_NS_FD, fd));
            w.endNested(peer);
            w.endNested(data);
            w.endNested(linkInfo);
        }).needing(Capability.VETH);
    }

    static NetlinkRequest newVlan(String name, String parentName, int parentIndex, int vlanId) {
        if (vlanId < 0 || vlanId > 4094) {
            throw new IllegalArgumentException("VLAN id must be 0..4094, got " + vlanId);
        }
        return NetlinkRequest.acked("create vlan " + name + " (id " + vlanId + " on " + parentName + ")", Rtnl.RTM_NEWLINK, CREATE, w -> {
            w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).u32(Rtnl.IFLA_LINK, parentIndex);
            int linkInfo = w.beginNested(Rtnl.IFLA_LINKINFO);
            w.string(Rtnl.IFLA_INFO_KIND, "vlan");
            int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
            w.u16(Rtnl.IFLA_VLAN_ID, vlanId);
            w.endNested(data);
            w.endNested(linkInfo);
        }).needing(Capability.VLAN_8021Q);
    }

    static NetlinkRequest setMaster(String name, String masterName, int masterIndex) {
        return NetlinkRequest.acked("set master of " + name + " to " + masterName, Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).u32(Rtnl.IFLA_MASTER, masterIndex));
    }

    static NetlinkRequest clearMaster(String name) {
        return NetlinkRequest.acked("clear master of " + name, Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).u32(Rtnl.IFLA_MASTER, 0));
    }

    static NetlinkRequest setUp(String name, boolean up) {
        return NetlinkRequest.acked("set " + name + (up ? " up" : " down"), Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, up ? Rtnl.IFF_UP : 0, Rtnl.IFF_UP).string(Rtnl.IFLA_IFNAME, name));
    }

    static NetlinkRequest setMtu(String name, int mtu) {
        return NetlinkRequest.acked("set mtu of " + name + " to " + mtu, Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).u32(Rtnl.IFLA_MTU, mtu));
    }

    static NetlinkRequest setMac(String name, MacAddress mac) {
        return NetlinkRequest.acked("set mac of " + name + " to " + mac, Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).attribute(Rtnl.IFLA_ADDRESS, mac.toBytes()));
    }

    /** Sets the alias; an empty alias removes it. Sent without a NUL, as iproute2 does (the kernel adds one). */
    static NetlinkRequest setAlias(String name, String alias) {
        byte[] bytes = alias.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 255) {
            throw new IllegalArgumentException("alias of " + name + " is " + bytes.length + " bytes; the kernel allows 255");
        }
        String operation = alias.isEmpty() ? "clear alias of " + name : "set alias of " + name + " to '" + alias + "'";
        return NetlinkRequest.acked(operation, Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).attribute(Rtnl.IFLA_IFALIAS, bytes));
    }

    /**
     * Gives the link at {@code index} (down) its final name and qfence's alias in one request: the kernel applies
     * both in one {@code do_setlink} under the RTNL lock, so no observer ever sees the final name without the alias.
     * The link is named by index because {@code IFLA_IFNAME} carries the new name ({@code ip link set dev X name Y}
     * sends it the same way). qfence renames links while they are still down (older kernels refuse to rename a link
     * that is up, EBUSY; Linux 6.18 allows it).
     */
    static NetlinkRequest renameWithAlias(int index, String oldName, String newName, String alias) {
        byte[] bytes = alias.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > 255) {
            throw new IllegalArgumentException("alias of " + newName + " must be 1..255 bytes, got " + bytes.length);
        }
        return NetlinkRequest.acked("rename " + oldName + " to " + newName + " with alias '" + alias + "'", Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, index, 0, 0).string(Rtnl.IFLA_IFNAME, newName).attribute(Rtnl.IFLA_IFALIAS, bytes));
    }

    /** Puts the link into netdev group {@code group}, which lets {@link #deleteGroup} remove a whole group at once. */
    static NetlinkRequest setGroup(String name, int group) {
        return NetlinkRequest.acked("set group of " + name + " to " + group, Rtnl.RTM_NEWLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name).u32(Rtnl.IFLA_GROUP, group));
    }

    /** Bridge-port flags, as {@code ip link set NAME type bridge_slave isolated .. learning .. neigh_suppress ..}. */
    static NetlinkRequest setPortFlags(String name, PortFlags flags) {
        return NetlinkRequest.acked("set bridge-port flags of " + name + " to " + flags, Rtnl.RTM_NEWLINK, 0, w -> {
            w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name);
            int linkInfo = w.beginNested(Rtnl.IFLA_LINKINFO);
            w.string(Rtnl.IFLA_INFO_SLAVE_KIND, "bridge");
            int data = w.beginNested(Rtnl.IFLA_INFO_SLAVE_DATA);
            w.u8(Rtnl.IFLA_BRPORT_LEARNING, flags.learning() ? 1 : 0);
            w.u8(Rtnl.IFLA_BRPORT_NEIGH_SUPPRESS, flags.neighSuppress() ? 1 : 0);
            w.u8(Rtnl.IFLA_BRPORT_ISOLATED, flags.isolated() ? 1 : 0);
            w.endNested(data);
            w.endNested(linkInfo);
        });
    }

    static NetlinkRequest deleteLink(String name) {
        return NetlinkRequest.acked("delete link " + name, Rtnl.RTM_DELLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).string(Rtnl.IFLA_IFNAME, name));
    }

    /** Deletes every link of a netdev group in one kernel transaction ({@code ip link del group N}). */
    static NetlinkRequest deleteGroup(int group) {
        if (group == 0) {
            throw new IllegalArgumentException("refusing to delete netdev group 0: it holds every link by default");
        }
        return NetlinkRequest.acked("delete links of group " + group, Rtnl.RTM_DELLINK, 0,
                w -> w.ifinfomsg(Rtnl.AF_UNSPEC, 0, 0, 0, 0).u32(Rtnl.IFLA_GROUP, group));
    }

    /**
     * Adds an address. IPv4 gets its subnet's broadcast address (as {@code brd +}) unless the prefix is /31 or
     * /32; IPv6 is added without duplicate address detection ({@code IFA_F_NODAD}): a gateway on a bridge qfence
     * owns has nobody to collide with, and DAD would leave it "tentative" (unusable) until the bridge has carrier.
     */
    static NetlinkRequest newAddress(String linkName, int linkIndex, InterfaceAddress address) {
        boolean v6 = address instanceof InterfaceAddress.V6;
        return NetlinkRequest.acked("add address " + address + " to " + linkName, Rtnl.RTM_NEWADDR, CREATE, w -> {
            w.ifaddrmsg(address.family(), address.prefixLength(), v6 ? Rtnl.IFA_F_NODAD : 0, Rtnl.RT_SCOPE_UNIVERSE, linkIndex);
            w.attribute(Rtnl.IFA_LOCAL, address.bytes()).attribute(Rtnl.IFA_ADDRESS, address.bytes());
            if (address instanceof InterfaceAddress.V4 v4 && v4.prefixLength() <= 30) {
                w.attribute(Rtnl.IFA_BROADCAST, v4.broadcast().toBytes());
            }
        });
    }

    /**
     * Adds an IPv4 route through {@code gateway} on link {@code linkIndex} to the main table, like {@code ip route add
     * DESTINATION via GATEWAY dev LINK} (protocol static, scope universe). {@code 0.0.0.0/0} is the default route.
     */
    static NetlinkRequest newRoute(Ipv4Cidr destination, Ipv4Address gateway, String linkName, int linkIndex) {
        return NetlinkRequest.acked("add route " + destination + " via " + gateway + " dev " + linkName, Rtnl.RTM_NEWROUTE,
                CREATE, w -> {
                    w.rtmsg(Rtnl.AF_INET, destination.prefixLength(), Rtnl.RTPROT_STATIC, Rtnl.RT_SCOPE_UNIVERSE);
                    if (destination.prefixLength() > 0) {
                        w.attribute(Rtnl.RTA_DST, destination.network().toBytes());
                    }
                    w.attribute(Rtnl.RTA_GATEWAY, gateway.toBytes());
                    w.attribute(Rtnl.RTA_OIF, intBytes(linkIndex));
                });
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    static NetlinkRequest deleteAddress(String linkName, int linkIndex, InterfaceAddress address) {
        return NetlinkRequest.acked("remove address " + address + " from " + linkName, Rtnl.RTM_DELADDR, 0, w -> {
            w.ifaddrmsg(address.family(), address.prefixLength(), 0, Rtnl.RT_SCOPE_UNIVERSE, linkIndex);
            w.attribute(Rtnl.IFA_LOCAL, address.bytes()).attribute(Rtnl.IFA_ADDRESS, address.bytes());
        });
    }

    /**
     * Adds ({@code RTM_SETLINK}) or removes ({@code RTM_DELLINK}) VLANs on a bridge port: {@code AF_BRIDGE}, the
     * port's index, and one {@code IFLA_BRIDGE_VLAN_INFO} per VLAN inside {@code IFLA_AF_SPEC}, as {@code bridge vlan
     * add/del dev PORT vid N [pvid] [untagged]} sends them.
     */
    static NetlinkRequest bridgeVlans(String portName, int portIndex, List<BridgeVlan> vlans, boolean add) {
        if (vlans.isEmpty()) {
            throw new IllegalArgumentException("no VLANs given for bridge port " + portName);
        }
        String operation = (add ? "add" : "remove") + " bridge VLANs " + vlans.stream().map(v -> Integer.toString(v.vid())).toList()
                + (add ? " to " : " from ") + portName;
        return NetlinkRequest.acked(operation, add ? Rtnl.RTM_SETLINK : Rtnl.RTM_DELLINK, 0, w -> {
            w.ifinfomsg(Rtnl.AF_BRIDGE, 0, portIndex, 0, 0);
            int spec = w.beginNested(Rtnl.IFLA_AF_SPEC);
            for (BridgeVlan vlan : vlans) {
                w.attribute(Rtnl.IFLA_BRIDGE_VLAN_INFO, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder())
                        .putShort((short) vlan.flags()).putShort((short) vlan.vid()).array());
            }
            w.endNested(spec);
        }).needing(Capability.BRIDGE_VLAN_FILTERING);
    }
}
