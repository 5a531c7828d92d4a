package io.qfence.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.host.FakeHost;
import io.qfence.host.GuestPort;
import io.qfence.host.HostObserver;
import io.qfence.host.Progress;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.errors.HostOperationException;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanAssert;
import io.qfence.plan.Planner;
import io.qfence.realize.Realization;
import io.qfence.testing.BundledState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The applier against an in-memory host: order, verified post-conditions, stop at the first failure, batched link
 * deletions and parallel guest starts.
 */
class ApplierTest {

    static final Realization BUNDLED = BundledState.realize(FakeHost.FACTS, HostOverrides.NONE);

    static List<HostObject> desired(Scope scope) {
        return BUNDLED.objects().stream().filter(scope::includes).toList();
    }

    static ObservedHost observe(FakeHost host, Scope scope) {
        return new HostObserver(host.ports()).observe("hv1", FakeHost.FACTS, BUNDLED.objects(), "qfence.slice", scope);
    }

    static Plan plan(FakeHost host, Scope scope) {
        return Planner.plan(desired(scope), observe(host, scope));
    }

    /** Records every event as a line, e.g. {@code done 3 group.web/bridge}. */
    static final class Recorder implements ApplyListener {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void started(Step step) {
            events.add("start " + step.number() + " " + step.change().address());
        }

        @Override
        public void message(Step step, String message) {
            events.add("message " + step.number() + " " + message);
        }

        @Override
        public void finished(Step step, Duration took) {
            events.add("done " + step.number() + " " + step.change().address());
        }

        @Override
        public void failed(Step step, Duration took, HostOperationException error) {
            events.add("failed " + step.number() + " " + error.getMessage());
        }
    }

    @Test
    void aPlanIsAppliedInItsOrderEachStepIsVerifiedAndThePlanAfterwardsIsEmpty() {
        FakeHost host = new FakeHost();
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);
        Recorder events = new Recorder();

        ApplyReport report = new Applier(host.ports()).apply(plan, events);

        assertThat(report.succeeded()).isTrue();
        assertThat(report.completed()).extracting(ApplyReport.Completed::address)
                .containsExactlyElementsOf(plan.changes().stream().map(Change::address).toList());
        assertThat(host.calls().get(0)).isEqualTo("apply firewall");
        assertThat(events.events).startsWith("start 1 firewall", "done 1 firewall");
        PlanAssert.assertThat(plan(host, Scope.WITHOUT_GUESTS)).isEmpty();
    }

    @Test
    void aStepWhosePostConditionDoesNotHoldFailsNamingTheAttributeAndNothingAfterItRuns() {
        FakeHost host = new FakeHost().distort("apply group.db/cgroup", o -> {
            Cgroup c = (Cgroup) o;
            java.util.TreeMap<String, String> files = new java.util.TreeMap<>(c.files());
            files.put(files.lastKey(), "7");
            return new Cgroup(c.address(), c.path(), c.version(), files);
        });
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);
        int failing = indexOf(plan, "group.db/cgroup");

        ApplyReport report = new Applier(host.ports()).apply(plan, ApplyListener.SILENT);

        assertThat(report.failure()).get().extracting(Throwable::getMessage).asString()
                .startsWith("group.db/cgroup: post-condition failed: ").contains(" is \"7\", expected ");
        assertThat(report.completed()).hasSize(failing);
        assertThat(host.calls()).last().isEqualTo("apply group.db/cgroup");
    }

    @Test
    void consecutiveLinkCreationsAreOneBatchAndEachLinkIsVerified() {
        FakeHost host = new FakeHost();
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);
        List<String> links = plan.changes().stream().filter(c -> c.after().orElse(null) instanceof Link).map(Change::address).toList();

        ApplyReport report = new Applier(host.ports()).apply(plan, ApplyListener.SILENT);

        assertThat(report.succeeded()).isTrue();
        assertThat(links).hasSizeGreaterThan(1);
        assertThat(host.calls()).contains("create-all " + links);
        assertThat(report.completed()).extracting(ApplyReport.Completed::address).containsSubsequence(links);
        PlanAssert.assertThat(plan(host, Scope.WITHOUT_GUESTS)).isEmpty();
    }

    @Test
    void aLinkOfABatchThatDoesNotComeOutAsPlannedFailsItsOwnStepNamingTheAttribute() {
        FakeHost host = new FakeHost().distort("create group.db/bridge", o -> {
            Link l = (Link) o;
            return new Link(l.address(), l.kind(), l.name(), l.master(), l.mac(), 9000, l.up(), l.addresses(), l.ownerUid(), l.ownerGid(),
                    OptionalInt.empty(), Optional.empty(), l.portFlags());
        });
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);
        int failing = indexOf(plan, "group.db/bridge");
        Recorder events = new Recorder();

        ApplyReport report = new Applier(host.ports()).apply(plan, events);

        assertThat(report.failure()).get().extracting(Throwable::getMessage)
                .isEqualTo("group.db/bridge: post-condition failed: mtu is \"9000\", expected \"1500\"");
        assertThat(report.completed()).hasSize(failing);
        assertThat(events.events).contains("failed " + (failing + 1) + " group.db/bridge: post-condition failed: mtu is \"9000\", expected \"1500\"")
                .noneMatch(e -> e.startsWith("done " + (failing + 1) + " ") || e.startsWith("done " + (failing + 2) + " "));
    }

    @Test
    void aLinkOfABatchThatTheHostRefusesFailsItsOwnStepWithTheHostsReason() {
        FakeHost host = new FakeHost().refuse("create group.db/bridge",
                FakeHost.refusal(HostPortException.Port.LINKS, "create bridge qfb-db", "link qfb-db", 17, "File exists (EEXIST, errno 17)"));
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);
        int failing = indexOf(plan, "group.db/bridge");

        ApplyReport report = new Applier(host.ports()).apply(plan, ApplyListener.SILENT);

        assertThat(report.failure()).get().extracting(Throwable::getMessage)
                .isEqualTo("group.db/bridge: could not create it: link qfb-db: create bridge qfb-db: File exists (EEXIST, errno 17)");
        assertThat(report.completed()).hasSize(failing);
    }

    @Test
    void aRefusalByTheHostStopsTheApplyWithTheObjectAndTheHostsReason() {
        FakeHost host = new FakeHost().refuse("apply firewall", FakeHost.refusal(HostPortException.Port.FIREWALL, "apply ruleset",
                "nft tables inet qfence, bridge qfence", "Could not process rule: Operation not supported"));
        Recorder events = new Recorder();

        ApplyReport report = new Applier(host.ports()).apply(plan(host, Scope.WITHOUT_GUESTS), events);

        assertThat(report.failure()).get().extracting(Throwable::getMessage)
                .isEqualTo("firewall: could not create it: nft tables inet qfence, bridge qfence: apply ruleset: Could not process rule:"
                        + " Operation not supported");
        assertThat(host.calls()).containsExactly("apply firewall");
        assertThat(events.events).containsExactly("start 1 firewall", "failed 1 firewall: could not create it: nft tables inet qfence,"
                + " bridge qfence: apply ruleset: Could not process rule: Operation not supported");
        assertThat(host.objects()).isEmpty();
    }

    @Test
    void consecutiveLinkDeletionsAreOneTransaction() {
        FakeHost host = FakeHost.with(desired(Scope.WITHOUT_GUESTS));
        List<HostObject> withoutCi = desired(Scope.WITHOUT_GUESTS).stream().filter(o -> !o.address().startsWith("group.ci/")).toList();
        Plan plan = Planner.plan(withoutCi, observe(host, Scope.WITHOUT_GUESTS));

        ApplyReport report = new Applier(host.ports()).apply(plan, ApplyListener.SILENT);

        assertThat(report.succeeded()).isTrue();
        assertThat(host.calls()).contains("delete-all [group.ci/vm.ci-bastion/tap, group.ci/vm.ci-builder/tap, group.ci/bridge]")
                .noneMatch(c -> c.startsWith("delete group.ci/bridge"));
        PlanAssert.assertThat(Planner.plan(withoutCi, observe(host, Scope.WITHOUT_GUESTS))).isEmpty();
    }

    @Test
    void guestsStartInParallelNeverMoreThanTheBound() throws Exception {
        FakeHost host = FakeHost.with(desired(Scope.WITHOUT_GUESTS));
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CyclicBarrier pairs = new CyclicBarrier(2);
        GuestPort fast = host.new FakeGuests();
        host.guestPort(new FakeHost.ForwardingGuests(() -> fast) {
            @Override
            public void start(Guest guest, Progress progress) {
                most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    pairs.await(10, TimeUnit.SECONDS); // only returns when another start runs at the same time
                } catch (Exception e) {
                    throw new IllegalStateException("starts did not run in parallel", e);
                } finally {
                    inFlight.decrementAndGet();
                }
                super.start(guest, progress);
            }
        });
        Plan plan = plan(host, Scope.ALL);
        long starts = plan.changes().stream().filter(c -> c.action() == io.qfence.plan.Action.START).count();
        assertThat(starts).isEqualTo(8);

        ApplyReport report = new Applier(host.ports(), 2).apply(plan, ApplyListener.SILENT);

        assertThat(report.succeeded()).isTrue();
        assertThat(most.get()).isEqualTo(2);
        assertThat(report.completed()).extracting(ApplyReport.Completed::number).isSorted();
        assertThat(host.objects().stream().filter(Guest.class::isInstance).map(Guest.class::cast))
                .filteredOn(g -> g.state() == GuestState.RUNNING).hasSize(8);
    }

    /** Other guests may be booting and slow to answer their monitors: a guest's check must not wait for them. */
    @Test
    void theCheckAfterEachGuestStartAndStopLooksAtThatGuestAlone() {
        FakeHost host = FakeHost.with(desired(Scope.WITHOUT_GUESTS));
        GuestPort fast = host.new FakeGuests();
        AtomicBoolean applying = new AtomicBoolean();
        List<String> looked = Collections.synchronizedList(new ArrayList<>());
        host.guestPort(new FakeHost.ForwardingGuests(() -> fast) {
            @Override
            public List<Guest> observe(List<Guest> realized) {
                if (applying.get()) {
                    throw new AssertionError("apply observed every guest to check one");
                }
                return super.observe(realized);
            }

            @Override
            public Optional<Guest> find(Guest realized) {
                looked.add(realized.address());
                return super.find(realized);
            }
        });
        Plan starts = plan(host, Scope.ALL);
        List<String> started = starts.changes().stream().filter(c -> c.action() == io.qfence.plan.Action.START).map(Change::address).toList();
        assertThat(started).hasSize(8);

        applying.set(true);
        ApplyReport report = new Applier(host.ports(), 2).apply(starts, ApplyListener.SILENT);
        applying.set(false);

        assertThat(report.succeeded()).as(report.toString()).isTrue();
        assertThat(looked).containsExactlyInAnyOrderElementsOf(started);

        looked.clear();
        Plan stops = Planner.plan(desired(Scope.WITHOUT_GUESTS), observe(host, Scope.ALL));
        assertThat(stops.changes()).extracting(Change::action).containsOnly(io.qfence.plan.Action.STOP).hasSize(8);
        applying.set(true);
        report = new Applier(host.ports(), 2).apply(stops, ApplyListener.SILENT);
        applying.set(false);

        assertThat(report.succeeded()).as(report.toString()).isTrue();
        assertThat(looked).containsExactlyInAnyOrderElementsOf(started);
    }

    @Test
    void aGuestDoesNotStartWhenItsFirewallIsGoneWhateverThePlanSays() {
        FakeHost host = FakeHost.with(desired(Scope.WITHOUT_GUESTS));
        Plan plan = plan(host, Scope.ALL);
        host.remove("firewall");

        ApplyReport report = new Applier(host.ports()).apply(plan, ApplyListener.SILENT);

        assertThat(report.failure()).get().extracting(Throwable::getMessage).asString()
                .endsWith("precondition failed: qfence's firewall is not in place; the guest is not started");
        assertThat(host.calls()).noneMatch(c -> c.startsWith("start "));
    }

    @Test
    void aProgrammingErrorBelowThePortsIsNotDressedUpAsAHostFailure() {
        FakeHost host = new FakeHost();
        io.qfence.host.LinkPort links = host.ports().links();
        io.qfence.host.HostPorts ports = host.ports();
        io.qfence.host.HostPorts buggy = new io.qfence.host.HostPorts(ports.facts(), new io.qfence.host.LinkPort() {
            @Override
            public io.qfence.host.LinkObservation observe() {
                return links.observe();
            }

            @Override
            public java.util.Optional<io.qfence.model.host.Link> find(String name) {
                return links.find(name);
            }

            @Override
            public void create(io.qfence.model.host.Link link) {
                throw new IllegalArgumentException("a tap needs an owner uid"); // what a bug in an adapter looks like
            }

            @Override
            public void update(io.qfence.model.host.Link before, io.qfence.model.host.Link after) {
                links.update(before, after);
            }

            @Override
            public void delete(io.qfence.model.host.Link link) {
                links.delete(link);
            }
        }, ports.sysctls(), ports.firewall(), ports.cgroups(), ports.guests());
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);

        assertThatThrownBy(() -> new Applier(buggy).apply(plan, ApplyListener.SILENT))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a tap needs an owner uid");
    }

    @Test
    void aFailedStartFailsTheApplyOnceTheOtherStartsHaveFinished() {
        FakeHost host = FakeHost.with(desired(Scope.WITHOUT_GUESTS))
                .refuse("start group.db/vm.db-main", FakeHost.refusal(HostPortException.Port.GUESTS, "start", "vm db-main", "qemu exited 1"));
        Plan plan = plan(host, Scope.ALL);

        ApplyReport report = new Applier(host.ports(), 4).apply(plan, ApplyListener.SILENT);

        assertThat(report.failure()).get().extracting(Throwable::getMessage).isEqualTo("group.db/vm.db-main: could not start it: vm db-main: start: qemu exited 1");
        assertThat(report.completed()).hasSize(7);
        assertThat(report.planned()).isEqualTo(8);
    }

    @Test
    void creatingALinkWhoseNameAppearedSincePlanningIsRefusedBeforeTouchingIt() {
        FakeHost host = new FakeHost();
        Plan plan = plan(host, Scope.WITHOUT_GUESTS);
        Link bridge = (Link) BUNDLED.object("group.web/bridge").orElseThrow();
        host.put(bridge);

        ApplyReport report = new Applier(host.ports()).apply(plan, ApplyListener.SILENT);

        assertThat(report.failure()).get().extracting(Throwable::getMessage)
                .isEqualTo("group.web/bridge: precondition failed: a link named qfb-web already exists; plan again");
        assertThat(host.calls()).doesNotContain("create group.web/bridge");
    }

    private static int indexOf(Plan plan, String address) {
        for (int i = 0; i < plan.changes().size(); i++) {
            if (plan.changes().get(i).address().equals(address)) {
                return i;
            }
        }
        throw new AssertionError(address + " is not in the plan");
    }
}
