package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Diagnostic;
import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Invariant;
import io.qfence.model.desired.InvariantRule;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.Selector;
import io.qfence.model.desired.Traffic;
import io.qfence.model.desired.Vm;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The four kinds of invariant and the six selectors, on {@link Fixtures#small()}: a web tier (NAT egress, a bastion
 * exposed to 192.0.2.0/24 and 198.51.100.0/24, web-01 -> db-01 tcp 5432, group:web -> host udp 53), a microsegmented
 * db tier (db-01 -> db-02 tcp 5432, group:db -> 198.51.100.0/24 tcp 873,8000-8080), and a user-mode tools VM
 * (NAT egress, tools-01 -> group:db tcp 5432, tools-01 -> host tcp 8080).
 */
class InvariantCheckTest {

    private static final Origin AT = new Origin("policies/p.yaml", 7, 7);

    private static DesiredState with(DesiredState s, Invariant... invariants) {
        return new DesiredState(s.revision(), s.hosts(), s.groups(), Arrays.asList(invariants));
    }

    private static Invariant inv(InvariantRule rule) {
        return new Invariant("rule", "because", rule, AT);
    }

    private static InvariantRule.Deny deny(String from, String to, Traffic t) {
        return new InvariantRule.Deny(Selector.parse(from), Selector.parse(to), t);
    }

    private static Traffic tcp(String... ports) {
        return new Traffic(Optional.of(Protocol.TCP), Arrays.stream(ports).map(PortRange::parse).toList());
    }

    private static List<InvariantViolation> evaluate(DesiredState s, InvariantRule rule) {
        return InvariantCheck.evaluate(with(s, inv(rule)), Fixtures.TODAY);
    }

    private static List<String> flows(List<InvariantViolation> v) {
        return v.stream().flatMap(x -> x.breaches().stream()).map(InvariantViolation.Breach::flow).toList();
    }

    @Test
    void aDenyThatNoEntryMatchesHolds() {
        assertThat(evaluate(Fixtures.small(), deny("internet", "group:db", Traffic.ANY))).isEmpty();
    }

    @Test
    void aDenyNamesEachBreachingEntryAndTheExceptionBehindIt() {
        List<InvariantViolation> v = evaluate(Fixtures.small(), deny("group:web", "group:db", Traffic.ANY));
        assertThat(flows(v)).containsExactly("vm:web-01 -> vm:db-01 tcp 5432");
        assertThat(v.get(0).breaches().get(0).causes()).containsExactly(
                new InvariantViolation.Cause("exception 1 of group web (web-01 -> db-01)", new Origin("groups/x.yaml", 20, 3)));
    }

    @Test
    void aDenyOnlyCountsTrafficItNames() {
        DesiredState s = Fixtures.small();
        assertThat(evaluate(s, deny("group:web", "group:db", new Traffic(Optional.of(Protocol.UDP), List.of())))).isEmpty();
        assertThat(evaluate(s, deny("group:web", "group:db", tcp("22")))).isEmpty();
        assertThat(flows(evaluate(s, deny("group:web", "group:db", tcp("5000-6000"))))).containsExactly("vm:web-01 -> vm:db-01 tcp 5432");
        assertThat(evaluate(s, deny("group:web", "host", tcp()))).isEmpty();
        assertThat(flows(evaluate(s, deny("tools-01", "host", tcp("8080"))))).containsExactly("vm:tools-01 -> host tcp 8080");
    }

    @Test
    void theInternetSelectorCoversPrefixesAndOutsideSources() {
        DesiredState s = Fixtures.small();
        assertThat(flows(evaluate(s, deny("group:db", "internet", Traffic.ANY))))
                .containsExactly("vm:db-01 -> 198.51.100.0/24 tcp 873,8000-8080", "vm:db-02 -> 198.51.100.0/24 tcp 873,8000-8080");
        assertThat(flows(evaluate(s, deny("internet", "web-bastion", Traffic.ANY)))).hasSize(2)
                .allMatch(f -> f.startsWith("outside:") && f.endsWith("via host tcp 2201"));
    }

    @Test
    void aCidrSelectorMatchesVmAddressesOverlappingPrefixesAndTheInternetOutsideQfenceNetworks() {
        DesiredState s = Fixtures.small();
        // web-01's address is in 10.10.0.0/24, db-01's in 10.20.0.0/24
        assertThat(flows(evaluate(s, deny("10.10.0.0/24", "10.20.0.0/24", Traffic.ANY)))).containsExactly("vm:web-01 -> vm:db-01 tcp 5432");
        // a prefix that overlaps the block
        assertThat(flows(evaluate(s, deny("10.20.0.0/24", "198.51.100.0/25", Traffic.ANY)))).hasSize(2);
        // NAT egress reaches the internet, and so a block outside every qfence network
        List<InvariantViolation> v = evaluate(s, deny("group:web", "8.8.8.0/24", Traffic.ANY));
        assertThat(flows(v)).containsExactly("vm:web-01 -> internet any", "vm:web-02 -> internet any", "vm:web-bastion -> internet any");
        assertThat(v.get(0).breaches().get(0).causes()).extracting(InvariantViolation.Cause::what).containsExactly("egress of group web");
        // the db tier has no egress, and its one prefix does not overlap 172.16.0.0/12
        assertThat(evaluate(s, deny("group:db", "172.16.0.0/12", Traffic.ANY))).isEmpty();
        // 10.0.0.0/8 holds db-02's own address: db-01 -> db-02 reaches into it
        assertThat(flows(evaluate(s, deny("group:db", "10.0.0.0/8", Traffic.ANY)))).containsExactly("vm:db-01 -> vm:db-02 tcp 5432");
        // outside sources of the exposed bastion
        assertThat(flows(evaluate(s, deny("192.0.2.0/24", "group:web", Traffic.ANY)))).containsExactly(
                "outside:192.0.2.0/24 -> vm:web-bastion tcp 22 via host tcp 2201");
    }

    @Test
    void aLabelSelectorMatchesVmsByTheirOwnLabelsOverTheirGroups() {
        DesiredState s = Fixtures.small();
        Group web = s.group("web").orElseThrow();
        List<Vm> vms = web.vms().stream().map(v -> v.name().equals("web-02") ? labelled(v, Map.of("tier", "frontend")) : v).toList();
        Group labelled = new Group(web.name(), web.vlan(), web.subnet(), web.subnet6(), web.egress(), web.intraGroup(), web.limits(),
                web.bastion(), web.allow(), vms, web.access(), Map.of("tier", "app"), web.origin());
        DesiredState l = new DesiredState(s.revision(), s.hosts(),
                s.groups().stream().map(g -> g.name().equals("web") ? labelled : g).toList());
        assertThat(flows(evaluate(l, deny("label:tier=app", "host", Traffic.ANY))))
                .containsExactly("vm:web-01 -> host udp 53", "vm:web-bastion -> host udp 53");
        assertThat(flows(evaluate(l, deny("label:tier=frontend", "host", Traffic.ANY)))).containsExactly("vm:web-02 -> host udp 53");
        assertThat(evaluate(l, deny("label:tier=none", "host", Traffic.ANY))).isEmpty();
    }

    private static Vm labelled(Vm v, Map<String, String> labels) {
        return new Vm(v.name(), v.cpus(), v.memory(), v.boot(), v.mac(), v.ip(), v.network(), v.state(), v.limits(), v.stopTimeout(),
                v.cloudInit(), labels, v.origin());
    }

    @Test
    void onlyRefusesOtherSourcesAndOtherTrafficButNotTheSelectorsOwnMembers() {
        DesiredState s = Fixtures.small();
        // db-01 -> db-02 stays inside group:db and does not count
        assertThat(flows(evaluate(s, new InvariantRule.Only(Selector.parse("group:db"), List.of(Selector.parse("group:web")), tcp("5432")))))
                .containsExactly("vm:tools-01 -> vm:db-01 tcp 5432", "vm:tools-01 -> vm:db-02 tcp 5432");
        assertThat(evaluate(s, new InvariantRule.Only(Selector.parse("group:db"),
                List.of(Selector.parse("group:web"), Selector.parse("tools-01")), tcp("5432")))).isEmpty();
        assertThat(evaluate(s, new InvariantRule.Only(Selector.parse("group:db"),
                List.of(Selector.parse("group:web"), Selector.parse("tools-01")), tcp("22")))).hasSize(1)
                .allSatisfy(v -> assertThat(v.breaches()).hasSize(3));
    }

    @Test
    void requireNamesTheMissingTrafficPerPair() {
        DesiredState s = Fixtures.small();
        assertThat(evaluate(s, new InvariantRule.Require(Selector.parse("web-01"), Selector.parse("db-01"), tcp("5432")))).isEmpty();
        assertThat(evaluate(s, new InvariantRule.Require(Selector.parse("group:web"), Selector.parse("host"),
                new Traffic(Optional.of(Protocol.UDP), List.of(PortRange.single(53)))))).isEmpty();
        assertThat(evaluate(s, new InvariantRule.Require(Selector.parse("tools-01"), Selector.parse("internet"), tcp("443")))).isEmpty();
        List<InvariantViolation> v = evaluate(s, new InvariantRule.Require(Selector.parse("group:web"), Selector.parse("db-01"), tcp("5432-5433")));
        assertThat(flows(v)).containsExactly("vm:web-01 -> vm:db-01 tcp 5433 missing", "vm:web-02 -> vm:db-01 tcp 5432-5433 missing",
                "vm:web-bastion -> vm:db-01 tcp 5432-5433 missing");
        assertThat(v.get(0).breaches()).allSatisfy(b -> assertThat(b.causes()).isEmpty());
        assertThat(flows(evaluate(s, new InvariantRule.Require(Selector.parse("web-01"), Selector.parse("db-01"),
                new Traffic(Optional.of(Protocol.ICMP), List.of()))))).containsExactly("vm:web-01 -> vm:db-01 icmp missing");
    }

    @Test
    void limitCountsEntriesFromOutsideTheDestinationsGroup() {
        DesiredState s = Fixtures.small();
        // web-01 -> db-01, tools-01 -> db-01, tools-01 -> db-02; db-01 -> db-02 is inside the group
        assertThat(evaluate(s, new InvariantRule.Limit(Selector.parse("group:db"), 3))).isEmpty();
        assertThat(flows(evaluate(s, new InvariantRule.Limit(Selector.parse("group:db"), 2)))).containsExactly(
                "vm:tools-01 -> vm:db-01 tcp 5432", "vm:tools-01 -> vm:db-02 tcp 5432", "vm:web-01 -> vm:db-01 tcp 5432");
    }

    @Test
    void diagnosticsPointAtEachCauseAndAtTheInvariant() {
        DesiredState s = with(Fixtures.small(), new Invariant("web-not-db", "tiers", deny("group:web", "group:db", Traffic.ANY), AT));
        List<Diagnostic> d = InvariantCheck.diagnostics(InvariantCheck.evaluate(s, Fixtures.TODAY));
        assertThat(d).extracting(Diagnostic::toString).containsExactly(
                "groups/x.yaml:20:3: exception 1 of group web (web-01 -> db-01) breaks invariant web-not-db (policies/p.yaml:7): "
                        + "vm:web-01 -> vm:db-01 tcp 5432",
                "policies/p.yaml:7:7: invariant web-not-db (deny from group:web to group:db any) is violated: vm:web-01 -> vm:db-01 tcp 5432 "
                        + "(allowed by exception 1 of group web (web-01 -> db-01) at groups/x.yaml:20:3)");
    }

    @Test
    void aStateWithoutInvariantsIsNotEvenRealized() {
        // an unknown host would make realization throw; without invariants nothing is evaluated
        DesiredState s = new DesiredState("r", List.of(Fixtures.host("hv1", List.of("missing"))), List.of());
        assertThat(InvariantCheck.evaluate(s, Fixtures.TODAY)).isEmpty();
    }

    @Test
    void coveringNamesTheInvariantsThatSpeakAboutAnEntry() {
        DesiredState s = with(Fixtures.small(), new Invariant("a", "r", deny("group:web", "group:db", tcp("5432")), AT),
                new Invariant("b", "r", deny("group:web", "group:db", tcp("22")), new Origin("policies/p.yaml", 9, 7)),
                new Invariant("c", "r", new InvariantRule.Limit(Selector.parse("db-01"), 9), new Origin("policies/p.yaml", 11, 7)));
        ReachabilityRelation relation = InvariantCheck.relationOf(s, Fixtures.TODAY);
        Reach entry = relation.entries().stream().filter(e -> e.toString().equals("vm:web-01 -> vm:db-01 tcp 5432")).findFirst().orElseThrow();
        assertThat(InvariantCheck.covering(s, relation, entry)).extracting(Invariant::name).containsExactly("a", "c");
    }
}
