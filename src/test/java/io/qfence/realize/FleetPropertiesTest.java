package io.qfence.realize;

import static io.qfence.realize.Fixtures.allow;
import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static io.qfence.realize.Fixtures.userMode;
import static io.qfence.realize.Fixtures.withUplink;
import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.DerivedMacs;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.Vm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of realization across hosts (DESIGN.md §20), over random fleets of three hosts: groups run by one to
 * three of them, VMs (bridged or user-mode) placed on their group's hosts, and exceptions between random VMs.
 */
class FleetPropertiesTest {

    private static final List<String> HOSTS = List.of("hv1", "hv2", "hv3");

    @Provide
    Arbitrary<DesiredState> fleets() {
        return Arbitraries.longs().map(FleetPropertiesTest::generate);
    }

    static DesiredState generate(long seed) {
        Random rnd = new Random(seed);
        int groups = 1 + rnd.nextInt(3);
        Map<String, List<String>> groupsOfHost = new TreeMap<>();
        HOSTS.forEach(h -> groupsOfHost.put(h, new ArrayList<>()));
        List<String> names = new ArrayList<>();
        List<List<String>> hostsOfGroup = new ArrayList<>();
        List<List<Vm>> vmsOfGroup = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            String name = "g" + g;
            names.add(name);
            List<String> running = new ArrayList<>();
            for (String h : HOSTS) {
                if (rnd.nextInt(2) == 0) {
                    running.add(h);
                }
            }
            if (running.isEmpty()) {
                running.add(HOSTS.get(rnd.nextInt(3)));
            }
            running.forEach(h -> groupsOfHost.get(h).add(name));
            hostsOfGroup.add(running);
            List<Vm> vms = new ArrayList<>();
            int count = 1 + rnd.nextInt(4);
            for (int v = 0; v < count; v++) {
                String vm = name + "-vm" + v;
                Vm base = rnd.nextInt(5) == 0 ? userMode(vm) : bridged(vm, "10." + (g + 1) + ".0." + (10 + v));
                vms.add(base.onHost(running.get(rnd.nextInt(running.size()))));
            }
            vmsOfGroup.add(vms);
        }
        List<String> allVms = vmsOfGroup.stream().flatMap(List::stream).map(Vm::name).toList();
        List<Group> result = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            List<FirewallException> allow = new ArrayList<>();
            int exceptions = rnd.nextInt(4);
            for (int e = 0; e < exceptions; e++) {
                String own = vmsOfGroup.get(g).get(rnd.nextInt(vmsOfGroup.get(g).size())).name();
                String other = rnd.nextInt(4) == 0 ? "group:" + names.get(rnd.nextInt(groups)) : allVms.get(rnd.nextInt(allVms.size()));
                allow.add(rnd.nextBoolean() ? allow(own, other, Protocol.TCP, "22") : allow(other, own, Protocol.TCP, "22"));
            }
            result.add(group(names.get(g), 10 + g, "10." + (g + 1) + ".0.0/24", rnd.nextBoolean() ? Egress.NAT : Egress.NONE,
                    rnd.nextBoolean() ? IntraGroup.ALLOW : IntraGroup.DENY, vmsOfGroup.get(g), allow.toArray(FirewallException[]::new)));
        }
        List<Host> hosts = HOSTS.stream().map(h -> withUplink(host(h, groupsOfHost.get(h)), "eno1")).toList();
        return new DesiredState("0123456789abcdef0123456789abcdef01234567", hosts, result);
    }

    private static Map<String, Realization> realizeAll(DesiredState state) {
        Map<String, Realization> all = new TreeMap<>();
        HOSTS.forEach(h -> all.put(h, Realizer.realize(state, h, Fleets.WITH_VLANS, Fixtures.TODAY)));
        return all;
    }

    @Property(tries = 300)
    void anExceptionBetweenVmsOfTwoHostsIsRealizedOnBothEndsOrOnNeither(@ForAll("fleets") DesiredState state) {
        Map<String, Realization> all = realizeAll(state);
        for (Group g : state.groups()) {
            for (int i = 0; i < g.allow().size(); i++) {
                FirewallException ex = g.allow().get(i);
                if (!(ex.from() instanceof io.qfence.model.desired.Endpoint.VmRef a) || !(ex.to() instanceof io.qfence.model.desired.Endpoint.VmRef b)) {
                    continue;
                }
                DesiredState.PlacedVm pa = state.vm(a.vm()).orElseThrow();
                DesiredState.PlacedVm pb = state.vm(b.vm()).orElseThrow();
                String ha = state.placement(pa.group(), pa.vm()).orElseThrow();
                String hb = state.placement(pb.group(), pb.vm()).orElseThrow();
                String origin = "exception:" + g.name() + ":" + (i + 1);
                boolean onA = all.get(ha).policy().flows().stream().anyMatch(f -> f.origin().equals(origin));
                boolean onB = all.get(hb).policy().flows().stream().anyMatch(f -> f.origin().equals(origin));
                assertThat(onA).as(origin + " on " + ha + " and " + hb).isEqualTo(onB);
                if (!ha.equals(hb) && onA) {
                    // only bridged VMs of one group meet across hosts (on its VLAN)
                    assertThat(pa.group().name()).isEqualTo(pb.group().name());
                }
            }
        }
    }

    @Property(tries = 300)
    void aRemoteVmsAddressIsAcceptedFromTheTrunkOnlyWithItsMacOnItsVlan(@ForAll("fleets") DesiredState state) {
        Map<String, Realization> all = realizeAll(state);
        for (Map.Entry<String, Realization> e : all.entrySet()) {
            Host host = state.host(e.getKey()).orElseThrow();
            List<String> expected = new ArrayList<>();
            for (Group g : state.groupsOf(host)) {
                for (Vm vm : g.vms()) {
                    if (!state.runsOn(g, vm, host.name()) && vm.ip().isPresent() && state.spansHosts(g.name())) {
                        expected.add(String.join(" ", "concat", "qfv-" + g.vlan(), DerivedMacs.forVm(g.name(), vm.name()).toString(),
                                vm.ip().get().toString()));
                    }
                }
            }
            List<String> actual = FleetRealizationTest.bridgeTable(e.getValue()).sets().stream()
                    .filter(s -> s.name().equals("trunk_ipv4")).flatMap(s -> s.elements().stream())
                    .map(x -> x.replace("\"concat\":", "concat").replaceAll("[^0-9a-z.:-]+", " ").trim()).toList();
            assertThat(actual).as(host.name()).containsExactlyInAnyOrderElementsOf(expected);
            boolean spans = state.groupsOf(host).stream().anyMatch(g -> state.spansHosts(g.name()));
            // a host whose groups all run on it alone keeps its single-host tables: no trunk chain at all
            assertThat(FleetRealizationTest.bridgeTable(e.getValue()).chains().stream().anyMatch(c -> c.name().equals("trunk")))
                    .as(host.name() + " has a trunk chain").isEqualTo(spans);
            if (spans) {
                assertThat(FleetRealizationTest.chainComments(e.getValue(), "trunk")).contains("qf:trunk:ipv4", "qf:trunk:arp");
            }
        }
    }

    @Property(tries = 300)
    void theFleetRelationNeverClaimsAFlowThatNoHostOpens(@ForAll("fleets") DesiredState state) {
        Map<String, Realization> all = realizeAll(state);
        ReachabilityRelation fleet = InvariantCheck.relationOf(state, Fixtures.TODAY);
        for (io.qfence.realize.Reach r : fleet.entries()) {
            if (r.source() instanceof Principal.SingleVm s && r.destination() instanceof Principal.SingleVm d) {
                // a pair of VMs is opened by the host of at least one end, and when the ends are on two hosts, by both
                String hs = state.vm(s.name()).flatMap(p -> state.placement(p.group(), p.vm())).orElseThrow();
                String hd = state.vm(d.name()).flatMap(p -> state.placement(p.group(), p.vm())).orElseThrow();
                boolean onS = Reachability.of(all.get(hs)).entries().stream().anyMatch(x -> x.source().equals(s) && x.destination().equals(d));
                boolean onD = Reachability.of(all.get(hd)).entries().stream().anyMatch(x -> x.source().equals(s) && x.destination().equals(d));
                assertThat(onS && onD).as(r + " on " + hs + " and " + hd).isTrue();
            }
        }
    }
}
