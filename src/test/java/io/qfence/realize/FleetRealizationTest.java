package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.Guest;
import io.qfence.model.host.Link;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Realization per host, knowing the whole fleet (DESIGN.md §20), on {@link Fleets#threeHosts()}. */
class FleetRealizationTest {

    private static final DesiredState FLEET = Fleets.threeHosts();

    private static Realization on(String host) {
        return Realizer.realize(FLEET, host, Fleets.WITH_VLANS, Fixtures.TODAY);
    }

    @Test
    void aVmRunsOnlyWhereItIsPlaced() {
        assertThat(on("hv1").objects(Guest.class)).extracting(Guest::address)
                .containsExactly("group.db/vm.db-02", "group.web/vm.web-01");
        assertThat(on("hv2").objects(Guest.class)).extracting(Guest::address).containsExactly("group.web/vm.web-02");
        assertThat(on("hv3").objects(Guest.class)).extracting(Guest::address).containsExactly("group.db/vm.db-01");
    }

    @Test
    void everyHostOfAGroupHasItsBridgeJoinedToTheVlanOfTheGroup() {
        assertThat(links(on("hv1"))).contains("qfb-web", "qfv-10", "qfb-db", "qfv-20", "qft-web-01", "qft-db-02")
                .doesNotContain("qft-web-02", "qft-db-01");
        assertThat(links(on("hv2"))).containsExactlyInAnyOrder("qfb-web", "qfv-10", "qft-web-02");
        assertThat(links(on("hv3"))).containsExactlyInAnyOrder("qfb-db", "qfv-20", "qft-db-01");
    }

    @Test
    void theTrunkAcceptsARemoteVmsAddressOnlyWithItsMacOnItsVlan() {
        assertThat(set("hv1", "trunk_ipv4")).containsExactlyInAnyOrder(
                triple("qfv-10", "web", "web-02", "10.10.0.12"), triple("qfv-20", "db", "db-01", "10.20.0.11"));
        // hv2 knows only web's VM on hv1, on web's VLAN; never one of its own VMs, nor db's
        assertThat(set("hv2", "trunk_ipv4")).containsExactly(triple("qfv-10", "web", "web-01", "10.10.0.11"));
        assertThat(set("hv3", "trunk_ipv4")).containsExactly(triple("qfv-20", "db", "db-02", "10.20.0.12"));
    }

    private static List<String> set(String host, String name) {
        return set(on(host), name).elements().stream().map(e -> e.replace("\"concat\":", "concat").replaceAll("[^0-9a-z.:-]+", " ").trim()).toList();
    }

    private static String triple(String port, String group, String vm, String ip) {
        return String.join(" ", List.of("concat", port, io.qfence.model.DerivedMacs.forVm(group, vm).toString(), ip));
    }

    @Test
    void theDistributedGatewayIsNeverAnsweredAcrossTheTrunk() {
        Realization hv1 = on("hv1");
        assertThat(set(hv1, "gateway_ipv4").elements()).containsExactlyInAnyOrder("\"10.10.0.1\"", "\"10.20.0.1\"");
        assertThat(set(hv1, "gateway_macs").elements()).containsExactlyInAnyOrder(
                "\"" + NetworkRealizer.bridgeMac("web") + "\"", "\"" + NetworkRealizer.bridgeMac("db") + "\"");
        assertThat(chainComments(hv1, "trunk")).containsExactly("qf:trunk:gateway-mac", "qf:trunk:to-gateway", "qf:trunk:ethertype",
                "qf:trunk:arp-gateway", "qf:trunk:mac", "qf:trunk:ipv4", "qf:trunk:arp");
        assertThat(chainComments(hv1, "prerouting")).containsExactly("qf:antispoof", "qf:trunk", "qf:trunk");
    }

    @Test
    void anExceptionWithinAGroupAcrossHostsIsOpenedOnBothEnds() {
        Flow replication = Flow.of(Principal.vm("db-02", "db"), Principal.vm("db-01", "db"), FlowProtocol.TCP,
                Ports.of(List.of(io.qfence.model.PortRange.parse("5432"))), "exception:db:1");
        assertThat(on("hv1").policy().flows()).contains(replication);
        assertThat(on("hv3").policy().flows()).contains(replication);
        assertThat(on("hv2").policy().flows()).doesNotContain(replication);
        assertThat(Reachability.of(on("hv3")).allows(Principal.vm("db-02", "db"), Principal.vm("db-01", "db"), FlowProtocol.TCP, 5432)).isTrue();
    }

    @Test
    void aRoutedExceptionAcrossHostsIsOpenedOnNeitherEndAndBothSayWhy() {
        for (String h : List.of("hv1", "hv3")) {
            Realization r = on(h);
            assertThat(r.policy().flows()).noneMatch(f -> f.origin().equals("exception:web:1"));
            assertThat(r.warnings()).anyMatch(w -> w.toString().contains("cross-host exceptions are not realized"));
        }
    }

    @Test
    void theFleetRelationHoldsEachCrossHostFlowOnce() {
        ReachabilityRelation fleet = InvariantCheck.relationOf(FLEET, Fixtures.TODAY);
        assertThat(fleet.allows(Principal.vm("web-01", "web"), Principal.vm("web-02", "web"), FlowProtocol.TCP, 80)).isTrue();
        assertThat(fleet.allows(Principal.vm("web-02", "web"), Principal.vm("web-01", "web"), FlowProtocol.TCP, 80)).isTrue();
        assertThat(fleet.allows(Principal.vm("web-01", "web"), Principal.vm("db-01", "db"), FlowProtocol.TCP, 5432)).isFalse();
        assertThat(fleet.allows(Principal.vm("db-01", "db"), Principal.vm("db-02", "db"), FlowProtocol.TCP, 5432)).isFalse();
        assertThat(fleet.entries()).filteredOn(e -> e.source().equals(Principal.vm("web-01", "web"))
                && e.destination().equals(Principal.vm("web-02", "web"))).hasSize(1);
    }

    @Test
    void aSingleHostStateRealizesTheSameWithItsVmsPlacedExplicitly() {
        DesiredState small = Fixtures.small();
        DesiredState placed = new DesiredState(small.revision(), small.hosts(), small.groups().stream()
                .map(g -> Fixtures.withVms(g, g.vms().stream().map(v -> v.onHost("hv1")).toList())).toList());
        assertThat(RealizationJson.render(Realizer.realize(placed, "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY)))
                .isEqualTo(RealizationJson.render(Realizer.realize(small, "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY)));
    }

    @Test
    void realizationsOfTheFleetMatchTheGoldenFiles() {
        for (String h : List.of("hv1", "hv2", "hv3")) {
            RealizationJson.assertGolden(RealizationJson.render(on(h)), "fleet-" + h + ".json");
        }
    }

    static List<String> links(Realization r) {
        return r.objects(Link.class).stream().map(Link::name).toList();
    }

    static NftSet set(Realization r, String name) {
        return bridgeTable(r).sets().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    static List<String> chainComments(Realization r, String chain) {
        return bridgeTable(r).chains().stream().filter(c -> c.name().equals(chain)).findFirst().orElseThrow()
                .rules().stream().map(io.qfence.model.host.NftRule::comment).toList();
    }

    static NftTable bridgeTable(Realization r) {
        return r.firewall().tables().stream().filter(t -> t.family().equals("bridge")).findFirst().orElseThrow();
    }
}
