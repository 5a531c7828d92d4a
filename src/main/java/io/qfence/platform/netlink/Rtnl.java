package io.qfence.platform.netlink;

/**
 * The rtnetlink constants qfence uses, with the kernel's names ({@code linux/netlink.h}, {@code linux/rtnetlink.h},
 * {@code linux/if_link.h}, {@code linux/if_addr.h}, {@code linux/if_bridge.h}). These are kernel ABI: they never
 * change once released.
 */
final class Rtnl {

    private Rtnl() {}

    // struct nlmsghdr: u32 len, u16 type, u16 flags, u32 seq, u32 pid
    static final int NLMSG_HDRLEN = 16;
    static final int NLMSG_ALIGNTO = 4;

    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;

    static final int NLM_F_REQUEST = 0x01;
    static final int NLM_F_MULTI = 0x02;
    static final int NLM_F_ACK = 0x04;
    static final int NLM_F_DUMP_INTR = 0x10;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    // flags of an NLMSG_ERROR reply
    static final int NLM_F_CAPPED = 0x100;
    static final int NLM_F_ACK_TLVS = 0x200;

    // extended ACK attributes (enum nlmsgerr_attrs)
    static final int NLMSGERR_ATTR_MSG = 1;
    static final int NLMSGERR_ATTR_OFFS = 2;

    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_SETLINK = 19;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;
    static final int RTM_NEWROUTE = 24;

    static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_BRIDGE = 7;
    static final int AF_INET6 = 10;

    // struct ifinfomsg: u8 family, u8 pad, u16 type, s32 index, u32 flags, u32 change
    static final int IFINFOMSG_LEN = 16;
    // struct ifaddrmsg: u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index
    static final int IFADDRMSG_LEN = 8;
    static final int NLMSGERR_LEN = 4 + NLMSG_HDRLEN;

    static final int IFF_UP = 0x1;
    static final int IFF_LOWER_UP = 0x10000;

    static final int NLA_HDRLEN = 4;
    static final int NLA_F_NESTED = 0x8000;
    static final int NLA_F_NET_BYTEORDER = 0x4000;
    static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

    // enum IFLA_*
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_LINK = 5;
    static final int IFLA_MASTER = 10;
    static final int IFLA_OPERSTATE = 16;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_IFALIAS = 20;
    static final int IFLA_AF_SPEC = 26;
    static final int IFLA_GROUP = 27;
    static final int IFLA_NET_NS_FD = 28;
    static final int IFLA_EXT_MASK = 29;
    static final int IFLA_LINK_NETNSID = 37;

    // enum IFLA_INFO_*
    static final int IFLA_INFO_KIND = 1;
    static final int IFLA_INFO_DATA = 2;
    static final int IFLA_INFO_SLAVE_KIND = 4;
    static final int IFLA_INFO_SLAVE_DATA = 5;

    static final int VETH_INFO_PEER = 1;
    static final int IFLA_VLAN_ID = 1;

    // enum IFLA_BR_* (bridge IFLA_INFO_DATA)
    static final int IFLA_BR_VLAN_FILTERING = 7;

    // enum IFLA_BRPORT_* (bridge port IFLA_INFO_SLAVE_DATA)
    static final int IFLA_BRPORT_LEARNING = 8;
    static final int IFLA_BRPORT_NEIGH_SUPPRESS = 32;
    static final int IFLA_BRPORT_ISOLATED = 33;

    // enum IFLA_TUN_* (tun IFLA_INFO_DATA)
    static final int IFLA_TUN_OWNER = 1;
    static final int IFLA_TUN_GROUP = 2;
    static final int IFLA_TUN_TYPE = 3;
    static final int IFLA_TUN_PI = 4;
    static final int IFLA_TUN_VNET_HDR = 5;
    static final int IFLA_TUN_PERSIST = 6;
    static final int IFLA_TUN_MULTI_QUEUE = 7;
    static final int IFF_TUN = 0x1;
    static final int IFF_TAP = 0x2;

    // IFLA_AF_SPEC for AF_BRIDGE
    static final int IFLA_BRIDGE_FLAGS = 0;
    static final int IFLA_BRIDGE_VLAN_INFO = 2;
    static final int BRIDGE_FLAGS_MASTER = 1;
    static final int BRIDGE_VLAN_INFO_PVID = 0x2;
    static final int BRIDGE_VLAN_INFO_UNTAGGED = 0x4;

    // enum IFA_*
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_LABEL = 3;
    static final int IFA_BROADCAST = 4;
    static final int IFA_FLAGS = 8;
    static final int IFA_F_NODAD = 0x02;

    static final int RT_SCOPE_UNIVERSE = 0;

    // struct rtmsg and enum rtattr_type_t (linux/rtnetlink.h)
    static final int RTMSG_LEN = 12;
    static final int RT_TABLE_MAIN = 254;
    static final int RTPROT_STATIC = 4;
    static final int RTN_UNICAST = 1;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;

    static int align(int length) {
        return (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
    }
}
