package io.qfence.realize;

import static io.qfence.realize.Fixtures.allow;
import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static io.qfence.realize.Fixtures.userMode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import io.qfence.model.ByteSize;
import io.qfence.model.Diagnostic;
import io.qfence.model.host.Capability;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.Sysctl;
import io.qfence.model.desired.Confinement;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Protocol;
import io.qfence.model.errors.InvalidInputException;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Realization of links, host settings, capabilities and the errors that make a desired state impossible. */
class RealizerTest {

    static Realization realize(DesiredState s, HostFacts facts) {
        return Realizer.realize(s, "hv1", facts, Fixtures.TODAY);
    }

    static HostFacts with(Capability... extra) {
        EnumSet<Capability> caps = EnumSet.copyOf(Fixtures.THIS_MACHINE.capabilities());
        caps.addAll(List.of(extra));
        return new HostFacts(CgroupVersion.V1, caps);
    }

    static HostFacts without(Capability missing) {
        EnumSet<Capability> caps = EnumSet.copyOf(HostFacts.TYPICAL.capabilities());
        caps.remove(missing);
        return new HostFacts(CgroupVersion.V2, caps);
    }

    static DesiredState pureLayer2() {
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.ALLOW,
                List.of(bridged("lan-1", "10.60.0.1"), bridged("lan-2", "10.60.0.2")));
        return Fixtures.state(host("hv1", List.of("lan")), g);
    }

    @Test
    void aRealizationIsPureTheSameInputGivesAnEqualOutput() {
        assertThat(realize(Fixtures.small(), Fixtures.THIS_MACHINE)).isEqualTo(realize(Fixtures.small(), Fixtures.THIS_MACHINE));
    }

    @Test
    void objectsAreSortedByAddressAndEveryOwnedNameCarriesTheQfencePrefix() {
        Realization r = realize(Fixtures.small(), Fixtures.THIS_MACHINE);
        assertThat(r.objects()).extracting(o -> o.address()).isSorted().doesNotHaveDuplicates();
        assertThat(r.objects(Link.class)).allSatisfy(l -> assertThat(l.name()).startsWith("qf"));
        assertThat(r.firewall().tables()).allSatisfy(t -> assertThat(t.name()).isEqualTo("qfence"));
    }

    @Test
    void aGroupGetsABridgeAndEachBridgedVmATapOwnedByItsUid() {
        Realization r = realize(Fixtures.small(), Fixtures.THIS_MACHINE);
        Link bridge = (Link) r.object("group.web/bridge").orElseThrow();
        assertThat(bridge.kind()).isEqualTo(LinkKind.BRIDGE);
        assertThat(bridge.name()).isEqualTo("qfb-web");
        assertThat(bridge.addresses()).containsExactly("10.10.0.1/24", "fd00:10::1/64");
        Link tap = (Link) r.object("group.web/vm.web-01/tap").orElseThrow();
        long uid = r.policy().vm("web-01").orElseThrow().uid();
        assertThat(tap.name()).isEqualTo("qft-web-01");
        assertThat(tap.master()).hasValue("qfb-web");
        assertThat(tap.ownerUid()).hasValue(uid);
        assertThat(tap.ownerGid()).hasValue(uid);
        assertThat(tap.mac()).hasValueSatisfying(m -> assertThat(m.toString()).startsWith("fe:"));
        assertThat(r.object("group.tools/vm.tools-01/tap")).as("user-mode VMs have no tap").isEmpty();
    }

    @Test
    void aPurelyLayer2GroupHasNoHostPresenceAndNeedsNoForwarding() {
        Realization r = realize(pureLayer2(), Fixtures.THIS_MACHINE);
        assertThat(((Link) r.object("group.lan/bridge").orElseThrow()).addresses()).isEmpty();
        assertThat(r.objects(Sysctl.class)).extracting(Sysctl::key)
                .containsExactly("net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-iptables");
    }

    @Test
    void aRoutedGroupsGatewayAddressCannotAlsoBeAVmAddress() {
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NAT, IntraGroup.ALLOW, List.of(bridged("lan-1", "10.60.0.1")));
        assertThatThrownBy(() -> realize(Fixtures.state(host("hv1", List.of("lan")), g), Fixtures.THIS_MACHINE))
                .isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).contains("vm lan-1 uses 10.60.0.1, the gateway address of group lan's bridge");
    }

    @Test
    void forwardingIsClaimedOnlyWhenSomeFlowCrossesTheForwardPath() {
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.DENY, List.of(bridged("lan-1", "10.60.0.11")),
                allow("lan-1", "host", Protocol.TCP, "22"));
        Realization r = realize(Fixtures.state(host("hv1", List.of("lan")), g), Fixtures.THIS_MACHINE);
        assertThat(((Link) r.object("group.lan/bridge").orElseThrow()).addresses()).containsExactly("10.60.0.1/24");
        assertThat(r.object("host/sysctl/net.ipv4.ip_forward")).isEmpty();
        assertThat(realize(Fixtures.small(), Fixtures.THIS_MACHINE).object("host/sysctl/net.ipv4.ip_forward")).isPresent();
    }

    @Test
    void tapsAreIsolatedBridgePortsWhenIntraGroupTrafficIsDeniedWithoutException() {
        Group deny = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("lan-1", "10.60.0.11"), bridged("lan-2", "10.60.0.12")));
        Realization r = realize(Fixtures.state(host("hv1", List.of("lan")), deny), Fixtures.THIS_MACHINE);
        assertThat(r.objects(Link.class)).filteredOn(l -> l.kind() == LinkKind.TAP)
                .allSatisfy(l -> assertThat(l.portFlags()).hasValueSatisfying(p -> assertThat(p.isolated()).isTrue()));
        Realization small = realize(Fixtures.small(), Fixtures.THIS_MACHINE);
        assertThat(((Link) small.object("group.db/vm.db-01/tap").orElseThrow()).portFlags().orElseThrow().isolated())
                .as("db has an intra-group exception").isFalse();
    }

    @Test
    void withAnUplinkEachGroupGetsAVlanSubInterfaceOnItsBridge() {
        DesiredState s = Fixtures.state(Fixtures.withUplink(host("hv1", List.of("web", "db", "tools")), "eth1"),
                Fixtures.small().groups().toArray(Group[]::new));
        Realization r = realize(s, HostFacts.TYPICAL);
        Link vlan = (Link) r.object("group.web/uplink-vlan").orElseThrow();
        assertThat(vlan.kind()).isEqualTo(LinkKind.VLAN);
        assertThat(vlan.name()).isEqualTo("qfv-10");
        assertThat(vlan.vlanId()).hasValue(10);
        assertThat(vlan.vlanParent()).hasValue("eth1");
        assertThat(vlan.master()).hasValue("qfb-web");
    }

    @Test
    void anUplinkWithout8021qIsRefusedNamingTheKernelOption() {
        DesiredState s = Fixtures.state(Fixtures.withUplink(host("hv1", List.of("web", "db", "tools")), "eth1"),
                Fixtures.small().groups().toArray(Group[]::new));
        assertThatThrownBy(() -> realize(s, Fixtures.THIS_MACHINE)).isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).isEqualTo("hosts/hv1.yaml:1:3: host hv1: uplink eth1 carries the groups' VLANs, but the kernel has no 802.1Q support (enable CONFIG_VLAN_8021Q)");
    }

    @Test
    void appArmorRequiredButUnavailableIsRefused() {
        DesiredState s = Fixtures.state(Fixtures.withAppArmor(host("hv1", List.of("web", "db", "tools")), Confinement.AppArmor.REQUIRED),
                Fixtures.small().groups().toArray(Group[]::new));
        assertThatThrownBy(() -> realize(s, Fixtures.THIS_MACHINE)).isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).contains("confinement.apparmor is required, but AppArmor is not available on this host");
        Realization r = realize(s, with(Capability.APPARMOR));
        assertThat(r.objects(io.qfence.model.host.Guest.class)).allSatisfy(g -> assertThat(g.config()).containsEntry("apparmor", "enforce"));
    }

    @Test
    void appArmorPreferredButUnavailableIsAWarning() {
        Realization r = realize(Fixtures.small(), Fixtures.THIS_MACHINE);
        assertThat(r.warnings()).map(Diagnostic::toString)
                .contains("hosts/hv1.yaml:1:3: warning: host hv1: AppArmor is preferred but not available on this host; guests run confined by seccomp and their own uid only");
        assertThat(r.objects(io.qfence.model.host.Guest.class)).allSatisfy(g -> assertThat(g.config()).containsEntry("apparmor", "off"));
        assertThat(realize(Fixtures.small(), with(Capability.APPARMOR)).warnings()).map(Diagnostic::message).noneMatch(m -> m.contains("AppArmor"));
    }

    @Test
    void theGuestJailIsRequiredByDefaultAndRefusedWhereTheKernelLacksItsNamespaces() {
        assertThat(realize(Fixtures.small(), Fixtures.THIS_MACHINE).objects(io.qfence.model.host.Guest.class))
                .allSatisfy(g -> assertThat(g.config()).containsEntry("namespaces", "jail"));
        assertThatThrownBy(() -> realize(Fixtures.small(), without(Capability.NAMESPACES))).isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).asString().contains("hosts/hv1.yaml:1:3: host hv1: confinement.namespaces is required, but the kernel cannot jail guests");
    }

    @Test
    void aPreferredJailWithoutNamespacesIsAWarningAndOffMeansNoJail() {
        DesiredState preferred = Fixtures.state(withNamespaces(host("hv1", List.of("web", "db", "tools")), Confinement.Namespaces.PREFERRED),
                Fixtures.small().groups().toArray(Group[]::new));
        Realization r = realize(preferred, without(Capability.NAMESPACES));
        assertThat(r.warnings()).map(Diagnostic::message).anyMatch(m -> m.contains("the guest jail is preferred but the kernel lacks its namespaces"));
        assertThat(r.objects(io.qfence.model.host.Guest.class)).allSatisfy(g -> assertThat(g.config()).containsEntry("namespaces", "off"));
        DesiredState off = Fixtures.state(withNamespaces(host("hv1", List.of("web", "db", "tools")), Confinement.Namespaces.OFF),
                Fixtures.small().groups().toArray(Group[]::new));
        assertThat(realize(off, Fixtures.THIS_MACHINE).objects(io.qfence.model.host.Guest.class))
                .allSatisfy(g -> assertThat(g.config()).containsEntry("namespaces", "off"));
    }

    private static Host withNamespaces(Host h, Confinement.Namespaces n) {
        return new Host(h.name(), h.groups(), h.uplink(), h.imagesRoot(), h.runDir(), h.stateDir(), h.cgroupParent(),
                h.vmUidRange(), h.qemu(), new Confinement(h.confinement().apparmor(), Confinement.Seccomp.ON, n), h.origin());
    }

    @Test
    void bridgedVmsWithoutBridgeNetfilterAreRefusedBecauseIntraGroupPolicyWouldBeBypassed() {
        assertThatThrownBy(() -> realize(Fixtures.small(), without(Capability.BR_NETFILTER)))
                .isInstanceOf(InvalidInputException.class).extracting(RealizerTest::errors, STRING).contains("CONFIG_BRIDGE_NETFILTER");
    }

    @Test
    void aKernelWithoutWhatTheApplyWouldNeedIsRefusedWhenPlanningBeforeAnyChange() {
        for (Capability missing : List.of(Capability.TUN, Capability.BRIDGE, Capability.NFT_BRIDGE, Capability.NFT_INET, Capability.SECCOMP)) {
            assertThatThrownBy(() -> realize(Fixtures.small(), without(missing))).as("without %s", missing)
                    .isInstanceOf(InvalidInputException.class).extracting(RealizerTest::errors, STRING).contains("(enable " + missing.requirement() + ")");
        }
    }

    @Test
    void anExpiredExceptionIsIgnoredAndLeftToTheLoaderToWarnAbout() {
        Realization r = realize(Fixtures.small(), Fixtures.THIS_MACHINE);
        assertThat(r.policy().flows()).noneMatch(f -> f.origin().equals("exception:web:3"));
        assertThat(r.warnings()).map(Diagnostic::message).noneMatch(m -> m.contains("expired"));
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        Host h = Fixtures.withAppArmor(Fixtures.withUplink(host("hv1", List.of("web", "db", "tools", "nope")), "eth1"), Confinement.AppArmor.REQUIRED);
        DesiredState s = Fixtures.state(h, Fixtures.small().groups().toArray(Group[]::new));
        assertThatThrownBy(() -> realize(s, Fixtures.THIS_MACHINE)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.diagnostics()).map(Diagnostic::message).hasSize(3).anyMatch(m -> m.contains("AppArmor"))
                        .anyMatch(m -> m.contains("CONFIG_VLAN_8021Q")).anyMatch(m -> m.contains("group nope, which is not defined")));
    }

    @Test
    void anUnknownHostIsAnError() {
        assertThatThrownBy(() -> Realizer.realize(Fixtures.small(), "hv9", Fixtures.THIS_MACHINE, Fixtures.TODAY))
                .isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).isEqualTo("hosts/: no host named 'hv9' in the desired state at 0123456789abcdef0123456789abcdef01234567");
    }

    @Test
    void aUidRangeSmallerThanTheHostsVmsIsAnError() {
        DesiredState s = Fixtures.state(Fixtures.withUidRange(host("hv1", List.of("web", "db", "tools")), 5000, 5004),
                Fixtures.small().groups().toArray(Group[]::new));
        assertThatThrownBy(() -> realize(s, Fixtures.THIS_MACHINE)).isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).contains("vmUidRange 5000..5004 holds 5 uids, but the host runs 6 VMs");
    }

    @Test
    void contradictionsValidationShouldHaveCaughtAreStillRefused() {
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.ALLOW,
                List.of(bridged("lan-1", "10.60.0.11"), bridged("lan-2", "10.60.0.11"), bridged("lan-3", "10.61.0.5")));
        assertThatThrownBy(() -> realize(Fixtures.state(host("hv1", List.of("lan")), g), Fixtures.THIS_MACHINE))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.diagnostics()).map(Diagnostic::message).containsExactlyInAnyOrder(
                        "vm lan-2: ip 10.60.0.11 is already used by vm lan-1",
                        "vm lan-3: ip 10.61.0.5 is not a host address of its group's subnet 10.60.0.0/24"));
    }

    @Test
    void aUserModeVmCannotBeAnExposedBastion() {
        Group g = Fixtures.withBastion(group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.ALLOW, List.of(userMode("lan-u"))),
                "lan-u", Fixtures.expose(2222, 22, "192.0.2.0/24"));
        assertThatThrownBy(() -> realize(Fixtures.state(host("hv1", List.of("lan")), g), Fixtures.THIS_MACHINE))
                .isInstanceOf(InvalidInputException.class)
                .extracting(RealizerTest::errors, STRING).contains("bastion lan-u uses user-mode networking and cannot be exposed");
    }

    @Test
    void exceptionsThatCannotMeanAnythingAreWarningsNotFlows() {
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.ALLOW, List.of(bridged("lan-1", "10.60.0.11"), userMode("lan-u")),
                allow("lan-1", "lan-u", Protocol.TCP, "22"),
                allow("internet", "host", Protocol.TCP, "22"),
                allow("lan-1", "lan-1", Protocol.TCP, "22"));
        Realization r = realize(Fixtures.state(host("hv1", List.of("lan")), g), Fixtures.THIS_MACHINE);
        assertThat(r.warnings()).map(Diagnostic::message).contains(
                "exception 1 of group lan (lan-1 -> lan-u): vm lan-u uses user-mode networking and accepts no inbound connections; ignored",
                "exception 2 of group lan (internet -> host): qfence filters only traffic from and to its guests, so an exception from internet to host has no effect; ignored",
                "exception 3 of group lan (lan-1 -> lan-1): a VM always reaches itself; ignored");
        assertThat(r.policy().flows()).noneMatch(f -> f.origin().startsWith("exception:"));
    }

    @Test
    void exceptionsAcrossHostsAreNotRealizedAndSaySo() {
        Group here = group("here", 70, "10.70.0.0/24", Egress.NONE, IntraGroup.ALLOW, List.of(bridged("here-1", "10.70.0.11")),
                allow("here-1", "there-1", Protocol.TCP, "22"));
        Group there = group("there", 71, "10.71.0.0/24", Egress.NONE, IntraGroup.ALLOW, List.of(bridged("there-1", "10.71.0.11")),
                allow("there-1", "group:here", Protocol.TCP, "80"));
        DesiredState s = new DesiredState("rev", List.of(host("hv1", List.of("here")), host("hv2", List.of("there"))), List.of(here, there));
        Realization r = realize(s, Fixtures.THIS_MACHINE);
        assertThat(r.warnings()).map(Diagnostic::message).contains(
                "exception 1 of group here (here-1 -> there-1): vm there-1 does not run on this host; cross-host exceptions are not realized",
                "exception 1 of group there (there-1 -> group:here) names a VM or group of this host from another host; cross-host exceptions are not realized");
        assertThat(r.policy().qfenceNetworks()).map(Object::toString).containsExactly("10.70.0.0/24", "10.71.0.0/24");
    }

    @Test
    void anExplicitMemoryLimitBelowRamPlusOverheadIsAWarning() {
        io.qfence.model.desired.Vm small = bridged("lan-1", "10.60.0.11");
        io.qfence.model.desired.Vm tight = new io.qfence.model.desired.Vm(small.name(), small.cpus(), small.memory(), small.boot(), small.mac(),
                small.ip(), small.network(), small.state(), new io.qfence.model.desired.Limits(java.util.Optional.empty(),
                java.util.Optional.of(ByteSize.ofMebibytes(128)), java.util.OptionalLong.empty(), java.util.OptionalInt.empty()),
                small.stopTimeout(), small.origin());
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.ALLOW, List.of(tight));
        assertThat(realize(Fixtures.state(host("hv1", List.of("lan")), g), Fixtures.THIS_MACHINE).warnings()).map(Diagnostic::message)
                .contains("vm lan-1: memory limit 128Mi is below its RAM plus the QEMU overhead (320Mi); the guest may be OOM-killed");
    }

    /** Every error of a refused realization, one per line, as the CLI prints them. */
    private static String errors(Throwable refused) {
        return ((InvalidInputException) refused).diagnostics().stream().map(Diagnostic::toString)
                .collect(java.util.stream.Collectors.joining("\n"));
    }
}
