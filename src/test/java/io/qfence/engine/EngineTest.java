package io.qfence.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.apply.ApplyListener;
import io.qfence.apply.LastAppliedObjects;
import io.qfence.apply.StateLock;
import io.qfence.host.FakeHost;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.StalePlanException;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.Link;
import io.qfence.plan.Change;
import io.qfence.plan.PlanAssert;
import io.qfence.realize.Realization;
import io.qfence.testing.BundledState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One reconcile cycle against an in-memory host: plan, apply under the lock, records, stale plans, guest safety. */
class EngineTest {

    @TempDir
    Path stateDir;

    CycleRequest request(Scope scope) {
        return CycleRequest.of(DesiredStateSource.directory(BundledState.DIR, BundledState.CLOCK))
                .withOverrides(new HostOverrides(Optional.empty(), Optional.empty(), Optional.of(stateDir.toString()), Optional.empty()))
                .withScope(scope);
    }

    Realization realization() {
        return BundledState.realize(FakeHost.FACTS, HostOverrides.NONE);
    }

    @Test
    void aPlanChangesNothingAndWritesNothing() throws Exception {
        FakeHost host = new FakeHost();

        Cycle cycle = new Engine(host.ports(), BundledState.CLOCK).plan(request(Scope.WITHOUT_GUESTS));

        assertThat(cycle.outcome()).isEqualTo(Cycle.EngineOutcome.PLANNED);
        assertThat(cycle.host()).isEqualTo("hv1");
        assertThat(cycle.revision()).isEqualTo("dir:desired-state");
        PlanAssert.assertThat(cycle.plan()).isNotEmpty();
        assertThat(host.calls()).isEmpty();
        try (var files = Files.list(stateDir)) {
            assertThat(files).isEmpty();
        }
        assertThat(cycle.warnings()).anyMatch(w -> w.contains("firewall exception expired on 2025-06-30"));
        assertThat(cycle.timings().apply()).isEmpty();
    }

    @Test
    void anApplyRecordsWhatItAppliedSoThatLaterChangesOutsideQfenceAreDrift() throws Exception {
        FakeHost host = new FakeHost();
        Engine engine = new Engine(host.ports(), BundledState.CLOCK);

        Cycle first = engine.apply(request(Scope.WITHOUT_GUESTS), PlanApproval.AUTO, ApplyListener.SILENT, "test");

        assertThat(first.outcome()).isEqualTo(Cycle.EngineOutcome.APPLIED);
        assertThat(first.timings().apply()).isPresent();
        assertThat(LastAppliedObjects.read(stateDir)).contains(first.desired());
        assertThat(engine.apply(request(Scope.WITHOUT_GUESTS), PlanApproval.AUTO, ApplyListener.SILENT, "test").outcome())
                .isEqualTo(Cycle.EngineOutcome.NO_CHANGES);

        Cgroup web = (Cgroup) first.desired().stream().filter(o -> o.address().equals("group.web/cgroup")).findFirst().orElseThrow();
        java.util.TreeMap<String, String> files = new java.util.TreeMap<>(web.files());
        files.put("pids/pids.max", "100000");
        host.put(new Cgroup(web.address(), web.path(), web.version(), files)).remove("group.db/vm.db-main/tap");

        Cycle drifted = engine.plan(request(Scope.WITHOUT_GUESTS));
        PlanAssert.assertThat(drifted.plan()).hasDriftOn("group.web/cgroup", "group.db/vm.db-main/tap");
        assertThat(drifted.plan().changes()).hasSize(2).allMatch(Change::drift);
    }

    @Test
    void aDeclinedPlanChangesNothing() {
        FakeHost host = new FakeHost();

        Cycle cycle = new Engine(host.ports(), BundledState.CLOCK).apply(request(Scope.WITHOUT_GUESTS), (plan, warnings) -> false,
                ApplyListener.SILENT, "test");

        assertThat(cycle.outcome()).isEqualTo(Cycle.EngineOutcome.DECLINED);
        assertThat(host.calls()).isEmpty();
        assertThat(stateDir.resolve(LastAppliedObjects.FILE_NAME)).doesNotExist();
    }

    @Test
    void aMissingStateDirIsCreatedRootOnlyAndTheDirectoriesAboveItStayPassableForARunDirBesideIt() throws Exception {
        // the README's walkthrough: --state-dir /tmp/x/state --run-dir /tmp/x/run, with /tmp/x missing
        Path base = stateDir.resolve("fresh");
        Path fresh = base.resolve("state");
        CycleRequest request = CycleRequest.of(DesiredStateSource.directory(BundledState.DIR, BundledState.CLOCK))
                .withOverrides(new HostOverrides(Optional.empty(), Optional.empty(), Optional.of(fresh.toString()), Optional.empty()))
                .withScope(Scope.WITHOUT_GUESTS);

        new Engine(new FakeHost().ports(), BundledState.CLOCK).apply(request, PlanApproval.AUTO, ApplyListener.SILENT, "test");

        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo("rwx------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(base))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void anApplyWhileAnotherHoldsTheLockFailsAtOnceNamingTheHolder() throws Exception {
        FakeHost host = new FakeHost();
        try (StateLock held = StateLock.acquire(stateDir, "qfence daemon")) {
            assertThatThrownBy(() -> new Engine(host.ports(), BundledState.CLOCK).apply(request(Scope.WITHOUT_GUESTS), PlanApproval.AUTO,
                    ApplyListener.SILENT, "qfence apply"))
                    .isInstanceOf(LockHeldException.class)
                    .hasMessageContaining("(qfence daemon)");
        }
        assertThat(host.calls()).isEmpty();
    }

    @Test
    void aSavedPlanIsAppliedWhileTheHostIsUnchangedAndRefusedOnceItChanged() {
        FakeHost host = new FakeHost();
        Engine engine = new Engine(host.ports(), BundledState.CLOCK);
        var saved = engine.plan(request(Scope.WITHOUT_GUESTS)).plan();
        Link bridge = (Link) realization().object("group.web/bridge").orElseThrow();
        host.put(bridge);

        assertThatThrownBy(() -> engine.applySaved(request(Scope.WITHOUT_GUESTS), saved, PlanApproval.AUTO, ApplyListener.SILENT, "test"))
                .isInstanceOf(StalePlanException.class).hasMessageEndingWith("; make a new plan");
        assertThat(host.calls()).isEmpty();

        host.remove("group.web/bridge");
        Cycle applied = engine.applySaved(request(Scope.WITHOUT_GUESTS), saved, PlanApproval.AUTO, ApplyListener.SILENT, "test");
        assertThat(applied.outcome()).isEqualTo(Cycle.EngineOutcome.APPLIED);
        assertThat(applied.warnings()).noneMatch(w -> w.contains("desired state changed"));
        assertThat(stateDir.resolve(LastAppliedObjects.FILE_NAME)).exists();
        assertThatThrownBy(() -> engine.applySaved(request(Scope.WITHOUT_GUESTS).withHost("hv9"), saved, PlanApproval.AUTO,
                ApplyListener.SILENT, "test")).isInstanceOf(UsageException.class);
    }

    @Test
    void withoutGuestsInScopeAPlanMayNotPullTheTapCgroupOrFirewallRulesOfARunningGuest() {
        FakeHost host = hostWhereCiBuilderRuns();
        CycleRequest withoutCi = withoutGroupCi(Scope.WITHOUT_GUESTS);

        Cycle cycle = new Engine(host.ports(), BundledState.CLOCK).apply(withoutCi, PlanApproval.AUTO, ApplyListener.SILENT, "test");

        assertThat(cycle.outcome()).isEqualTo(Cycle.EngineOutcome.NOT_APPLICABLE);
        String because = ", which is running; the plan must stop it first (include guests in the scope, or stop the guest)";
        assertThat(cycle.plan().errors()).containsExactly(
                "group.ci/vm.ci-builder/cgroup would remove the cgroup qfence.slice/ci/ci-builder of group.ci/vm.ci-builder" + because,
                "group.ci/cgroup would remove the cgroup qfence.slice/ci of group.ci/vm.ci-builder" + because,
                "group.ci/vm.ci-builder/tap would remove the tap of group.ci/vm.ci-builder" + because,
                "firewall would take away 8 firewall restrictions (inet qfence chain forward: vmap \"qfb-ci\" : "
                        + "{\"jump\":{\"target\":\"from_ci\"}}, and 7 more) of group.ci/vm.ci-builder" + because);
        assertThat(host.calls()).isEmpty();
    }

    @Test
    void withGuestsInScopeARemovedVmsRunningGuestIsStoppedBeforeItsUidLeavesTheFirewallsDenyList() {
        FakeHost host = hostWhereCiBuilderRuns();
        CycleRequest withoutCi = withoutGroupCi(Scope.ALL);

        Cycle cycle = new Engine(host.ports(), BundledState.CLOCK).plan(withoutCi);

        // The narrowing firewall step keeps ci-builder's uid in @bridged_uids (a set a drop matches): without that the
        // guard refuses this plan, since the uid would leave the set while the guest still runs.
        assertThat(cycle.plan().errors()).isEmpty();
        List<String> order = cycle.plan().changes().stream().map(c -> c.action().symbol() + " " + c.address()).toList();
        assertThat(order.indexOf("< group.ci/vm.ci-builder")).isNotNegative().isLessThan(order.lastIndexOf("~ firewall"));
    }

    /** The bundled state's host as realized, with guest ci-builder running and no other guest. */
    private FakeHost hostWhereCiBuilderRuns() {
        Realization r = realization();
        Guest running = r.objects(Guest.class).stream().filter(g -> g.vm().equals("ci-builder")).findFirst().orElseThrow()
                .withState(GuestState.RUNNING);
        return FakeHost.with(r.objects().stream().filter(o -> !(o instanceof Guest)).toList()).put(running);
    }

    /** The bundled desired state without group ci (its host runs db and web only), in {@code scope}. */
    private CycleRequest withoutGroupCi(Scope scope) {
        Path dir = stateDir;
        return new CycleRequest(() -> {
            var loaded = io.qfence.source.DesiredStateLoader.loadDirectory(BundledState.DIR, BundledState.CLOCK);
            var s = loaded.state().orElseThrow();
            var h = s.hosts().get(0);
            var host2 = new io.qfence.model.desired.Host(h.name(), List.of("db", "web"), h.uplink(), h.imagesRoot(), h.runDir(), dir.toString(),
                    h.cgroupParent(), h.vmUidRange(), h.qemu(), h.confinement(), h.origin());
            return new io.qfence.source.LoadResult(Optional.of(new io.qfence.model.desired.DesiredState(s.revision(), List.of(host2),
                    s.groups().stream().filter(g -> !g.name().equals("ci")).toList())), List.of());
        }, Optional.empty(), HostOverrides.NONE, scope);
    }
}
