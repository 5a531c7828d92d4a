package io.qfence.platform.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.MacAddress;
import io.qfence.model.host.Capability;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNamespace;
import io.qfence.testing.Witness;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import io.qfence.platform.os.NetNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real kernel, private namespaces only: every effect is checked with iproute2 as an independent witness. */
@RequiresHost(tools = "ip")
class RtnlClientTest {

    private TestNamespace ns;
    private RtnlClient rtnl;
    private LinkWitness ip;

    @BeforeEach
    void createNamespace() {
        ns = TestNamespace.create();
        rtnl = RtnlClient.open(ns.netns());
        ip = new LinkWitness(ns);
    }

    @AfterAll
    static void noNamespaceOfOursIsLeft() {
        assertThat(NetNamespace.list(NetNamespace.DEFAULT_DIR)).noneMatch(n -> n.startsWith(TestNamespace.PREFIX));
    }

    @AfterEach
    void deleteNamespace() {
        try {
            rtnl.close();
        } finally {
            ns.close();
        }
    }

    @Test
    void createsABridgeWithTheRequestedMtuAndMac() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS.withMtu(1400).withMac(MacAddress.parse("02:00:00:00:00:01")));

        JsonNode bridge = ip.requireLink("qfb-t1");
        assertThat(bridge.path("linkinfo").path("info_kind").asText()).isEqualTo("bridge");
        assertThat(bridge.path("mtu").asInt()).isEqualTo(1400);
        assertThat(bridge.path("address").asText()).isEqualTo("02:00:00:00:00:01");
        assertThat(bridge.path("flags").toString()).doesNotContain("\"UP\"");
    }

    @Test
    void setsUpDownMtuMacAndAlias() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.setUp("qfb-t1");
        rtnl.setMtu("qfb-t1", 1280);
        rtnl.setMac("qfb-t1", MacAddress.parse("02:aa:bb:cc:dd:ee"));
        rtnl.setAlias("qfb-t1", "qfence:group.web/bridge");

        JsonNode bridge = ip.requireLink("qfb-t1");
        assertThat(bridge.path("flags").toString()).contains("\"UP\"");
        assertThat(bridge.path("mtu").asInt()).isEqualTo(1280);
        assertThat(bridge.path("address").asText()).isEqualTo("02:aa:bb:cc:dd:ee");
        assertThat(bridge.path("ifalias").asText()).isEqualTo("qfence:group.web/bridge");

        rtnl.setDown("qfb-t1");
        rtnl.setAlias("qfb-t1", "");
        JsonNode after = ip.requireLink("qfb-t1");
        assertThat(after.path("flags").toString()).doesNotContain("\"UP\"");
        assertThat(after.has("ifalias")).isFalse();
        assertThat(rtnl.link("qfb-t1")).get().extracting(LinkInfo::alias).isEqualTo(Optional.empty());
    }

    @Test
    void enslavesAPortToABridgeAndReleasesIt() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.createVethPair("qfp-a", "qfp-b");

        rtnl.setMaster("qfp-a", "qfb-t1");
        assertThat(ip.requireLink("qfp-a").path("master").asText()).isEqualTo("qfb-t1");
        assertThat(ip.requireLink("qfp-a").path("linkinfo").path("info_slave_kind").asText()).isEqualTo("bridge");
        LinkInfo port = rtnl.link("qfp-a").orElseThrow();
        assertThat(port.masterName()).contains("qfb-t1");
        assertThat(port.slaveKind()).contains("bridge");

        rtnl.clearMaster("qfp-a");
        assertThat(ip.requireLink("qfp-a").has("master")).isFalse();
        assertThat(rtnl.link("qfp-a").orElseThrow().masterIndex()).isEmpty();
    }

    @Test
    void setsBridgePortFlags() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.createVethPair("qfp-a", "qfp-b");
        rtnl.setMaster("qfp-a", "qfb-t1");

        rtnl.setBridgePortFlags("qfp-a", new PortFlags(true, false, true));

        JsonNode slave = ip.requireLink("qfp-a").path("linkinfo").path("info_slave_data");
        assertThat(slave.path("isolated").asBoolean()).isTrue();
        assertThat(slave.path("learning").asBoolean()).isFalse();
        assertThat(slave.path("neigh_suppress").asBoolean()).isTrue();
        assertThat(rtnl.link("qfp-a").orElseThrow().portFlags()).contains(new PortFlags(true, false, true));

        rtnl.setBridgePortFlags("qfp-a", new PortFlags(false, true, false));
        JsonNode again = ip.requireLink("qfp-a").path("linkinfo").path("info_slave_data");
        assertThat(again.path("isolated").asBoolean()).isFalse();
        assertThat(again.path("learning").asBoolean()).isTrue();
        assertThat(again.path("neigh_suppress").asBoolean()).isFalse();
    }

    @Test
    void createsTheVethPeerDirectlyInsideAnotherNamespace() {
        try (TestNamespace other = TestNamespace.create()) {
            rtnl.createVethPair("qfv-host", "qfv-guest", other.netns());

            assertThat(ip.link("qfv-guest")).isEmpty();
            JsonNode local = ip.requireLink("qfv-host");
            assertThat(local.path("linkinfo").path("info_kind").asText()).isEqualTo("veth");
            assertThat(local.has("link_netnsid")).isTrue();
            JsonNode remote = new LinkWitness(other).requireLink("qfv-guest");
            assertThat(remote.path("linkinfo").path("info_kind").asText()).isEqualTo("veth");

            LinkInfo observed = rtnl.link("qfv-host").orElseThrow();
            assertThat(observed.linkNetnsId()).isPresent();
            assertThat(observed.linkName()).isEmpty();
        }
    }

    @Test
    void addsAndRemovesIpv4AndIpv6Addresses() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        InterfaceAddress v4 = InterfaceAddress.parse("10.20.0.1/24");
        InterfaceAddress v6 = InterfaceAddress.parse("fd00:20::1/64");

        rtnl.addAddress("qfb-t1", v4);
        rtnl.addAddress("qfb-t1", v6);

        assertThat(ip.addresses("qfb-t1")).contains("10.20.0.1/24", "fd00:20::1/64");
        String brd = ns.witness("ip", "-j", "addr", "show", "dev", "qfb-t1");
        assertThat(brd).contains("\"broadcast\":\"10.20.0.255\"");
        int index = rtnl.link("qfb-t1").orElseThrow().index();
        assertThat(rtnl.addresses()).filteredOn(a -> a.linkIndex() == index).extracting(a -> a.address().toString())
                .contains("10.20.0.1/24", "fd00:20::1/64");

        rtnl.removeAddress("qfb-t1", v4);
        rtnl.removeAddress("qfb-t1", v6);
        assertThat(ip.addresses("qfb-t1")).doesNotContain("10.20.0.1/24", "fd00:20::1/64");
    }

    @Test
    void addsADefaultRouteAndARouteToAPrefixThroughAGateway() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.addAddress("qfb-t1", InterfaceAddress.parse("198.18.0.1/24"));
        rtnl.setUp("qfb-t1");

        rtnl.addRoute(io.qfence.model.Ipv4Cidr.parse("0.0.0.0/0"), io.qfence.model.Ipv4Address.parse("198.18.0.2"), "qfb-t1");
        rtnl.addRoute(io.qfence.model.Ipv4Cidr.parse("203.0.113.0/24"), io.qfence.model.Ipv4Address.parse("198.18.0.3"), "qfb-t1");

        String routes = ns.witness("ip", "-4", "route", "show");
        assertThat(routes).contains("default via 198.18.0.2 dev qfb-t1 proto static",
                "203.0.113.0/24 via 198.18.0.3 dev qfb-t1 proto static");
        assertThatThrownBy(() -> rtnl.addRoute(io.qfence.model.Ipv4Cidr.parse("0.0.0.0/0"),
                io.qfence.model.Ipv4Address.parse("198.18.0.2"), "qfb-t1"))
                .isInstanceOf(NetlinkException.class).hasMessageContaining("add route 0.0.0.0/0 via 198.18.0.2 dev qfb-t1");
    }

    @Test
    void theAddressesOfOneLinkAreExactlyItsOwnAndTheNextFullDumpStillListsEveryLink() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.createBridge("qfb-t2", BridgeOptions.DEFAULTS);
        rtnl.addAddress("qfb-t1", InterfaceAddress.parse("10.21.0.1/24"));
        rtnl.addAddress("qfb-t1", InterfaceAddress.parse("fd00:21::1/64"));
        rtnl.addAddress("qfb-t2", InterfaceAddress.parse("10.22.0.1/24"));
        int one = rtnl.link("qfb-t1").orElseThrow().index();
        int two = rtnl.link("qfb-t2").orElseThrow().index();

        assertThat(rtnl.addresses(one)).extracting(a -> a.address().toString()).containsExactlyInAnyOrder("10.21.0.1/24", "fd00:21::1/64");
        assertThat(rtnl.addresses(two)).extracting(a -> a.address().toString()).containsExactly("10.22.0.1/24");
        assertThat(rtnl.addresses()).extracting(a -> a.address().toString()).contains("10.21.0.1/24", "fd00:21::1/64", "10.22.0.1/24");
        assertThat(rtnl.links()).extracting(LinkInfo::name).contains("qfb-t1", "qfb-t2", "lo");
    }

    @Test
    void observesATapsOwnerGroupAndPersistence() {
        ns.witness("ip", "tuntap", "add", "dev", "qft-t1", "mode", "tap", "user", "4321", "group", "8765");
        ns.witness("ip", "tuntap", "add", "dev", "qft-t2", "mode", "tun");

        LinkInfo tap = rtnl.link("qft-t1").orElseThrow();
        assertThat(tap.kind()).contains("tun");
        assertThat(tap.linkKind()).contains(LinkKind.TAP);
        TunInfo info = tap.tun().orElseThrow();
        assertThat(info.tap()).isTrue();
        assertThat(info.ownerUid()).hasValue(4321);
        assertThat(info.ownerGid()).hasValue(8765);
        assertThat(info.persist()).isTrue();

        LinkInfo tun = rtnl.link("qft-t2").orElseThrow();
        assertThat(tun.tun().orElseThrow().tap()).isFalse();
        assertThat(tun.tun().orElseThrow().ownerUid()).isEmpty();
        assertThat(tun.linkKind()).isEmpty();
    }

    @Test
    void aVlanFailsBeforeSendingAndNamesTheKernelOption() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        assertThat(LinkCapabilities.detected()).doesNotContain(Capability.VLAN_8021Q);

        assertThatThrownBy(() -> rtnl.createVlan("qfv-10", "qfb-t1", 10))
                .isInstanceOf(MissingCapabilityException.class)
                .hasMessageContaining("CONFIG_VLAN_8021Q")
                .hasMessageStartingWith("create vlan qfv-10 (id 10 on qfb-t1)");
        assertThat(ip.link("qfv-10")).isEmpty();
    }

    @Test
    void aVlanTheKernelRefusesAlsoNamesTheKernelOption() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        try (RtnlClient unprobed = new RtnlClient(ns.netns().call(() -> io.qfence.platform.os.NetlinkSocket.open(0)), ns.name(), Optional::empty)) {
            assertThatThrownBy(() -> unprobed.createVlan("qfv-10", "qfb-t1", 10))
                    .isInstanceOfSatisfying(MissingCapabilityException.class, e -> {
                        assertThat(e.capability()).isEqualTo(Capability.VLAN_8021Q);
                        assertThat(e.errno()).isEqualTo(NetlinkException.EOPNOTSUPP);
                        assertThat(e.kernelMessage()).contains("Unknown device type");
                    })
                    .hasMessageContaining("enable CONFIG_VLAN_8021Q");
        }
    }

    @Test
    void bridgeVlansNameTheMissingKernelOption() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.createVethPair("qfp-a", "qfp-b");
        rtnl.setMaster("qfp-a", "qfb-t1");

        assertThatThrownBy(() -> rtnl.addBridgeVlans("qfp-a", List.of(new BridgeVlan(10, true, true))))
                .isInstanceOf(MissingCapabilityException.class)
                .hasMessageContaining("CONFIG_BRIDGE_VLAN_FILTERING");
        assertThatThrownBy(() -> rtnl.createBridge("qfb-t2", BridgeOptions.DEFAULTS.withVlanFiltering(true)))
                .isInstanceOf(MissingCapabilityException.class)
                .hasMessageContaining("CONFIG_BRIDGE_VLAN_FILTERING");
    }

    @Test
    void aLinkCreatedUnderATemporaryNameGetsItsFinalNameAndAliasInOneRequest() {
        rtnl.createBridge("qfc-abcdefghijk", BridgeOptions.DEFAULTS);
        ns.netns().run(() -> io.qfence.platform.os.Tun.createPersistentTap("qfc-bcdefghijkl", 4321, 4321));

        rtnl.renameWithAlias("qfc-abcdefghijk", "qfb-t1", "qfence:group.t1/bridge");
        rtnl.renameWithAlias("qfc-bcdefghijkl", "qft-t1", "qfence:group.t1/vm.t1/tap");

        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).containsExactlyInAnyOrder("lo", "qfb-t1", "qft-t1");
        assertThat(ip.requireLink("qfb-t1").path("ifalias").asText()).isEqualTo("qfence:group.t1/bridge");
        JsonNode tap = ip.requireLink("qft-t1");
        assertThat(tap.path("ifalias").asText()).isEqualTo("qfence:group.t1/vm.t1/tap");
        assertThat(tap.path("linkinfo").path("info_data").path("user").asText()).isEqualTo("4321");
        // the final name is taken: nothing changes
        rtnl.createBridge("qfc-cdefghijklm", BridgeOptions.DEFAULTS);
        assertThatThrownBy(() -> rtnl.renameWithAlias("qfc-cdefghijklm", "qfb-t1", "qfence:other"))
                .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(NetlinkException.EEXIST));
        assertThat(ip.requireLink("qfc-cdefghijklm").has("ifalias")).isFalse();
        assertThat(ip.requireLink("qfb-t1").path("ifalias").asText()).isEqualTo("qfence:group.t1/bridge");
        assertThatThrownBy(() -> rtnl.renameWithAlias("qfc-nonexistent", "qfb-t3", "qfence:x"))
                .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(NetlinkException.ENODEV));
    }

    @Test
    void aPersistentTapIsDeletedLikeAnyOtherLink() {
        ns.netns().run(() -> io.qfence.platform.os.Tun.createPersistentTap("qft-t1", 4321, 4321));
        ns.netns().run(() -> io.qfence.platform.os.Tun.createPersistentTap("qft-t2", 4321, 4321));
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.setMaster("qft-t2", "qfb-t1");

        rtnl.deleteLink("qft-t1");
        assertThat(rtnl.deleteLinks(List.of("qft-t2", "qfb-t1")).succeeded()).isTrue();

        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).containsExactly("lo");
    }

    @Test
    void creatingAnExistingLinkFailsWithEexist() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);

        assertThatThrownBy(() -> rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS))
                .isInstanceOfSatisfying(NetlinkException.class, e -> {
                    assertThat(e.errno()).isEqualTo(NetlinkException.EEXIST);
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.operation()).isEqualTo("create bridge qfb-t1");
                })
                .hasMessageStartingWith("create bridge qfb-t1: ");
    }

    @Test
    void changingAMissingLinkFailsWithEnodev() {
        assertThatThrownBy(() -> rtnl.setUp("qfb-nope"))
                .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(NetlinkException.ENODEV))
                .hasMessageStartingWith("set qfb-nope up: ");
        assertThatThrownBy(() -> rtnl.deleteLink("qfb-nope"))
                .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(NetlinkException.ENODEV));
        assertThatThrownBy(() -> rtnl.setMaster("qfb-nope", "qfb-none"))
                .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(NetlinkException.ENODEV))
                .hasMessageContaining("qfb-none");
        assertThat(rtnl.link("qfb-nope")).isEmpty();
    }

    @Test
    void aRefusalCarriesTheKernelsExtendedAckMessage() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);

        assertThatThrownBy(() -> rtnl.setMtu("qfb-t1", 65536))
                .isInstanceOfSatisfying(NetlinkException.class, e -> {
                    assertThat(e.errno()).isEqualTo(NetlinkException.EINVAL);
                    assertThat(e.kernelMessage()).isPresent();
                    assertThat(e.getMessage()).contains("kernel says: " + e.kernelMessage().get());
                });
    }

    @Test
    void deletesALinkAndAVethPeerWithIt() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.createVethPair("qfp-a", "qfp-b");

        rtnl.deleteLink("qfb-t1");
        rtnl.deleteLink("qfp-a");

        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).containsExactly("lo");
    }

    @Test
    void deletesAWholeNetdevGroupAtOnce() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        rtnl.createBridge("qfb-t2", BridgeOptions.DEFAULTS);
        rtnl.createBridge("qfb-keep", BridgeOptions.DEFAULTS);
        rtnl.setGroup("qfb-t1", 4711);
        rtnl.setGroup("qfb-t2", 4711);
        assertThat(rtnl.link("qfb-t1").orElseThrow().group()).isEqualTo(4711);

        rtnl.deleteGroup(4711);

        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).containsExactlyInAnyOrder("lo", "qfb-keep");
        assertThatThrownBy(() -> rtnl.deleteGroup(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deletesManyLinksInOneKernelTransactionAndReportsMissingOnes() {
        rtnl.batch().createBridge("qfb-a", BridgeOptions.DEFAULTS).createBridge("qfb-b", BridgeOptions.DEFAULTS)
                .createBridge("qfb-keep", BridgeOptions.DEFAULTS).createVethPair("qfp-a", "qfp-b")
                .setMaster("qfp-a", "qfb-a").setGroup("qfb-keep", 5).execute().orThrow();

        BatchResult result = rtnl.deleteLinks(List.of("qfb-a", "qfp-a", "qfb-missing", "qfb-b"));

        assertThat(result.failures()).singleElement().satisfies(e -> {
            assertThat(e.errno()).isEqualTo(NetlinkException.ENODEV);
            assertThat(e.operation()).isEqualTo("delete link qfb-missing");
        });
        assertThat(result.outcomes()).hasSize(5);
        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).containsExactlyInAnyOrder("lo", "qfb-keep");
        assertThat(ip.requireLink("qfb-keep").path("group").asText()).isEqualTo("5");
    }

    @Test
    void aBatchReportsEachRequestsOutcomeAndAppliesTheRest() {
        BatchResult result = rtnl.batch()
                .createBridge("qfb-a", BridgeOptions.DEFAULTS)
                .createBridge("qfb-a", BridgeOptions.DEFAULTS)
                .setUp("qfb-missing")
                .createBridge("qfb-b", BridgeOptions.DEFAULTS)
                .createVethPair("qfp-a", "qfp-b")
                .setMaster("qfp-a", "qfb-b")
                .setMaster("qfp-b", "qfb-none")
                .setUp("qfb-b")
                .execute();

        assertThat(result.succeeded()).isFalse();
        assertThat(result.outcomes()).extracting(o -> o.failure().map(NetlinkException::errno).orElse(0))
                .containsExactly(0, NetlinkException.EEXIST, NetlinkException.ENODEV, 0, 0, 0, NetlinkException.ENODEV, 0);
        assertThat(result.outcomes().get(1).operation()).isEqualTo("create bridge qfb-a");
        assertThat(result.failures()).extracting(NetlinkException::operation)
                .containsExactly("create bridge qfb-a", "set qfb-missing up", "set master of qfp-b to qfb-none (no link named qfb-none)");
        assertThat(ip.requireLink("qfp-a").path("master").asText()).isEqualTo("qfb-b");
        assertThat(ip.requireLink("qfb-b").path("flags").toString()).contains("\"UP\"");
        assertThatThrownBy(result::orThrow).isInstanceOf(NetlinkException.class)
                .hasMessageStartingWith("create bridge qfb-a: ")
                .satisfies(e -> assertThat(e.getSuppressed()).hasSize(2));
    }

    @Test
    void aLargeBatchEnslavesPortsToABridgeItCreatedItself() {
        LinkBatch batch = rtnl.batch().createBridge("qfb-big", BridgeOptions.DEFAULTS);
        for (int i = 0; i < 30; i++) {
            batch.createVethPair("qfp-" + i, "qfq-" + i);
        }
        for (int i = 0; i < 30; i++) {
            batch.setMaster("qfp-" + i, "qfb-big").setBridgePortFlags("qfp-" + i, new PortFlags(true, true, false));
        }
        batch.setMaster("qfq-0", "qfb-none");

        BatchResult result = batch.execute();

        assertThat(result.failures()).extracting(NetlinkException::errno).containsExactly(NetlinkException.ENODEV);
        assertThat(ip.links()).filteredOn(l -> l.path("ifname").asText().startsWith("qfp-"))
                .hasSize(30).allSatisfy(l -> {
                    assertThat(l.path("master").asText()).isEqualTo("qfb-big");
                    assertThat(l.path("linkinfo").path("info_slave_data").path("isolated").asBoolean()).isTrue();
                });
    }

    @Test
    void theDumpAgreesWithIproute2OnEveryLink() {
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS.withMtu(1450));
        rtnl.createVethPair("qfp-a", "qfp-b");
        ns.witness("ip", "tuntap", "add", "dev", "qft-t1", "mode", "tap", "user", "4321", "group", "8765");
        rtnl.batch().setMaster("qfp-a", "qfb-t1").setMaster("qft-t1", "qfb-t1").setUp("qfb-t1").setUp("qfp-a")
                .setAlias("qfb-t1", "qfence:group.t1/bridge").execute().orThrow();

        List<LinkInfo> links = rtnl.links();
        List<JsonNode> witness = ip.links();
        assertThat(links).hasSameSizeAs(witness);
        for (JsonNode w : witness) {
            LinkInfo l = links.stream().filter(x -> x.name().equals(w.path("ifname").asText())).findFirst().orElseThrow();
            assertThat(l.index()).as("ifindex of " + l.name()).isEqualTo(w.path("ifindex").asInt());
            assertThat(l.mtu()).as("mtu of " + l.name()).isEqualTo(w.path("mtu").asInt());
            assertThat(l.mac().map(MacAddress::toString).orElse("00:00:00:00:00:00")).as("mac of " + l.name())
                    .isEqualTo(w.path("address").asText("00:00:00:00:00:00"));
            assertThat(l.kind().orElse("")).as("kind of " + l.name()).isEqualTo(w.path("linkinfo").path("info_kind").asText(""));
            assertThat(l.slaveKind().orElse("")).as("slave kind of " + l.name())
                    .isEqualTo(w.path("linkinfo").path("info_slave_kind").asText(""));
            assertThat(l.masterName().orElse("")).as("master of " + l.name()).isEqualTo(w.path("master").asText(""));
            assertThat(l.up()).as("up of " + l.name()).isEqualTo(w.path("flags").toString().contains("\"UP\""));
            // operstate is left out: the kernel updates it asynchronously (linkwatch) after a link goes up, so the
            // two snapshots may legitimately differ.
            assertThat(l.alias().orElse("")).as("alias of " + l.name()).isEqualTo(w.path("ifalias").asText(""));
            assertThat(l.group()).as("group of " + l.name()).isZero();
        }
        LinkInfo tap = links.stream().filter(l -> l.name().equals("qft-t1")).findFirst().orElseThrow();
        JsonNode tapData = ip.requireLink("qft-t1").path("linkinfo").path("info_data");
        assertThat(tap.tun().orElseThrow().ownerUid()).hasValue(tapData.path("user").asLong());
        assertThat(tap.tun().orElseThrow().persist()).isEqualTo(tapData.path("persist").asBoolean());
    }

    @Test
    void dumpsSpanningManyDatagramsReturnEveryLinkOnce() {
        LinkBatch batch = rtnl.batch();
        for (int i = 0; i < 600; i++) {
            batch.createVethPair("qfa-" + i, "qfz-" + i);
        }
        batch.execute().orThrow();

        List<LinkInfo> links = rtnl.links();

        List<String> witness = ip.links().stream().map(l -> l.path("ifname").asText()).toList();
        assertThat(links).hasSize(1201);
        assertThat(links).extracting(LinkInfo::name).containsExactlyInAnyOrderElementsOf(witness).doesNotHaveDuplicates();
        LinkInfo a7 = links.stream().filter(l -> l.name().equals("qfa-7")).findFirst().orElseThrow();
        assertThat(a7.linkName()).contains("qfz-7");
    }

    @Test
    void nothingIsCreatedInTheRootNamespace() {
        String before = Witness.run("ip", "-o", "link", "show");
        rtnl.createBridge("qfb-t1", BridgeOptions.DEFAULTS);
        assertThat(Witness.run("ip", "-o", "link", "show")).isEqualTo(before).doesNotContain("qfb-t1");
        assertThat(Set.copyOf(ip.links().stream().map(l -> l.path("ifname").asText()).toList())).contains("qfb-t1");
    }
}
