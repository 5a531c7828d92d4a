package io.qfence.platform.netlink;

import io.qfence.model.MacAddress;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A link as the kernel reports it ({@code RTM_NEWLINK} in a dump), decoded into what qfence observes. Indexes are
 * kernel-assigned and local to the namespace; names of related links (master, VLAN parent) are resolved within the
 * same dump.
 *
 * @param kind           {@code IFLA_INFO_KIND}: "bridge", "veth", "vlan", "tun" (taps are kind tun); empty for
 *                       devices without rtnl ops (lo, physical NICs)
 * @param slaveKind      {@code IFLA_INFO_SLAVE_KIND}: "bridge" for a bridge port
 * @param masterIndex    {@code IFLA_MASTER}
 * @param masterName     the master's name, when it is in the same namespace
 * @param flags          {@code ifi_flags} ({@code IFF_*})
 * @param group          the netdev group ({@code IFLA_GROUP}); 0 is the default group
 * @param tun            for kind tun: type, owner and flags
 * @param vlanId         for kind vlan: the 802.1Q id
 * @param linkIndex      {@code IFLA_LINK}: a VLAN's parent, a veth's peer
 * @param linkNetnsId    {@code IFLA_LINK_NETNSID}: present when {@code linkIndex} is in another namespace
 * @param linkName       the name of {@code linkIndex}, when it is in this namespace
 * @param portFlags      for bridge ports: the flags from {@code IFLA_INFO_SLAVE_DATA}
 * @param vlanFiltering  for bridges: whether VLAN filtering is on ({@code IFLA_BR_VLAN_FILTERING}). Linux 6.18
 *                       reports it (off) even without {@code CONFIG_BRIDGE_VLAN_FILTERING}, so its presence says
 *                       nothing about the capability: ask {@link LinkCapabilities}
 */
public record LinkInfo(
        int index,
        String name,
        Optional<String> kind,
        Optional<String> slaveKind,
        OptionalInt masterIndex,
        Optional<String> masterName,
        int flags,
        OperState operState,
        int mtu,
        Optional<MacAddress> mac,
        Optional<String> alias,
        int group,
        Optional<TunInfo> tun,
        OptionalInt vlanId,
        OptionalInt linkIndex,
        OptionalInt linkNetnsId,
        Optional<String> linkName,
        Optional<PortFlags> portFlags,
        Optional<Boolean> vlanFiltering) {

    public LinkInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(slaveKind, "slaveKind");
        Objects.requireNonNull(masterIndex, "masterIndex");
        Objects.requireNonNull(masterName, "masterName");
        Objects.requireNonNull(operState, "operState");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(alias, "alias");
        Objects.requireNonNull(tun, "tun");
        Objects.requireNonNull(vlanId, "vlanId");
        Objects.requireNonNull(linkIndex, "linkIndex");
        Objects.requireNonNull(linkNetnsId, "linkNetnsId");
        Objects.requireNonNull(linkName, "linkName");
        Objects.requireNonNull(portFlags, "portFlags");
        Objects.requireNonNull(vlanFiltering, "vlanFiltering");
    }

    /** Administratively up ({@code IFF_UP}): what {@code ip link set up} sets. */
    public boolean up() {
        return (flags & Rtnl.IFF_UP) != 0;
    }

    /** The carrier is on ({@code IFF_LOWER_UP}). */
    public boolean lowerUp() {
        return (flags & Rtnl.IFF_LOWER_UP) != 0;
    }

    /** A tap device: kind {@code tun} in {@code IFF_TAP} mode. */
    public boolean isTap() {
        return tun.map(TunInfo::tap).orElse(false);
    }

    /** The qfence link kind this is, if it is one qfence creates (a tun-mode device is not). */
    public Optional<LinkKind> linkKind() {
        return switch (kind.orElse("")) {
            case "bridge" -> Optional.of(LinkKind.BRIDGE);
            case "veth" -> Optional.of(LinkKind.VETH);
            case "vlan" -> Optional.of(LinkKind.VLAN);
            case "tun" -> isTap() ? Optional.of(LinkKind.TAP) : Optional.empty();
            default -> Optional.empty();
        };
    }

    /** Resolves {@code masterName} and {@code linkName} from a name table of the same namespace. */
    LinkInfo withNamesFrom(Map<Integer, String> namesByIndex) {
        Optional<String> master = masterIndex.isPresent() ? Optional.ofNullable(namesByIndex.get(masterIndex.getAsInt())) : Optional.empty();
        Optional<String> link = linkIndex.isPresent() && linkNetnsId.isEmpty()
                ? Optional.ofNullable(namesByIndex.get(linkIndex.getAsInt())) : Optional.empty();
        return new LinkInfo(index, name, kind, slaveKind, masterIndex, master, flags, operState, mtu, mac, alias, group, tun,
                vlanId, linkIndex, linkNetnsId, link, portFlags, vlanFiltering);
    }
}
