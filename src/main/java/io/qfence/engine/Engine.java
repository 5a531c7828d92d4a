package io.qfence.engine;

import io.qfence.apply.Applier;
import io.qfence.apply.ApplyListener;
import io.qfence.apply.ApplyReport;
import io.qfence.apply.LastAppliedObjects;
import io.qfence.apply.StateLock;
import io.qfence.host.HostObserver;
import io.qfence.host.HostPorts;
import io.qfence.host.OwnDirectories;
import io.qfence.host.Scope;
import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Host;
import io.qfence.model.errors.HostOperationException;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Digests;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanCodec;
import io.qfence.plan.PlanOptions;
import io.qfence.plan.Planner;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.source.LoadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One reconcile cycle, usable by the CLI now and the daemon later: load the desired state, realize it for the host
 * (with its {@code HostOverrides}), observe the host, plan, and, when asked, apply under the state lock. Every phase is
 * timed on its own ({@link Timings}).
 *
 * <p>The shape follows the java-operator-sdk's reconcile loop: read the actual state, match it against the desired
 * state, act, and report. Unlike an operator, a cycle is not retried here: the daemon decides when the next one runs.
 *
 * <ul>
 *   <li>{@link #plan} is read-only: no lock, nothing written.</li>
 *   <li>{@link #apply} takes the state lock ({@code stateDir/qfence.lock}) before it observes, so the plan it applies
 *       cannot be overtaken by another apply, asks the {@link PlanApproval}, applies, and after a complete success records
 *       the realization as the last applied one ({@link LastAppliedObjects}), which later plans use to tell drift.</li>
 *   <li>{@link #applySaved} applies a plan made earlier, after checking (under the lock) that the host is still
 *       exactly as it was when the plan was made.</li>
 * </ul>
 *
 * Failures of the input (invalid desired state, unknown host, held lock, stale saved plan) and of observing the host
 * (a port's {@link io.qfence.model.errors.HostPortException}, before anything changes) are thrown as
 * {@link io.qfence.model.errors.QfenceException}s; a failed apply step is part of the result ({@link Cycle.EngineOutcome#FAILED}).
 */
public final class Engine {

    private final HostPorts host;
    private final Clock clock;
    private final int parallelStarts;
    private final LastAppliedObjects.Reader lastAppliedReader = new LastAppliedObjects.Reader();

    public Engine(HostPorts host, Clock clock) {
        this(host, clock, Applier.DEFAULT_PARALLEL_STARTS);
    }

    public Engine(HostPorts host, Clock clock, int parallelStarts) {
        this.host = Objects.requireNonNull(host, "host");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.parallelStarts = parallelStarts;
    }

    /** Load, realize, observe and plan; changes nothing. */
    public Cycle plan(CycleRequest request) {
        Prepared p = prepare(request);
        Planned planned = observeAndPlan(p, request.scope());
        return planned.cycle(Cycle.EngineOutcome.PLANNED, Optional.empty());
    }

    /**
     * A whole cycle: plan under the state lock, ask {@code approval}, apply, record.
     *
     * @param lockHolder how this process names itself in the lock file, e.g. {@code qfence apply}
     * @throws io.qfence.model.errors.LockHeldException when another apply or the daemon holds the lock
     */
    public Cycle apply(CycleRequest request, PlanApproval approval, ApplyListener listener, String lockHolder) {
        Prepared p = prepare(request);
        if (approval.asks()) {
            return applyAsked(request, p, approval, listener, lockHolder);
        }
        return underLock(p, lockHolder, () -> {
            Planned planned = observeAndPlan(p, request.scope());
            return withoutChanges(planned, () -> record(p, request.scope(), planned))
                    .orElseGet(() -> applyPlanned(p, request.scope(), planned, planned.plan, approval, listener, true));
        });
    }

    /**
     * The cycle of a plan that cannot be applied or has nothing to change, or empty when it has changes. A host that
     * matches with no record of a last apply gets one ({@code recordFirstMatch}): a true record to tell drift from later.
     */
    private static Optional<Cycle> withoutChanges(Planned planned, Runnable recordFirstMatch) {
        if (!planned.plan.isApplicable()) {
            return Optional.of(planned.cycle(Cycle.EngineOutcome.NOT_APPLICABLE, Optional.empty()));
        }
        if (planned.plan.isEmpty()) {
            if (planned.lastApplied.isEmpty()) {
                recordFirstMatch.run();
            }
            return Optional.of(planned.cycle(Cycle.EngineOutcome.NO_CHANGES, Optional.empty()));
        }
        return Optional.empty();
    }

    /** Runs {@code body} holding the state lock; a lock that fails (not one that is held) is the host's failure. */
    private <T> T underLock(Prepared p, String lockHolder, java.util.function.Supplier<T> body) {
        try (StateLock lock = lock(p, lockHolder)) {
            return body.get();
        } catch (IOException e) {
            throw new HostOperationException("host", "the state lock in " + p.stateDir + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * A person is asked: plan without the lock (a "no" writes nothing), then, on "yes", take the lock, observe again and
     * apply the approved plan only if the host is still as it was planned against (as for a saved plan).
     */
    private Cycle applyAsked(CycleRequest request, Prepared p, PlanApproval approval, ApplyListener listener, String lockHolder) {
        Planned planned = observeAndPlan(p, request.scope());
        Plan plan = planned.plan;
        Optional<Cycle> settled = withoutChanges(planned, () -> underLock(p, lockHolder, () -> {
            record(p, request.scope(), planned);
            return null;
        }));
        if (settled.isPresent()) {
            return settled.get();
        }
        if (!approval.approve(plan, List.copyOf(planned.warnings), planned.observed.facts())) {
            return planned.cycle(Cycle.EngineOutcome.DECLINED, Optional.empty());
        }
        return underLock(p, lockHolder, () -> {
            Planned fresh = observeAndPlan(p, request.scope());
            PlanCodec.requireFresh(plan, fresh.observed);
            return applyPlanned(p, request.scope(), planned, plan, PlanApproval.AUTO, listener, true);
        });
    }

    /**
     * Applies a saved plan ({@code plan --out}) if the host is still as observed when it was made.
     *
     * @throws io.qfence.model.errors.StalePlanException when the host changed since
     */
    public Cycle applySaved(CycleRequest request, Plan saved, PlanApproval approval, ApplyListener listener, String lockHolder) {
        Prepared p = prepare(request);
        if (!saved.host().equals(p.host.name())) {
            throw new UsageException("the saved plan is for host '" + saved.host() + "', not for '" + p.host.name() + "'");
        }
        if (approval.asks() && saved.isApplicable() && !saved.isEmpty()) {
            // ask before the lock, so that a "no" writes nothing; the lock below checks freshness again
            Planned before = observeAndPlan(p, request.scope());
            PlanCodec.requireFresh(saved, before.observed);
            Planned asked = before.with(saved);
            if (!approval.approve(saved, List.copyOf(asked.warnings), asked.observed.facts())) {
                return asked.cycle(Cycle.EngineOutcome.DECLINED, Optional.empty());
            }
            approval = PlanApproval.AUTO;
        }
        PlanApproval decided = approval; // AUTO once asked above
        return underLock(p, lockHolder, () -> {
            Planned fresh = observeAndPlan(p, request.scope());
            PlanCodec.requireFresh(saved, fresh.observed);
            Planned planned = fresh.with(saved);
            if (!saved.isApplicable()) {
                return planned.cycle(Cycle.EngineOutcome.NOT_APPLICABLE, Optional.empty());
            }
            if (saved.isEmpty()) {
                return planned.cycle(Cycle.EngineOutcome.NO_CHANGES, Optional.empty());
            }
            boolean sameDesired = saved.desiredDigest().equals(Digests.of(p.desired(request.scope())));
            if (!sameDesired) {
                planned.warnings.add("the desired state changed since this plan was made: it is applied as reviewed, and the record of the "
                        + "last apply is left as it was (the next plan shows what remains)");
            }
            return applyPlanned(p, request.scope(), planned, saved, decided, listener, sameDesired);
        });
    }

    private Cycle applyPlanned(Prepared p, Scope scope, Planned planned, Plan plan, PlanApproval approval, ApplyListener listener,
                               boolean recordOnSuccess) {
        if (!approval.approve(plan, List.copyOf(planned.warnings), planned.observed.facts())) {
            return planned.cycle(Cycle.EngineOutcome.DECLINED, Optional.empty());
        }
        long t0 = System.nanoTime();
        ApplyReport report = new Applier(p.ports, parallelStarts).apply(plan, listener);
        planned.timings = planned.timings.withApply(Duration.ofNanos(System.nanoTime() - t0));
        if (report.succeeded() && recordOnSuccess) {
            record(p, scope, planned);
        }
        return planned.cycle(report.succeeded() ? Cycle.EngineOutcome.APPLIED : Cycle.EngineOutcome.FAILED, Optional.of(report));
    }

    // ---- phases

    /** What load and realize give, before the host is looked at. */
    private static final class Prepared {
        String revision;
        Host host;
        Realization realization;
        Path stateDir;
        /** The host's ports, with the guest port bound to this host's directories. */
        HostPorts ports;
        final List<String> warnings = new ArrayList<>();
        Duration load;
        Duration facts;
        Duration realize;

        List<HostObject> desired(Scope scope) {
            return realization.objects().stream().filter(scope::includes).toList();
        }
    }

    /** What observing and planning add. */
    private static final class Planned {
        final Prepared prepared;
        final ObservedHost observed;
        final Plan plan;
        final Optional<List<HostObject>> lastApplied;
        final List<HostObject> desired;
        final List<String> warnings;
        Timings timings;

        Planned(Prepared prepared, ObservedHost observed, Plan plan, Optional<List<HostObject>> lastApplied, List<HostObject> desired,
                List<String> warnings, Timings timings) {
            this.prepared = prepared;
            this.observed = observed;
            this.plan = plan;
            this.lastApplied = lastApplied;
            this.desired = desired;
            this.warnings = warnings;
            this.timings = timings;
        }

        Planned with(Plan other) {
            return new Planned(prepared, observed, other, lastApplied, desired, warnings, timings);
        }

        Cycle cycle(Cycle.EngineOutcome outcome, Optional<ApplyReport> applied) {
            return new Cycle(prepared.host.name(), prepared.revision, outcome, desired, observed, plan, warnings, applied, timings);
        }
    }

    private Prepared prepare(CycleRequest request) {
        Prepared p = new Prepared();
        long t0 = System.nanoTime();
        LoadResult loaded = request.source().load();
        // Invariants are judged on the state as committed, before any override of this run.
        DesiredState committed = InvariantGate.require(loaded, LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC));
        loaded.warnings().stream().map(Diagnostic::toString).forEach(p.warnings::add);
        DesiredState state = request.overrides().applyTo(committed);
        p.load = Duration.ofNanos(System.nanoTime() - t0);

        p.revision = state.revision();
        p.host = HostSelection.choose(state, request.host());
        long tf = System.nanoTime();
        HostFacts facts = host.facts().facts();
        p.facts = Duration.ofNanos(System.nanoTime() - tf);

        long t1 = System.nanoTime();
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        p.realization = Realizer.realize(state, p.host.name(), facts, today);
        p.realization.warnings().stream().map(Diagnostic::toString).forEach(p.warnings::add);
        p.stateDir = Path.of(p.host.stateDir());
        p.ports = host.withGuests(host.guests().forHost(p.host));
        p.realize = Duration.ofNanos(System.nanoTime() - t1);
        return p;
    }

    private Planned observeAndPlan(Prepared p, Scope scope) {
        List<String> warnings = new ArrayList<>(p.warnings);
        long t0 = System.nanoTime();
        ObservedHost observed = new HostObserver(p.ports).observe(p.host.name(), p.realization.facts(), p.realization.objects(),
                p.host.cgroupParent(), scope);
        List<HostObject> outOfScope = outOfScope(p, scope);
        Duration observe = Duration.ofNanos(System.nanoTime() - t0);

        long t1 = System.nanoTime();
        Optional<List<HostObject>> last = lastApplied(p.stateDir, warnings);
        List<HostObject> desired = p.desired(scope);
        Plan plan = Planner.plan(desired, observed, new PlanOptions(last.map(l -> l.stream().filter(scope::includes).toList()), outOfScope));
        plan = Preflight.check(plan, p.stateDir, p.ports.guests());
        Duration planning = Duration.ofNanos(System.nanoTime() - t1);
        return new Planned(p, observed, plan, last, desired, warnings,
                new Timings(p.load, p.facts, p.realize, observe, planning, Optional.empty()));
    }

    /**
     * With guests or the network out of scope, they are still looked at (not planned): the planner refuses a plan that
     * would take a running guest's tap, cgroup or firewall restrictions away, and it needs the guests that run and
     * the bridges their taps are ports of to tell (issue 22: {@code apply --scope firewall} had removed the rules of a
     * running user-mode guest whose VM was no longer desired).
     */
    private List<HostObject> outOfScope(Prepared p, Scope scope) {
        java.util.EnumSet<Scope.Part> missing = java.util.EnumSet.of(Scope.Part.NETWORK, Scope.Part.GUESTS);
        missing.removeIf(scope::includes);
        if (missing.isEmpty()) {
            return List.of();
        }
        return new HostObserver(p.ports).observe(p.host.name(), p.realization.facts(), p.realization.objects(), p.host.cgroupParent(),
                new Scope(missing)).objects().stream().filter(o -> o instanceof Guest || o instanceof io.qfence.model.host.Link).toList();
    }

    private Optional<List<HostObject>> lastApplied(Path stateDir, List<String> warnings) {
        try {
            return lastAppliedReader.read(stateDir);
        } catch (LastAppliedObjects.Unreadable e) {
            warnings.add(e.getMessage() + "; planning without it (differences are not labelled as drift)");
            return Optional.empty();
        }
    }

    private StateLock lock(Prepared p, String holder) throws IOException {
        if (!Files.isDirectory(p.stateDir)) {
            // root's 0700; missing directories above it 0755, so that a runDir beside it stays reachable for the VMs' uids
            OwnDirectories.create(p.stateDir, PosixFilePermissions.fromString("rwx------"));
        }
        return StateLock.acquire(p.stateDir, holder);
    }

    /** The previous record's out-of-scope objects, and the realization's in-scope ones. */
    private static void record(Prepared p, Scope scope, Planned planned) {
        List<HostObject> objects = new ArrayList<>();
        planned.lastApplied.ifPresent(l -> l.stream().filter(o -> !scope.includes(o)).forEach(objects::add));
        objects.addAll(p.desired(scope));
        try {
            LastAppliedObjects.write(p.stateDir, objects);
        } catch (IOException e) {
            planned.warnings.add("the record of this apply could not be written to " + p.stateDir + ": " + e.getMessage()
                    + "; later plans cannot tell drift until it is");
        }
    }
}
