package io.qfence.plan;

import static io.qfence.plan.PlanAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.Addresses;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.ObservedHost;
import io.qfence.model.host.Sysctl;
import io.qfence.plan.Scenario.Group;
import io.qfence.plan.Scenario.Vm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class PlannerTest {

    static final Group WEB = Group.of("web", 1, Vm.of("web-01", 2001), Vm.of("web-02", 2002));
    static final Group DB = Group.of("db", 2, Vm.of("db-01", 2101));

    static ObservedHost observed(List<HostObject> objects) {
        return new ObservedHost("hv1", HostFacts.TYPICAL, Scenario.asObserved(objects), List.of(), List.of(), List.of());
    }

    static ObservedHost empty() {
        return ObservedHost.empty("hv1", HostFacts.TYPICAL);
    }

    static List<HostObject> replace(List<HostObject> objects, String address, UnaryOperator<HostObject> f) {
        return objects.stream().map(o -> o.address().equals(address) ? f.apply(o) : o).toList();
    }

    static List<HostObject> without(List<HostObject> objects, String address) {
        return objects.stream().filter(o -> !o.address().equals(address)).toList();
    }

    @Test
    void anEmptyHostGetsItsFirewallFirstThenSettingsCgroupsAndLinksParentsFirstAndGuestsLast() {
        List<HostObject> desired = Scenario.realize(WEB);

        Plan plan = Planner.plan(desired, empty());

        assertThat(plan).hasActionsInOrder(
                "+ firewall",
                "+ host/sysctl/net.bridge.bridge-nf-call-iptables",
                "+ group.web/cgroup",
                "+ group.web/vm.web-01/cgroup",
                "+ group.web/vm.web-02/cgroup",
                "+ group.web/bridge",
                "+ group.web/vm.web-01/tap",
                "+ group.web/vm.web-02/tap",
                "> group.web/vm.web-01",
                "> group.web/vm.web-02")
                .hasSummary(8, 0, 0, 2, 0)
                .isFailClosed(desired, List.of());
        assertThat(plan).starts("group.web/vm.web-01").withReason("new").notAsDrift();
    }

    @Test
    void planningAgainstTheRealizationItselfGivesAnEmptyPlan() {
        List<HostObject> desired = Scenario.realize(WEB, DB.routed(true).exceptions("qfb-web"));

        assertThat(Planner.plan(desired, observed(desired))).isEmpty();
    }

    @Test
    void theInputOrderDoesNotMatter() {
        List<HostObject> desired = new ArrayList<>(Scenario.realize(WEB, DB));
        Plan first = Planner.plan(desired, empty());
        Collections.reverse(desired);

        Assertions.assertThat(Planner.plan(desired, empty())).isEqualTo(first);
    }

    /** DESIGN.md §17: the seed's parts are digests; the reason names the parts that changed, not two hashes. */
    @Test
    void aSeedChangeRestartsTheGuestAndNamesThePartsThatChanged() {
        List<HostObject> before = withSeed(Scenario.realize(WEB), "qf-00000000000000aa", "k1", "u1");
        List<HostObject> desired = withSeed(Scenario.realize(WEB), "qf-00000000000000bb", "k2", "u1");

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).replaces("group.web/vm.web-01").withReason("config change requires restart: seed changed: sshKeys");
    }

    /** web-01 with a seed: its instance-id in the argv (the seed drive's serial) and the parts' digests in its config. */
    static List<HostObject> withSeed(List<HostObject> objects, String instanceId, String keys, String users) {
        return objects.stream().map(o -> {
            if (!(o instanceof Guest g) || !g.vm().equals("web-01")) {
                return o;
            }
            List<String> argv = new ArrayList<>(g.argv());
            argv.addAll(List.of("-device", "virtio-blk-pci,drive=seed0,serial=" + instanceId));
            java.util.TreeMap<String, String> config = new java.util.TreeMap<>(g.config());
            config.put("seed", instanceId);
            config.put("seed.sshKeys", keys);
            config.put("seed.users", users);
            return (HostObject) new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), argv,
                    io.qfence.model.ConfigDigest.of(argv), config, g.state(), g.launch(), g.runtime());
        }).toList();
    }

    @Test
    void aMemoryChangeRestartsTheGuestAndSaysWhy() {
        List<HostObject> before = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.vms(Vm.of("web-01", 2001).memory(96), Vm.of("web-02", 2002)));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInOrder("~ group.web/vm.web-01/cgroup", "-/+ group.web/vm.web-01")
                .hasSummary(0, 1, 0, 1, 1);
        assertThat(plan).replaces("group.web/vm.web-01").after("group.web/vm.web-01/cgroup")
                .withReason("config change requires restart: memory 64Mi -> 96Mi");
        Assertions.assertThat(plan.changes().get(1).actionNames()).containsExactly("stop", "start");
    }

    @Test
    void aChangeOfGroupLimitsUpdatesTheCgroupAndRestartsNoGuest() {
        Plan plan = Planner.plan(Scenario.realize(WEB.pids(1024)), observed(Scenario.realize(WEB)));

        assertThat(plan).hasActionsInOrder("~ group.web/cgroup").hasSummary(0, 1, 0, 0, 0);
    }

    @Test
    void removingAVmStopsItBeforeItsNetworkAndCgroupGoAndNeverTouchesItsDisk() {
        List<HostObject> before = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.vms(Vm.of("web-02", 2002)));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInOrder(
                        "< group.web/vm.web-01",
                        "- group.web/vm.web-01/cgroup",
                        "- group.web/vm.web-01/tap",
                        "~ firewall")
                .hasSummary(0, 1, 2, 0, 1)
                .isFailClosed(desired, before);
        assertThat(plan).stops("group.web/vm.web-01").before("group.web/vm.web-01/tap").withReason("removed from desired state");
        Assertions.assertThat(plan.changes()).noneMatch(c -> c.actionNames().contains("delete") && c.kind() == ObjectKind.GUEST);
    }

    @Test
    void aChangeThatTakesAccessAwayAndGivesNewAccessNarrowsFirstAndWidensBeforeGuestsStart() {
        List<HostObject> before = Scenario.realize(WEB.exceptions("qfb-old"), DB);
        Group web2 = WEB.exceptions("qfb-new").vms(Vm.of("web-01", 2001), Vm.of("web-02", 2002), Vm.of("web-03", 2003));
        List<HostObject> desired = Scenario.realize(web2, DB);

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInOrder(
                        "~ firewall",
                        "+ group.web/vm.web-03/cgroup",
                        "+ group.web/vm.web-03/tap",
                        "~ firewall",
                        "> group.web/vm.web-03")
                .isFailClosed(desired, before);
        assertThat(plan).updates("firewall").atStep(0).withReason("narrowing first: what widens access follows in a later transaction");
        Assertions.assertThat(plan.changes().get(0).attributeChanges()).extracting(Change.AttributeChange::key)
                .anyMatch(k -> k.startsWith("inet qfence/chain forward/rule"));
        Assertions.assertThat(plan.changes().get(3).after()).contains(desired.stream().filter(o -> o.address().equals("firewall")).findFirst().orElseThrow());
    }

    @Test
    void aChangeThatOnlyGivesAccessIsOneTransactionAfterTheNetworkAndBeforeTheGuests() {
        List<HostObject> before = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.exceptions("qfb-db"));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInOrder("~ firewall").isFailClosed(desired, before);
        assertThat(plan).updates("firewall").withReason("differs from desired state");
    }

    @Test
    void somethingInQfencesTableThatTheModelCannotExpressIsDriftTheFirewallTransactionRemoves() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> observed = replace(desired, "firewall", o -> {
            io.qfence.model.host.Firewall f = (io.qfence.model.host.Firewall) o;
            return io.qfence.model.host.Firewall.of(f.tables().stream().map(t -> new io.qfence.model.host.NftTable(t.family(),
                    t.name(), t.chains(), t.sets(), t.counters(), t.family().equals("inet") ? List.of("map handmade (qfence writes no map objects)")
                            : List.of())).toList());
        });

        Plan plan = Planner.plan(desired, observed(observed), PlanOptions.withLastApplied(desired));

        assertThat(plan).hasActionsInOrder("~ firewall");
        assertThat(plan).updates("firewall").atStep(0).asDrift().withReason("drift: changed outside qfence");
        Assertions.assertThat(plan.changes().get(0).attributeChanges()).singleElement().satisfies(a -> {
            Assertions.assertThat(a.key()).isEqualTo("inet qfence/unmodelled");
            Assertions.assertThat(a.before()).contains("map handmade (qfence writes no map objects)");
            Assertions.assertThat(a.after()).isEmpty();
        });
    }

    @Test
    void aLinkAnInterruptedApplyLeftUnderATemporaryNameIsRemovedAsSuchWithOrWithoutHistory() {
        List<HostObject> desired = Scenario.realize(WEB);
        String temporary = io.qfence.model.InterfaceNames.temporary(new java.util.Random(7));
        Link leftover = new Link(Addresses.leftoverLink(temporary), io.qfence.model.host.LinkKind.TAP, temporary, Optional.empty(),
                Optional.empty(), 1500, false, List.of(), OptionalLong.of(2001), OptionalLong.of(2001), java.util.OptionalInt.empty(),
                Optional.empty(), Optional.empty());
        List<HostObject> observed = new ArrayList<>(desired);
        observed.add(leftover);

        for (PlanOptions options : List.of(PlanOptions.DEFAULTS, PlanOptions.withLastApplied(desired))) {
            Plan plan = Planner.plan(desired, observed(observed), options);

            assertThat(plan).hasActionsInOrder("- " + Addresses.leftoverLink(temporary));
            assertThat(plan).deletes(Addresses.leftoverLink(temporary)).withReason("left behind by an interrupted apply").notAsDrift();
        }
        Assertions.assertThat(io.qfence.model.InterfaceNames.isTemporary(temporary)).isTrue();
        Assertions.assertThat(temporary).hasSize(15).startsWith("qfc-");
        Assertions.assertThat(io.qfence.model.InterfaceNames.isTemporary("qfc-web")).isFalse();
        Assertions.assertThat(io.qfence.model.InterfaceNames.isTemporary("qfb-abcdefghijk")).isFalse();
    }

    @Test
    void aChangeThatOnlyTakesAccessAwayIsOneTransactionThatRunsFirst() {
        List<HostObject> before = Scenario.realize(WEB.exceptions("qfb-db"), DB);
        List<HostObject> desired = Scenario.realize(WEB, DB.vms(Vm.of("db-01", 2101), Vm.of("db-02", 2102)));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).updates("firewall").atStep(0).and().isFailClosed(desired, before);
        Assertions.assertThat(plan.changes().stream().filter(c -> c.address().equals("firewall"))).hasSize(1);
    }

    @Test
    void aNewTapOwnerReplacesTheTapWhileItsGuestIsStopped() {
        List<HostObject> before = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.vms(Vm.of("web-01", 2011), Vm.of("web-02", 2002)));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInOrder(
                        "< group.web/vm.web-01",
                        "-/+ group.web/vm.web-01/tap",
                        "> group.web/vm.web-01")
                .isFailClosed(desired, before);
        assertThat(plan).replaces("group.web/vm.web-01/tap").forcedBy("owner_gid", "owner_uid");
        assertThat(plan).stops("group.web/vm.web-01").withReason("config change requires restart: gid 2001 -> 2011, uid 2001 -> 2011");
        assertThat(plan).hasSummary(1, 0, 1, 1, 1);
    }

    @Test
    void aRenamedTapIsCreatedBeforeTheOldOneIsDeletedAndItsGuestMovesOver() {
        List<HostObject> before = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.vms(Vm.of("web-01", 2001).renamedTap(true), Vm.of("web-02", 2002)));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInRelativeOrder(
                        "< group.web/vm.web-01",
                        "+/- group.web/vm.web-01/tap",
                        "> group.web/vm.web-01")
                .isFailClosed(desired, before);
        assertThat(plan).starts("group.web/vm.web-01").withReason("follows a dependency: group.web/vm.web-01/tap is replaced");
    }

    @Test
    void aNewCgroupParentBuildsTheNewTreeThenMovesGuestsThenRemovesTheOldTree() {
        List<HostObject> before = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.cgroupParent("qfence.slice"));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).isFailClosed(desired, before);
        assertThat(plan).creates("group.web/cgroup").before("group.web/vm.web-01/cgroup");
        assertThat(plan).deletes("group.web/cgroup").after("group.web/vm.web-01/cgroup").after("group.web/vm.web-02/cgroup");
        InMemoryHost host = new InMemoryHost(Scenario.asObserved(before), desired);
        host.apply(plan);
        assertThat(Planner.plan(desired, host.observe())).isEmpty();
    }

    @Test
    void aCrashedGuestIsStartedAgainAndReportedAsDrift() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> crashed = replace(Scenario.asObserved(desired), "group.web/vm.web-01",
                o -> ((Guest) o).withState(GuestState.CRASHED).withRuntime(new GuestRuntime(OptionalLong.empty(), Optional.empty(),
                        Optional.of("killed by SIGKILL; 1 OOM kill in its cgroup"))));

        Plan plan = Planner.plan(desired, new ObservedHost("hv1", HostFacts.TYPICAL, crashed, List.of(), List.of(), List.of()));

        assertThat(plan).hasActionsInOrder("> group.web/vm.web-01").hasDriftOn("group.web/vm.web-01");
        assertThat(plan).starts("group.web/vm.web-01").asDrift()
                .withReason("drift: guest crashed: killed by SIGKILL; 1 OOM kill in its cgroup");
    }

    @Test
    void aGuestPausedOutsideQfenceIsRestartedAsDriftAndAStoppedOneIsStopped() {
        List<HostObject> desired = Scenario.realize(WEB.vms(Vm.of("web-01", 2001), Vm.of("web-02", 2002).state(GuestState.STOPPED)));
        List<HostObject> host = Scenario.asObserved(Scenario.realize(WEB));
        host = replace(host, "group.web/vm.web-01", o -> ((Guest) o).withState(GuestState.PAUSED));

        Plan plan = Planner.plan(desired, new ObservedHost("hv1", HostFacts.TYPICAL, host, List.of(), List.of(), List.of()));

        assertThat(plan).hasActionsInOrder("< group.web/vm.web-02", "-/+ group.web/vm.web-01");
        assertThat(plan).replaces("group.web/vm.web-01").asDrift().withReason("drift: paused outside qfence; restarted");
        assertThat(plan).stops("group.web/vm.web-02").notAsDrift().withReason("differs from desired state");
    }

    @Test
    void withARecordOfTheLastApplyAChangeOutsideQfenceIsDriftAndADesiredChangeIsNot() {
        List<HostObject> applied = Scenario.realize(WEB);
        List<HostObject> desired = Scenario.realize(WEB.pids(1024));
        List<HostObject> host = replace(Scenario.asObserved(applied), "group.web/bridge", o -> {
            Link l = (Link) o;
            return new Link(l.address(), l.kind(), l.name(), l.master(), l.mac(), 9000, l.up(), l.addresses(), l.ownerUid(), l.ownerGid(),
                    l.vlanId(), l.vlanParent(), l.portFlags());
        });

        Plan plan = Planner.plan(desired, observed(host), PlanOptions.withLastApplied(applied));

        assertThat(plan).hasDriftOn("group.web/bridge");
        assertThat(plan).updates("group.web/bridge").asDrift().withReason("drift: changed outside qfence");
        assertThat(plan).updates("group.web/cgroup").notAsDrift().withReason("changed in desired state");
        Assertions.assertThat(plan.desiredChanges()).extracting(Change::address).containsExactly("group.web/cgroup");
    }

    @Test
    void withoutARecordOfTheLastApplyADifferenceIsNotCalledDrift() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> host = without(Scenario.asObserved(desired), "group.web/vm.web-02/tap");

        Plan plan = Planner.plan(desired, observed(host));

        assertThat(plan).hasDriftOn().creates("group.web/vm.web-02/tap").withReason("new");
    }

    @Test
    void withARecordOfTheLastApplyAnObjectDeletedOutsideQfenceIsDrift() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> host = without(Scenario.asObserved(desired), "group.web/vm.web-02/tap");

        Plan plan = Planner.plan(desired, observed(host), PlanOptions.withLastApplied(desired));

        assertThat(plan).creates("group.web/vm.web-02/tap").asDrift().withReason("drift: deleted outside qfence");
    }

    @Test
    void hostSettingsAreNeverReset() {
        List<HostObject> before = Scenario.realize(WEB.routed(true));
        List<HostObject> desired = Scenario.realize(WEB);

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasNoChangeFor("host/sysctl/net.ipv4.ip_forward");
    }

    @Test
    void aChangedHostSettingIsSetAgain() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> host = replace(Scenario.asObserved(desired), "host/sysctl/net.bridge.bridge-nf-call-iptables",
                o -> Sysctl.of("net.bridge.bridge-nf-call-iptables", "0"));

        assertThat(Planner.plan(desired, observed(host))).hasActionsInOrder("~ host/sysctl/net.bridge.bridge-nf-call-iptables");
    }

    @Test
    void removingEverythingStopsGuestsRemovesChildrenFirstLinksTogetherAndTheFirewallLast() {
        List<HostObject> before = Scenario.realize(WEB);

        Plan plan = Planner.plan(List.of(), observed(before));

        assertThat(plan).hasActionsInOrder(
                        "< group.web/vm.web-01",
                        "< group.web/vm.web-02",
                        "- group.web/vm.web-01/cgroup",
                        "- group.web/vm.web-02/cgroup",
                        "- group.web/cgroup",
                        "- group.web/vm.web-01/tap",
                        "- group.web/vm.web-02/tap",
                        "- group.web/bridge",
                        "- firewall")
                .hasNoChangeFor("host/sysctl/net.bridge.bridge-nf-call-iptables")
                .isFailClosed(List.of(), before);
    }

    @Test
    void aForeignLinkIsAWarningAndBlocksOnlyAPlanThatNeedsItsName() {
        List<HostObject> desired = Scenario.realize(WEB);
        ObservedHost host = new ObservedHost("hv1", HostFacts.TYPICAL, List.of(),
                List.of(new ForeignObject("link", "qfb-web", "no qfence alias"), new ForeignObject("link", "qfx-other", "no qfence alias")),
                List.of(), List.of());

        Plan plan = Planner.plan(desired, host);

        Assertions.assertThat(plan.warnings()).containsExactly(
                "link qfb-web is not qfence's (no qfence alias); qfence leaves it alone",
                "link qfx-other is not qfence's (no qfence alias); qfence leaves it alone");
        Assertions.assertThat(plan.errors()).containsExactly(
                "group.web/bridge needs the link name qfb-web, which a link that is not qfence's already has (no qfence alias)");
        Assertions.assertThat(plan.isApplicable()).isFalse();
    }

    @Test
    void aDesiredGuestCanOnlyBeRunningOrStopped() {
        List<HostObject> desired = replace(Scenario.realize(WEB), "group.web/vm.web-01", o -> ((Guest) o).withState(GuestState.CRASHED));

        assertThatThrownBy(() -> Planner.plan(desired, empty())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("group.web/vm.web-01: a desired guest is running or stopped, not CRASHED");
    }

    @Test
    void anAddressTwiceIsRefused() {
        List<HostObject> desired = new ArrayList<>(Scenario.realize(WEB));
        desired.add(desired.stream().filter(o -> o.address().equals("firewall")).findFirst().orElseThrow());

        assertThatThrownBy(() -> Planner.plan(desired, empty())).hasMessage("the desired objects contain firewall twice");
    }

    @Test
    void digestsIgnoreRuntimeFactsButNotConfiguration() {
        List<HostObject> desired = Scenario.realize(WEB);
        Plan a = Planner.plan(desired, observed(desired));
        List<HostObject> otherPids = replace(Scenario.asObserved(desired), "group.web/vm.web-01",
                o -> ((Guest) o).withRuntime(new GuestRuntime(OptionalLong.of(99999), Optional.of("running"), Optional.empty())));
        Plan b = Planner.plan(desired, new ObservedHost("hv1", HostFacts.TYPICAL, otherPids, List.of(), List.of(), List.of()));
        Plan c = Planner.plan(desired, observed(Scenario.realize(WEB.mtu(9000))));

        Assertions.assertThat(b.observedDigest()).isEqualTo(a.observedDigest());
        Assertions.assertThat(Digests.of(Scenario.asObserved(desired))).as("rule effects are not observed, so not digested")
                .isEqualTo(Digests.of(desired.stream().map(o -> o instanceof Guest g ? g.withRuntime(new GuestRuntime(OptionalLong.of(1),
                        Optional.empty(), Optional.empty())) : o).filter(o -> !(o instanceof Guest g) || g.state() == GuestState.RUNNING).toList()));
        Assertions.assertThat(c.observedDigest()).isNotEqualTo(a.observedDigest());
        Assertions.assertThat(a.desiredDigest()).isEqualTo(Digests.of(desired)).startsWith("sha256:");
        Assertions.assertThat(Addresses.FIREWALL).isEqualTo("firewall");
    }

    @Test
    void aChangeMustBeConsistentWithItsAction() {
        Guest g = (Guest) Scenario.realize(WEB).stream().filter(Guest.class::isInstance).findFirst().orElseThrow();
        Link bridge = (Link) Scenario.realize(WEB).stream().filter(o -> o.address().equals("group.web/bridge")).findFirst().orElseThrow();

        assertThatThrownBy(() -> new Change(g.address(), Action.CREATE, Optional.empty(), Optional.of(g), Reason.NEW, false))
                .hasMessage("group.web/vm.web-01: a guest is started, stopped or restarted, never CREATE");
        assertThatThrownBy(() -> new Change(g.address(), Action.REPLACE_CREATE_BEFORE_DELETE, Optional.of(g), Optional.of(g), Reason.NEW, false))
                .hasMessage("group.web/vm.web-01: a guest is restarted by stopping it first; two copies never run");
        assertThatThrownBy(() -> new Change(bridge.address(), Action.START, Optional.empty(), Optional.of(bridge), Reason.NEW, false))
                .hasMessage("group.web/bridge: only guests are started and stopped, not a link");
        assertThatThrownBy(() -> new Change(bridge.address(), Action.DELETE, Optional.empty(), Optional.empty(), Reason.NEW, false))
                .hasMessage("group.web/bridge: a DELETE change needs a before");
        assertThatThrownBy(() -> new Change("other", Action.DELETE, Optional.of(bridge), Optional.empty(), Reason.NEW, false))
                .hasMessage("change of other carries an object of group.web/bridge");
        assertThatThrownBy(() -> new Change(g.address(), Action.STOP, Optional.of(g), Optional.of(g), Reason.NEW, false))
                .hasMessage("group.web/vm.web-01: a stop must leave the guest stopped");
    }

    @Test
    void renumberedExceptionsAreNotNewAccessSoAddingOneIsASingleWideningTransaction() {
        // realization numbers exceptions: inserting one first renames the others' comments
        List<HostObject> before = relabel(Scenario.realize(WEB.exceptions("qfb-a", "qfb-b"), DB));
        List<HostObject> desired = relabel(Scenario.realize(WEB.exceptions("qfb-new", "qfb-a", "qfb-b"), DB));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).hasActionsInOrder("~ firewall").isFailClosed(desired, before);
    }

    @Test
    void removingOneOfSeveralExceptionsNarrowsFirstWithoutCuttingTheOthers() {
        List<HostObject> before = relabel(Scenario.realize(WEB.exceptions("qfb-old", "qfb-a", "qfb-b"), DB));
        List<HostObject> desired = relabel(Scenario.realize(WEB.exceptions("qfb-a", "qfb-b").vms(Vm.of("web-01", 2001)), DB));

        Plan plan = Planner.plan(desired, observed(before));

        assertThat(plan).isFailClosed(desired, before);
        Change first = plan.changes().get(0);
        assertThat(plan).updates("firewall").atStep(0);
        Assertions.assertThat(first.after().orElseThrow().attributes().values())
                .anyMatch(v -> v.contains("qfb-a") && v.endsWith("qf:exception:0"))
                .anyMatch(v -> v.contains("qfb-b") && v.endsWith("qf:exception:1"))
                .noneMatch(v -> v.contains("qfb-old"));
    }

    /** Comments numbered by position, as realization writes them ({@code qf:exception:web:0}, ...). */
    static List<HostObject> relabel(List<HostObject> objects) {
        return objects.stream().map(o -> {
            if (!(o instanceof io.qfence.model.host.Firewall f)) {
                return o;
            }
            List<io.qfence.model.host.NftTable> tables = f.tables().stream().map(t -> new io.qfence.model.host.NftTable(t.family(), t.name(),
                    t.chains().stream().map(c -> {
                        int[] n = {0};
                        return new io.qfence.model.host.NftChain(c.name(), c.hook(), c.rules().stream()
                                .map(r -> r.comment().startsWith("qf:exception:") ? new io.qfence.model.host.NftRule(r.expr(),
                                        "qf:exception:" + n[0]++, r.effect()) : r).toList());
                    }).toList(), t.sets(), t.counters())).toList();
            return (HostObject) new io.qfence.model.host.Firewall(f.address(), tables);
        }).toList();
    }
}
