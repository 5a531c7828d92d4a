package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.apply.StateLock;
import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.host.FakeHost;
import io.qfence.host.HostConnector;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.LockHeldException;
import io.qfence.model.host.Guest;
import io.qfence.model.host.Link;
import io.qfence.testing.BundledState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's cycle backed by the engine, over an in-memory host: what the journal gets from an apply, a failed step,
 * drift and a plan-only check; the engine's own state lock in the daemon's state directory; one connection per cycle.
 */
class EngineCycleTest {

    @TempDir
    Path stateDir;

    final FakeHost host = new FakeHost();
    final List<HostTarget> connections = new ArrayList<>();

    EngineCycle cycle(Scope scope) {
        HostConnector connector = new HostConnector() {
            @Override
            public boolean available() {
                return true;
            }

            @Override
            public HostPorts connect(HostTarget target) {
                connections.add(target);
                return host.ports();
            }
        };
        HostOverrides overrides = new HostOverrides(Optional.empty(), Optional.empty(), Optional.of(stateDir.toString()),
                Optional.empty());
        return new EngineCycle(connector, new HostTarget(Optional.of("qf-test"), Optional.empty()), overrides, scope);
    }

    static ConvergeRequest request(Mode mode) {
        return new ConvergeRequest(BundledState.HOST, BundledState.state(), mode, BundledState.CLOCK.instant());
    }

    @Test
    void anApplyReportsEveryChangeAsAppliedAndASecondCycleFindsNothingToDo() {
        EngineCycle cycle = cycle(Scope.WITHOUT_GUESTS);

        CycleOutcome first = cycle.run(request(Mode.APPLY));
        CycleOutcome second = cycle.run(request(Mode.APPLY));

        assertThat(first.succeeded()).as(first.errors().toString()).isTrue();
        assertThat(first.actions()).isNotEmpty().extracting(ActionResult::result).containsOnly("ok");
        assertThat(first.summary().orElseThrow().add()).isEqualTo(first.actions().size());
        assertThat(first.applyDuration()).isPresent();
        assertThat(first.planDigest().orElseThrow()).matches("sha256:[0-9a-f]{64}");
        assertThat(second.actions()).isEmpty();
        assertThat(second.summary().orElseThrow()).isEqualTo(new io.qfence.daemon.journal.CycleRecord.PlanSummary(0, 0, 0));
        assertThat(second.planDigest()).isNotEqualTo(first.planDigest());
        assertThat(connections).as("one connection per cycle, to the namespace asked for")
                .containsExactly(new HostTarget(Optional.of("qf-test"), Optional.empty()),
                        new HostTarget(Optional.of("qf-test"), Optional.empty()));
    }

    @Test
    void driftIsReportedByAPlanOnlyCycleAndHealedByAnApply() {
        EngineCycle cycle = cycle(Scope.WITHOUT_GUESTS);
        cycle.run(request(Mode.APPLY));
        String tap = host.objects().stream().filter(Link.class::isInstance).map(o -> (Link) o)
                .filter(l -> l.address().endsWith("/tap")).findFirst().orElseThrow().address();
        host.remove(tap);

        CycleOutcome check = cycle.run(request(Mode.PLAN_ONLY));
        CycleOutcome heal = cycle.run(request(Mode.APPLY));

        assertThat(check.drift()).containsExactly(new Drift(tap, "link", false));
        assertThat(check.actions()).isEmpty();
        assertThat(heal.drift()).containsExactly(new Drift(tap, "link", true));
        assertThat(heal.actions()).extracting(ActionResult::address, ActionResult::result).containsExactly(
                org.assertj.core.groups.Tuple.tuple(tap, "ok"));
    }

    @Test
    void aFailedStepIsReportedWithItsErrorAndTheStepsAfterItAsSkipped() {
        EngineCycle cycle = cycle(Scope.WITHOUT_GUESTS);
        host.refuse("apply firewall", FakeHost.refusal(HostPortException.Port.FIREWALL, "apply ruleset", "nft tables inet qfence, bridge qfence",
                "the transaction was refused"));

        CycleOutcome outcome = cycle.run(request(Mode.APPLY));

        assertThat(outcome.succeeded()).isFalse();
        assertThat(outcome.errors()).singleElement().asString().contains("the transaction was refused");
        ActionResult failed = outcome.actions().stream().filter(a -> a.result().equals("failed")).findFirst().orElseThrow();
        assertThat(failed.address()).isEqualTo("firewall");
        assertThat(failed.error()).hasValueSatisfying(e -> assertThat(e).contains("the transaction was refused"));
        int at = outcome.actions().indexOf(failed);
        assertThat(outcome.actions().subList(0, at)).extracting(ActionResult::result).allMatch("ok"::equals);
        assertThat(outcome.actions().subList(at + 1, outcome.actions().size())).isNotEmpty()
                .extracting(ActionResult::result).containsOnly("skipped");
    }

    @Test
    void theEngineTakesTheStateLockInTheDaemonsStateDirectorySoTheDaemonMustNot() throws Exception {
        EngineCycle cycle = cycle(Scope.WITHOUT_GUESTS);
        assertThat(cycle.takesStateLock()).isTrue();

        try (StateLock held = StateLock.acquire(stateDir, "qfence apply")) {
            assertThatThrownBy(() -> cycle.run(request(Mode.APPLY))).isInstanceOf(LockHeldException.class)
                    .hasMessageContaining("qfence apply");
            assertThat(cycle.run(request(Mode.PLAN_ONLY)).succeeded()).as("a check only reads").isTrue();
        }
        assertThat(host.calls()).as("nothing changed while the lock was held").isEmpty();
        assertThat(cycle.run(request(Mode.APPLY)).succeeded()).isTrue();
    }

    @Test
    void theEnginesStateDirectoryMustBeTheDaemons() {
        assertThatThrownBy(() -> new EngineCycle(HostConnector.NONE, HostTarget.THIS_HOST, HostOverrides.NONE,
                Scope.WITHOUT_GUESTS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the engine's state directory must be the daemon's: set overrides.stateDir");
    }

    @Test
    void theOomKillsObservedWithEachGuestAreReportedByVmAndAGuestWhoseCountIsUnknownHasNone() {
        EngineCycle cycle = cycle(Scope.ALL);
        assertThat(cycle.run(request(Mode.APPLY)).succeeded()).isTrue();
        FakeHost.FakeGuests guests = host.new FakeGuests();
        // as the cgroup adapter reports them: the first guest was OOM-killed twice, the last one's host cannot tell
        host.guestPort(new FakeHost.ForwardingGuests(() -> guests) {
            @Override
            public List<Guest> observe(List<Guest> realized) {
                List<Guest> all = guests.observe(realized).stream().sorted(java.util.Comparator.comparing(Guest::vm)).toList();
                List<Guest> out = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) {
                    OptionalLong count = i == 0 ? OptionalLong.of(2) : i == all.size() - 1 ? OptionalLong.empty() : OptionalLong.of(0);
                    out.add(all.get(i).withRuntime(all.get(i).runtime().withOomKills(count)));
                }
                return out;
            }
        });

        HostObservation seen = cycle.run(request(Mode.PLAN_ONLY)).observation().orElseThrow();

        List<String> vms = seen.guests().stream().map(HostObservation.GuestStatus::vm).sorted().toList();
        assertThat(vms).hasSizeGreaterThan(2);
        assertThat(seen.oomKillsByVm()).containsEntry(vms.get(0), 2L).doesNotContainKey(vms.get(vms.size() - 1))
                .hasSize(vms.size() - 1).containsValues(0L);
    }
}
