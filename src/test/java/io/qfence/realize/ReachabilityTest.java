package io.qfence.realize;

import static io.qfence.realize.Fixtures.allow;
import static io.qfence.realize.Fixtures.allowUntil;
import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static io.qfence.realize.FlowProtocol.ICMP;
import static io.qfence.realize.FlowProtocol.TCP;
import static io.qfence.realize.FlowProtocol.UDP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Protocol;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reachability relation, read as the isolation promises it makes. */
class ReachabilityTest {

    static final ReachabilityRelation SMALL = Reachability.of(Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));
    static final ReachabilityRelation RICH = Reachability.of(Realizer.realize(Scenarios.rich(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));

    static Principal vm(String name) {
        String group = name.startsWith("web") ? "web" : name.startsWith("db") ? "db" : name.startsWith("tools") ? "tools"
                : name.startsWith("fe") ? "front" : "back";
        return Principal.vm(name, group);
    }

    @Test
    void vmsOfAGroupWithIntraGroupAllowReachEachOtherOnEveryProtocol() {
        assertThat(SMALL.allows(vm("web-01"), vm("web-02"), TCP, 8080)).isTrue();
        assertThat(SMALL.allows(vm("web-02"), vm("web-01"), UDP, 53)).isTrue();
        assertThat(SMALL.allows(vm("web-bastion"), vm("web-01"), ICMP, 0)).isTrue();
    }

    @Test
    void vmsOfAGroupWithIntraGroupDenyReachEachOtherOnlyByExceptionAndOnlyOneWay() {
        assertThat(SMALL.allows(vm("db-01"), vm("db-02"), TCP, 5432)).isTrue();
        assertThat(SMALL.allows(vm("db-01"), vm("db-02"), TCP, 22)).isFalse();
        assertThat(SMALL.allows(vm("db-02"), vm("db-01"), TCP, 5432)).as("replies are implied, the reverse direction is not").isFalse();
    }

    @Test
    void groupsAreIsolatedFromEachOtherByDefault() {
        assertThat(SMALL.allows(vm("web-02"), vm("db-01"), TCP, 5432)).isFalse();
        assertThat(SMALL.allows(vm("db-01"), vm("web-01"), ICMP, 0)).isFalse();
        assertThat(SMALL.allows(vm("web-01"), vm("db-02"), TCP, 5432)).isFalse();
    }

    @Test
    void aVmExceptionOpensExactlyItsPortsToExactlyItsVm() {
        assertThat(SMALL.allows(vm("web-01"), vm("db-01"), TCP, 5432)).isTrue();
        assertThat(SMALL.allows(vm("web-01"), vm("db-01"), TCP, 5433)).isFalse();
        assertThat(SMALL.allows(vm("web-01"), vm("db-01"), UDP, 5432)).isFalse();
    }

    @Test
    void aGroupExceptionReachesEveryBridgedVmOfTheGroup() {
        assertThat(SMALL.allows(vm("tools-01"), vm("db-01"), TCP, 5432)).isTrue();
        assertThat(SMALL.allows(vm("tools-01"), vm("db-02"), TCP, 5432)).isTrue();
        assertThat(RICH.allows(vm("fe-2"), vm("be-1"), ICMP, 0)).as("group:front -> group:back icmp").isTrue();
        assertThat(RICH.allows(vm("fe-2"), vm("be-1"), TCP, 80)).isFalse();
    }

    @Test
    void aPrefixExceptionReachesAddressesInsideThePrefixOnly() {
        assertThat(SMALL.allows(vm("db-01"), Principal.address("198.51.100.7"), TCP, 873)).isTrue();
        assertThat(SMALL.allows(vm("db-02"), Principal.address("198.51.100.7"), TCP, 8080)).isTrue();
        assertThat(SMALL.allows(vm("db-01"), Principal.address("198.51.100.7"), TCP, 22)).isFalse();
        assertThat(SMALL.allows(vm("db-01"), Principal.address("198.51.101.7"), TCP, 873)).isFalse();
        assertThat(RICH.allows(Principal.address("192.0.2.9"), vm("be-1"), TCP, 443)).as("prefix as a source").isTrue();
        assertThat(RICH.allows(Principal.address("192.0.3.9"), vm("be-1"), TCP, 443)).isFalse();
    }

    @Test
    void aHostExceptionOpensOnlyItsPortsOnTheHost() {
        assertThat(SMALL.allows(vm("web-02"), Principal.HOST, UDP, 53)).isTrue();
        assertThat(SMALL.allows(vm("web-02"), Principal.HOST, TCP, 22)).isFalse();
        assertThat(SMALL.allows(vm("db-01"), Principal.HOST, UDP, 53)).isFalse();
    }

    @Test
    void anInternetExceptionReachesAnyAddressOutsideTheQfenceNetworks() {
        assertThat(RICH.allows(vm("fe-1"), Principal.INTERNET, TCP, 443)).isTrue();
        assertThat(RICH.allows(vm("fe-1"), Principal.address("8.8.8.8"), TCP, 443)).isTrue();
        assertThat(RICH.allows(vm("fe-1"), Principal.address("8.8.8.8"), TCP, 80)).isFalse();
        assertThat(RICH.allows(vm("fe-2"), Principal.address("8.8.8.8"), TCP, 443)).isFalse();
        assertThat(RICH.allows(vm("fe-1"), Principal.address("10.12.0.31"), TCP, 443))
                .as("a qfence address is never 'internet'").isFalse();
        assertThat(RICH.allows(Principal.INTERNET, vm("be-1"), TCP, 80)).as("internet as a source").isTrue();
        assertThat(RICH.allows(Principal.address("203.0.113.50"), vm("be-1"), TCP, 80)).isTrue();
    }

    @Test
    void anExpiredExceptionIsIgnored() {
        Group g = group("solo", 40, "10.40.0.0/24", Egress.NONE, IntraGroup.DENY, List.of(bridged("solo-1", "10.40.0.11")),
                allowUntil(LocalDate.of(2026, 2, 28), "solo-1", "internet", Protocol.TCP, "443"));
        DesiredState state = Fixtures.state(host("hv1", List.of("solo")), g);
        ReachabilityRelation lastDay = Reachability.of(Realizer.realize(state, "hv1", Fixtures.THIS_MACHINE, LocalDate.of(2026, 2, 28)));
        ReachabilityRelation dayAfter = Reachability.of(Realizer.realize(state, "hv1", Fixtures.THIS_MACHINE, LocalDate.of(2026, 3, 1)));
        assertThat(lastDay.allows(Principal.vm("solo-1", "solo"), Principal.INTERNET, TCP, 443)).isTrue();
        assertThat(dayAfter.allows(Principal.vm("solo-1", "solo"), Principal.INTERNET, TCP, 443)).isFalse();
        assertThat(dayAfter.entries()).isEmpty();
    }

    @Test
    void anExposedBastionIsReachableFromItsSourcePrefixesOnlyAndOnlyOnItsPort() {
        Principal bastion = vm("web-bastion");
        assertThat(SMALL.allows(Principal.outside("192.0.2.7/32"), bastion, TCP, 22)).isTrue();
        assertThat(SMALL.allows(Principal.outside("198.51.100.0/25"), bastion, TCP, 22)).isTrue();
        assertThat(SMALL.allows(Principal.outside("203.0.113.9/32"), bastion, TCP, 22)).isFalse();
        assertThat(SMALL.allows(Principal.outside("192.0.2.7/32"), bastion, TCP, 23)).isFalse();
        assertThat(SMALL.allows(Principal.outside("192.0.2.7/32"), vm("web-01"), TCP, 22)).isFalse();
        assertThat(SMALL.entries()).filteredOn(e -> e.source() instanceof Principal.Outside)
                .allSatisfy(e -> assertThat(e.viaHostPort()).hasValue(2201));
    }

    @Test
    void aBastionWithSshToGroupReachesPort22OfItsGroupsVmsEvenWithIntraGroupDenyAndNothingMore() {
        Group g = group("solo", 40, "10.40.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("solo-b", "10.40.0.10"), bridged("solo-1", "10.40.0.11")));
        Realization without = Realizer.realize(Fixtures.state(host("hv1", List.of("solo")), Fixtures.withBastion(g, "solo-b", null)),
                "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);
        Realization with = Realizer.realize(Fixtures.state(host("hv1", List.of("solo")), Fixtures.withSshBastion(g, "solo-b")),
                "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);
        Principal bastion = Principal.vm("solo-b", "solo");
        Principal app = Principal.vm("solo-1", "solo");

        assertThat(Reachability.of(without).allows(bastion, app, TCP, 22)).isFalse();
        ReachabilityRelation sshOnly = Reachability.of(with);
        assertThat(sshOnly.allows(bastion, app, TCP, 22)).isTrue();
        assertThat(sshOnly.allows(bastion, app, TCP, 23)).isFalse();
        assertThat(sshOnly.allows(bastion, app, UDP, 22)).isFalse();
        assertThat(sshOnly.allows(app, bastion, TCP, 22)).as("the way in is one way").isFalse();
        assertThat(with.policy().flows()).extracting(Flow::origin).containsExactly("bastion:solo");
    }

    @Test
    void egressNatOpensTheInternetAndEgressNoneDoesNot() {
        assertThat(SMALL.allows(vm("web-01"), Principal.INTERNET, UDP, 123)).isTrue();
        assertThat(SMALL.allows(vm("web-01"), Principal.address("1.1.1.1"), TCP, 443)).isTrue();
        assertThat(SMALL.allows(vm("db-01"), Principal.INTERNET, TCP, 443)).isFalse();
        assertThat(SMALL.allows(vm("db-01"), Principal.address("1.1.1.1"), TCP, 443)).isFalse();
    }

    @Test
    void userModeVmsReachNeitherTheHostNorItsLoopbackUnlessAnExceptionSaysSo() {
        assertThat(SMALL.allows(vm("tools-01"), Principal.HOST, TCP, 22)).isFalse();
        assertThat(SMALL.allows(vm("tools-01"), Principal.HOST, TCP, 8080)).isTrue();
        assertThat(SMALL.allows(vm("tools-01"), Principal.INTERNET, TCP, 443)).as("egress nat").isTrue();
        assertThat(SMALL.allows(vm("tools-01"), vm("web-01"), TCP, 80)).isFalse();
        assertThat(SMALL.allows(vm("web-01"), vm("tools-01"), TCP, 22)).as("slirp accepts no inbound connections").isFalse();
    }

    @Test
    void theListingIsSortedAndReadsAsAReviewableText() {
        assertThat(SMALL.entries()).isSorted();
        assertThat(SMALL.listing()).contains(
                "vm:web-01 -> vm:db-01 tcp 5432",
                "vm:db-01 -> 198.51.100.0/24 tcp 873,8000-8080",
                "vm:tools-01 -> host tcp 8080",
                "outside:192.0.2.0/24 -> vm:web-bastion tcp 22 via host tcp 2201");
        assertThat(SMALL.listing()).noneMatch(l -> l.contains("group:"));
    }

    @Test
    void equivalentPoliciesWrittenDifferentlyHaveEqualRelations() {
        Group byGroup = group("a", 50, "10.50.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("a-1", "10.50.0.11")), allow("a-1", "group:b", Protocol.TCP, "22", "23"));
        Group byVm = group("a", 50, "10.50.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("a-1", "10.50.0.11")), allow("a-1", "b-1", Protocol.TCP, "23"), allow("a-1", "b-1", Protocol.TCP, "22"));
        Group b = group("b", 51, "10.51.0.0/24", Egress.NONE, IntraGroup.DENY, List.of(bridged("b-1", "10.51.0.11")));
        ReachabilityRelation one = Reachability.of(Realizer.realize(Fixtures.state(host("hv1", List.of("a", "b")), byGroup, b), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));
        ReachabilityRelation two = Reachability.of(Realizer.realize(Fixtures.state(host("hv1", List.of("a", "b")), byVm, b), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));
        assertThat(one).isEqualTo(two);
        assertThat(one.listing()).containsExactly("vm:a-1 -> vm:b-1 tcp 22-23");
    }

    @Test
    void minusShowsWhatARevisionWidensAndWhatItNarrows() {
        Group before = group("a", 50, "10.50.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("a-1", "10.50.0.11")), allow("a-1", "b-1", Protocol.TCP, "22-25"));
        Group after = group("a", 50, "10.50.0.0/24", Egress.NAT, IntraGroup.DENY,
                List.of(bridged("a-1", "10.50.0.11")), allow("a-1", "b-1", Protocol.TCP, "24-30"));
        Group b = group("b", 51, "10.51.0.0/24", Egress.NONE, IntraGroup.DENY, List.of(bridged("b-1", "10.51.0.11")));
        ReachabilityRelation previous = Reachability.of(Realizer.realize(Fixtures.state(host("hv1", List.of("a", "b")), before, b), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));
        ReachabilityRelation next = Reachability.of(Realizer.realize(Fixtures.state(host("hv1", List.of("a", "b")), after, b), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));
        assertThat(next.minus(previous)).map(Reach::toString).containsExactly("vm:a-1 -> vm:b-1 tcp 26-30", "vm:a-1 -> internet any");
        assertThat(previous.minus(next)).map(Reach::toString).containsExactly("vm:a-1 -> vm:b-1 tcp 22-23");
        assertThat(next.minus(next)).isEmpty();
    }

    @Test
    void queriesNameAConcreteProtocol() {
        assertThatThrownBy(() -> SMALL.allows(vm("web-01"), vm("web-02"), FlowProtocol.ANY, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ask about a concrete protocol: tcp, udp or icmp");
    }
}
