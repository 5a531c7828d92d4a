package io.qfence.platform.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.MacAddress;
import io.qfence.model.host.PortFlags;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The exact bytes of every kind of request qfence sends (x86-64, little-endian; sequence number 1, port id 0).
 * Each golden file is commented field by field; those comments were checked against the kernel headers and, where
 * iproute2 sends the same request, against its bytes (captured with strace).
 */
class RequestGoldenTest {

    private static void assertGolden(String file, String comment, byte[] actual) {
        if (Hex.updating() && !Hex.matches(file, Hex.format(actual))) {
            Hex.write(file, comment, Hex.format(actual));
            throw io.qfence.testing.Golden.written(Hex.GOLDEN.resolve(file));
        }
        assertThat(Hex.format(actual)).as(file).isEqualTo(Hex.readCanonical(file));
    }

    private static void assertGolden(String file, String comment, NetlinkRequest request) {
        assertGolden(file, comment, request.encode(1));
    }

    @Test
    void createBridge() {
        assertGolden("newlink-bridge.hex", "RTM_NEWLINK create bridge qfb-web", Requests.newBridge("qfb-web", BridgeOptions.DEFAULTS));
    }

    @Test
    void createBridgeWithMtuAndMac() {
        assertGolden("newlink-bridge-mtu-mac.hex", "RTM_NEWLINK create bridge qfb-web mtu 1400 address 02:00:00:00:00:01",
                Requests.newBridge("qfb-web", BridgeOptions.DEFAULTS.withMtu(1400).withMac(MacAddress.parse("02:00:00:00:00:01"))));
    }

    @Test
    void createVlanFilteringBridge() {
        assertGolden("newlink-bridge-vlan-filtering.hex", "RTM_NEWLINK create bridge qfb-web vlan_filtering 1",
                Requests.newBridge("qfb-web", BridgeOptions.DEFAULTS.withVlanFiltering(true)));
    }

    @Test
    void createVethWithItsPeerInAnotherNamespace() {
        assertGolden("newlink-veth-peer-netns.hex", "RTM_NEWLINK create veth qfv-a, peer qfv-b in the namespace open as fd 7",
                Requests.newVethPair("qfv-a", "qfv-b", OptionalInt.of(7)));
    }

    @Test
    void createVlan() {
        assertGolden("newlink-vlan.hex", "RTM_NEWLINK create vlan qfv-10 id 10 on ifindex 2",
                Requests.newVlan("qfv-10", "eth0", 2, 10));
    }

    @Test
    void setMaster() {
        assertGolden("setlink-master.hex", "RTM_NEWLINK (change) qft-vm1 master ifindex 5", Requests.setMaster("qft-vm1", "qfb-web", 5));
    }

    @Test
    void clearMaster() {
        assertGolden("setlink-nomaster.hex", "RTM_NEWLINK (change) qft-vm1 nomaster", Requests.clearMaster("qft-vm1"));
    }

    @Test
    void setUp() {
        assertGolden("setlink-up.hex", "RTM_NEWLINK (change) qfb-web up: ifi_flags IFF_UP, ifi_change IFF_UP", Requests.setUp("qfb-web", true));
    }

    @Test
    void setAlias() {
        assertGolden("setlink-alias.hex", "RTM_NEWLINK (change) qfb-web alias qfence:group.web/bridge (no NUL)",
                Requests.setAlias("qfb-web", "qfence:group.web/bridge"));
    }

    @Test
    void renameWithAlias() {
        assertGolden("setlink-rename-alias.hex",
                "RTM_NEWLINK (change) ifindex 7 name qfb-web alias qfence:group.web/bridge: a temporary link becomes qfence's in one request",
                Requests.renameWithAlias(7, "qfc-abcdefghijk", "qfb-web", "qfence:group.web/bridge"));
    }

    @Test
    void renamesOfManyLinksGoBackToBackInOneDatagramEachAddressedByItsIndex() {
        MessageWriter writer = new MessageWriter();
        Requests.renameWithAlias(7, "qfc-abcdefghijk", "qfb-web", "qfence:group.web/bridge").encode(writer, 1);
        Requests.renameWithAlias(8, "qfc-bcdefghijkl", "qft-web-01", "qfence:group.web/vm.web-01/tap").encode(writer, 2);
        byte[] batch = writer.toByteArray();
        assertGolden("batch-rename-alias.hex", "one datagram of LinkBatch.renameWithAlias: ifindex 7 name qfb-web alias qfence:group.web/bridge"
                + " (seq 1), ifindex 8 name qft-web-01 alias qfence:group.web/vm.web-01/tap (seq 2)", batch);

        byte[] first = Requests.renameWithAlias(7, "qfc-abcdefghijk", "qfb-web", "qfence:group.web/bridge").encode(1);
        assertThat(java.util.Arrays.copyOf(batch, first.length)).isEqualTo(first);
    }

    @Test
    void setBridgePortFlags() {
        assertGolden("setlink-port-flags.hex", "RTM_NEWLINK (change) qft-vm1 type bridge_slave learning off neigh_suppress on isolated on",
                Requests.setPortFlags("qft-vm1", new PortFlags(true, false, true)));
    }

    @Test
    void addIpv4Address() {
        assertGolden("newaddr-v4.hex", "RTM_NEWADDR 10.10.0.1/24 brd 10.10.0.255 on ifindex 5",
                Requests.newAddress("qfb-web", 5, InterfaceAddress.parse("10.10.0.1/24")));
    }

    @Test
    void addDefaultRoute() {
        assertGolden("newroute-default.hex", "RTM_NEWROUTE default via 198.18.0.2 dev ifindex 3, protocol static",
                Requests.newRoute(io.qfence.model.Ipv4Cidr.parse("0.0.0.0/0"), io.qfence.model.Ipv4Address.parse("198.18.0.2"), "vfy-up", 3));
    }

    @Test
    void addRouteToAPrefix() {
        assertGolden("newroute-prefix.hex", "RTM_NEWROUTE 10.10.0.0/24 via 198.18.0.1 dev ifindex 3, protocol static",
                Requests.newRoute(io.qfence.model.Ipv4Cidr.parse("10.10.0.0/24"), io.qfence.model.Ipv4Address.parse("198.18.0.1"), "vfy-out", 3));
    }

    @Test
    void addIpv6Address() {
        assertGolden("newaddr-v6.hex", "RTM_NEWADDR fd00:10::1/64 nodad on ifindex 5",
                Requests.newAddress("qfb-web", 5, InterfaceAddress.parse("fd00:10::1/64")));
    }

    @Test
    void removeIpv4Address() {
        assertGolden("deladdr-v4.hex", "RTM_DELADDR 10.10.0.1/24 on ifindex 5",
                Requests.deleteAddress("qfb-web", 5, InterfaceAddress.parse("10.10.0.1/24")));
    }

    @Test
    void deleteLink() {
        assertGolden("dellink.hex", "RTM_DELLINK qfb-web", Requests.deleteLink("qfb-web"));
    }

    @Test
    void deleteGroup() {
        assertGolden("dellink-group.hex", "RTM_DELLINK group 4711", Requests.deleteGroup(4711));
    }

    @Test
    void addBridgeVlans() {
        assertGolden("setlink-bridge-vlans.hex", "RTM_SETLINK AF_BRIDGE ifindex 6: vid 10 pvid untagged, vid 20",
                Requests.bridgeVlans("qft-vm1", 6, List.of(new BridgeVlan(10, true, true), new BridgeVlan(20, false, false)), true));
    }

    @Test
    void dumpLinks() {
        assertGolden("getlink-dump.hex", "RTM_GETLINK NLM_F_DUMP", Requests.dumpLinks());
    }

    @Test
    void aBatchIsRequestsBackToBackWithConsecutiveSequenceNumbers() {
        MessageWriter writer = new MessageWriter();
        Requests.newBridge("qfb-web", BridgeOptions.DEFAULTS).encode(writer, 1);
        Requests.setMaster("qft-vm1", "qfb-web", 5).encode(writer, 2);
        Requests.setUp("qfb-web", true).encode(writer, 3);
        byte[] batch = writer.toByteArray();
        assertGolden("batch.hex", "one datagram: create bridge (seq 1), set master (seq 2), set up (seq 3)", batch);

        byte[] first = Requests.newBridge("qfb-web", BridgeOptions.DEFAULTS).encode(1);
        assertThat(java.util.Arrays.copyOf(batch, first.length)).isEqualTo(first);
    }
}
