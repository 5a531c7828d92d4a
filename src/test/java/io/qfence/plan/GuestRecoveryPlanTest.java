package io.qfence.plan;

import static io.qfence.plan.PlanAssert.assertThat;

import io.qfence.host.Scope;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Scenario.Group;
import io.qfence.plan.Scenario.Vm;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * What the planner does with the guests an interrupted apply leaves (issue 22): a QEMU left paused at {@code -S}, one
 * running without qfence's record, a record whose guest ended while qfence was away; and the guard that no plan, in
 * any scope, takes a running guest's tap, cgroup or firewall restrictions away before stopping it.
 */
class GuestRecoveryPlanTest {

    static final Group WEB = Group.of("web", 1, Vm.of("web-01", 2001), Vm.of("web-02", 2002).userMode());

    static ObservedHost host(List<HostObject> objects) {
        return new ObservedHost("hv1", HostFacts.TYPICAL, objects, List.of(), List.of(), List.of());
    }

    static List<HostObject> observedWith(List<HostObject> realized, String address, GuestState state, GuestRuntime runtime) {
        return Scenario.asObserved(realized).stream()
                .map(o -> o.address().equals(address) ? ((Guest) o).withState(state).withRuntime(runtime) : o).toList();
    }

    static GuestRuntime found(long pid, String qmp, boolean unrecorded) {
        GuestRuntime r = new GuestRuntime(OptionalLong.of(pid), Optional.of(qmp), Optional.empty());
        return unrecorded ? r.asUnrecorded() : r;
    }

    @Test
    void aGuestLeftPausedAtDashSIsAnInterruptedStartThatIsRestartedNotDrift() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> observed = observedWith(desired, "group.web/vm.web-01", GuestState.PAUSED, found(1908, "prelaunch", false));

        Plan plan = Planner.plan(desired, host(observed), PlanOptions.withLastApplied(desired));

        assertThat(plan).hasActionsInOrder("-/+ group.web/vm.web-01");
        assertThat(plan).replaces("group.web/vm.web-01").notAsDrift()
                .withReason("interrupted start: left paused at -S (pid 1908); stopped and started again, with every check of a fresh start");
        Assertions.assertThat(plan.errors()).isEmpty();
    }

    @Test
    void anUnrecordedQemuLeftPausedIsRestartedAndOneRunningTheDesiredConfigurationIsAdoptedWithoutARestart() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> paused = observedWith(desired, "group.web/vm.web-01", GuestState.PAUSED, found(1908, "prelaunch", true));
        List<HostObject> running = observedWith(desired, "group.web/vm.web-01", GuestState.RUNNING, found(1908, "running", true));

        assertThat(Planner.plan(desired, host(paused))).replaces("group.web/vm.web-01").notAsDrift()
                .withReason("interrupted start: left paused at -S (pid 1908) without qfence's record; stopped and started again, "
                        + "with every check of a fresh start");
        assertThat(Planner.plan(desired, host(running))).hasActionsInOrder("> group.web/vm.web-01");
        assertThat(Planner.plan(desired, host(running))).starts("group.web/vm.web-01").notAsDrift()
                .withReason("interrupted start: running (pid 1908) without qfence's record; adopted (recorded), not restarted");
    }

    @Test
    void anUnrecordedQemuWithAnotherConfigurationIsRestartedAndOneNoLongerWantedIsStopped() {
        List<HostObject> desired = Scenario.realize(WEB);
        List<HostObject> before = Scenario.realize(WEB.vms(Vm.of("web-01", 2001).memory(96), Vm.of("web-02", 2002).userMode()));
        List<HostObject> other = observedWith(before, "group.web/vm.web-01", GuestState.RUNNING, found(1908, "running", true));

        assertThat(Planner.plan(desired, host(other))).replaces("group.web/vm.web-01").notAsDrift()
                .withReason("interrupted start: running (pid 1908) without qfence's record with another configuration; restarted");

        List<HostObject> withoutWeb01 = Scenario.realize(WEB.vms(Vm.of("web-02", 2002).userMode()));
        List<HostObject> stray = observedWith(desired, "group.web/vm.web-01", GuestState.RUNNING, found(1908, "running", true));
        Plan plan = Planner.plan(withoutWeb01, host(stray));
        assertThat(plan).stops("group.web/vm.web-01").notAsDrift()
                .withReason("interrupted start: running (pid 1908) without qfence's record; not wanted, so stopped");
        assertThat(plan).stops("group.web/vm.web-01").before("group.web/vm.web-01/tap").before("group.web/vm.web-01/cgroup");
        Assertions.assertThat(plan.errors()).isEmpty();
    }

    @Test
    void aRecordWhoseGuestEndedWhileQfenceWasAwayIsRemovedByAStopThatTheNextPlanNoLongerHas() {
        List<HostObject> desired = Scenario.realize(WEB.vms(Vm.of("web-01", 2001).state(GuestState.STOPPED), Vm.of("web-02", 2002).userMode()));
        List<HostObject> observed = observedWith(Scenario.realize(WEB), "group.web/vm.web-01", GuestState.CRASHED,
                new GuestRuntime(OptionalLong.of(1908), Optional.empty(), Optional.of("QEMU exited with status 0")));

        Plan plan = Planner.plan(desired, host(observed));

        assertThat(plan).stops("group.web/vm.web-01").asDrift()
                .withReason("drift: guest ended without qfence (QEMU exited with status 0); its record is removed");
        InMemoryHost after = new InMemoryHost(observed, desired);
        after.apply(plan);
        assertThat(Planner.plan(desired, after.observe())).isEmpty();
    }

    @Test
    void withGuestsOutOfScopeAPlanThatWouldRemoveARunningUserModeGuestsDispatchIsRefusedNamingTheGuest() {
        List<HostObject> running = Scenario.asObserved(Scenario.realize(WEB));
        List<HostObject> withoutWeb02 = Scenario.realize(WEB.vms(Vm.of("web-01", 2001)));
        Scope firewallOnly = Scope.parse("firewall");
        List<HostObject> guests = running.stream().filter(Guest.class::isInstance).toList();

        Plan plan = Planner.plan(withoutWeb02.stream().filter(firewallOnly::includes).toList(),
                host(running.stream().filter(firewallOnly::includes).toList()), PlanOptions.DEFAULTS.withOutOfScope(guests));

        Assertions.assertThat(plan.isApplicable()).isFalse();
        Assertions.assertThat(plan.errors()).singleElement().asString()
                .startsWith("firewall would take away 3 firewall restrictions (inet qfence chain output: vmap 2002 : {\"jump\":{\"target\":\"user_web_02\"}}")
                .endsWith("of group.web/vm.web-02, which is running; the plan must stop it first (include guests in the scope, or stop the guest)");
    }

    @Test
    void withGuestsInScopeTheSameChangeStopsTheGuestBeforeItsRulesGo() {
        List<HostObject> running = Scenario.asObserved(Scenario.realize(WEB));
        List<HostObject> withoutWeb02 = Scenario.realize(WEB.vms(Vm.of("web-01", 2001)));

        Plan plan = Planner.plan(withoutWeb02, host(running));

        Assertions.assertThat(plan.errors()).isEmpty();
        assertThat(plan).stops("group.web/vm.web-02").before("firewall").before("group.web/vm.web-02/cgroup");
    }

    @Test
    void aRunningGuestsOwnTapAndCgroupAreGuardedInAnyScope() {
        List<HostObject> running = Scenario.asObserved(Scenario.realize(WEB));
        List<HostObject> withoutWeb01 = Scenario.realize(WEB.vms(Vm.of("web-02", 2002).userMode()));
        Scope noGuests = Scope.WITHOUT_GUESTS;
        List<HostObject> guests = running.stream().filter(Guest.class::isInstance).toList();

        Plan plan = Planner.plan(withoutWeb01.stream().filter(noGuests::includes).toList(),
                host(running.stream().filter(noGuests::includes).toList()), PlanOptions.DEFAULTS.withOutOfScope(guests));

        Assertions.assertThat(plan.errors()).anyMatch(e -> e.startsWith("group.web/vm.web-01/tap would remove the tap of group.web/vm.web-01"))
                .anyMatch(e -> e.startsWith("group.web/vm.web-01/cgroup would remove the cgroup qfence/web/web-01 of group.web/vm.web-01"))
                .anyMatch(e -> e.startsWith("firewall would take away") && e.contains("of group.web/vm.web-01, which is running"));
    }
}
