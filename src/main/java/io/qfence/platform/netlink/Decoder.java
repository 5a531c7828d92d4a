package io.qfence.platform.netlink;

import io.qfence.model.MacAddress;
import io.qfence.model.host.PortFlags;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Turns kernel replies into qfence's records. Copies everything it keeps: payloads are views of a reused buffer. */
final class Decoder {

    private Decoder() {}

    /** An {@code RTM_NEWLINK} reply: {@code ifinfomsg} then {@code IFLA_*} attributes. */
    static LinkInfo link(NetlinkMessage m) {
        if (m.payload().limit() < Rtnl.IFINFOMSG_LEN) {
            throw new MalformedMessageException("RTM_NEWLINK with " + m.payload().limit() + " payload bytes");
        }
        int index = m.payload().getInt(4);
        int flags = m.payload().getInt(8);
        Attributes a = m.attributesAfter(Rtnl.IFINFOMSG_LEN);
        String name = a.string(Rtnl.IFLA_IFNAME)
                .orElseThrow(() -> new MalformedMessageException("link " + index + " has no IFLA_IFNAME"));

        Attributes linkInfo = a.nested(Rtnl.IFLA_LINKINFO);
        Optional<String> kind = linkInfo.string(Rtnl.IFLA_INFO_KIND);
        Optional<String> slaveKind = linkInfo.string(Rtnl.IFLA_INFO_SLAVE_KIND);
        Attributes data = linkInfo.nested(Rtnl.IFLA_INFO_DATA);
        Attributes slaveData = linkInfo.nested(Rtnl.IFLA_INFO_SLAVE_DATA);

        Optional<TunInfo> tun = kind.filter("tun"::equals).map(k -> tun(data));
        OptionalInt vlanId = kind.filter("vlan"::equals).isPresent() ? data.u16(Rtnl.IFLA_VLAN_ID) : OptionalInt.empty();
        Optional<PortFlags> portFlags = slaveKind.filter("bridge"::equals).map(k -> new PortFlags(
                flag(slaveData, Rtnl.IFLA_BRPORT_ISOLATED),
                flag(slaveData, Rtnl.IFLA_BRPORT_LEARNING),
                flag(slaveData, Rtnl.IFLA_BRPORT_NEIGH_SUPPRESS)));
        Optional<Boolean> vlanFiltering = kind.filter("bridge"::equals).isPresent() && data.has(Rtnl.IFLA_BR_VLAN_FILTERING)
                ? Optional.of(flag(data, Rtnl.IFLA_BR_VLAN_FILTERING)) : Optional.empty();

        OptionalInt master = a.u32(Rtnl.IFLA_MASTER);
        if (master.isPresent() && master.getAsInt() == 0) {
            master = OptionalInt.empty();
        }
        OptionalInt link = a.u32(Rtnl.IFLA_LINK);
        if (link.isPresent() && (link.getAsInt() == 0 || link.getAsInt() == index)) {
            link = OptionalInt.empty();
        }
        Optional<MacAddress> mac = a.bytes(Rtnl.IFLA_ADDRESS).filter(b -> b.length == 6).map(MacAddress::fromBytes);
        return new LinkInfo(index, name, kind, slaveKind, master, Optional.empty(), flags,
                OperState.of(a.u8(Rtnl.IFLA_OPERSTATE).orElse(0)), a.u32(Rtnl.IFLA_MTU).orElse(0), mac,
                a.string(Rtnl.IFLA_IFALIAS).filter(s -> !s.isEmpty()), a.u32(Rtnl.IFLA_GROUP).orElse(0),
                tun, vlanId, link, a.u32(Rtnl.IFLA_LINK_NETNSID), Optional.empty(), portFlags, vlanFiltering);
    }

    private static TunInfo tun(Attributes data) {
        int type = data.u8(Rtnl.IFLA_TUN_TYPE).orElse(0);
        OptionalLong owner = data.u32Unsigned(Rtnl.IFLA_TUN_OWNER);
        OptionalLong group = data.u32Unsigned(Rtnl.IFLA_TUN_GROUP);
        return new TunInfo((type & Rtnl.IFF_TAP) != 0, owner, group, flag(data, Rtnl.IFLA_TUN_PERSIST),
                flag(data, Rtnl.IFLA_TUN_VNET_HDR), flag(data, Rtnl.IFLA_TUN_PI), flag(data, Rtnl.IFLA_TUN_MULTI_QUEUE));
    }

    private static boolean flag(Attributes a, int type) {
        return a.u8(type).orElse(0) != 0;
    }

    /** An {@code RTM_NEWADDR} reply: {@code ifaddrmsg} then {@code IFA_*} attributes. */
    static AddressInfo address(NetlinkMessage m) {
        if (m.payload().limit() < Rtnl.IFADDRMSG_LEN) {
            throw new MalformedMessageException("RTM_NEWADDR with " + m.payload().limit() + " payload bytes");
        }
        int family = Byte.toUnsignedInt(m.payload().get(0));
        int prefixLength = Byte.toUnsignedInt(m.payload().get(1));
        int flags = Byte.toUnsignedInt(m.payload().get(2));
        int scope = Byte.toUnsignedInt(m.payload().get(3));
        int index = m.payload().getInt(4);
        Attributes a = m.attributesAfter(Rtnl.IFADDRMSG_LEN);
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links. iproute2
        // prints IFA_LOCAL when present, and so do we.
        byte[] bytes = a.bytes(Rtnl.IFA_LOCAL).or(() -> a.bytes(Rtnl.IFA_ADDRESS))
                .orElseThrow(() -> new MalformedMessageException("address on link " + index + " has neither IFA_LOCAL nor IFA_ADDRESS"));
        return new AddressInfo(index, InterfaceAddress.of(family, bytes, prefixLength), scope,
                a.u32(Rtnl.IFA_FLAGS).orElse(flags), a.string(Rtnl.IFA_LABEL));
    }
}
