package io.qfence.daemon;

import io.qfence.apply.ApplyListener;
import io.qfence.apply.ApplyReport;
import io.qfence.apply.Step;
import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.PlanSummary;
import io.qfence.engine.PlanApproval;
import io.qfence.engine.Cycle;
import io.qfence.engine.Engine;
import io.qfence.host.HostConnector;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.CounterSample;
import io.qfence.model.errors.HostOperationException;
import io.qfence.model.host.Guest;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.Summary;
import io.qfence.source.LoadResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's {@link ReconcileCycle} on a real host: each cycle connects to the host, runs {@link Engine} (the same
 * cycle as {@code qfence apply}: realize with the overrides, observe, plan, apply under {@code stateDir/qfence.lock},
 * record), disconnects, and turns the engine's {@link Cycle} into the journal's plain values.
 *
 * <p>It connects per cycle rather than once: a cycle every interval costs a few sockets, and a daemon that outlives a
 * namespace or a cgroup mount picks up the new one instead of holding the old. The engine takes the state lock itself
 * ({@link #takesStateLock()}); a lock held by {@code qfence apply} reaches the daemon as
 * {@link io.qfence.model.errors.LockHeldException}, and the cycle is skipped.
 */
public final class EngineCycle implements ReconcileCycle {

    /** How the daemon names itself in the state lock file, for {@code qfence apply}'s message when it finds it held. */
    public static final String LOCK_HOLDER = ReconcileDaemon.LOCK_COMMAND;

    private final HostConnector connector;
    private final HostTarget target;
    private final HostOverrides overrides;
    private final Scope scope;

    /**
     * @param overrides re-root the host; their {@code stateDir} must be the daemon's, so that the daemon, the engine and
     *                  {@code qfence apply --state-dir} share one state lock and one record of the last apply
     * @param scope     the parts of the host the daemon keeps; without guests, guests are left alone
     */
    public EngineCycle(HostConnector connector, HostTarget target, HostOverrides overrides, Scope scope) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.target = Objects.requireNonNull(target, "target");
        this.overrides = Objects.requireNonNull(overrides, "overrides");
        this.scope = Objects.requireNonNull(scope, "scope");
        if (overrides.stateDir().isEmpty()) {
            throw new IllegalArgumentException("the engine's state directory must be the daemon's: set overrides.stateDir");
        }
    }

    @Override
    public boolean takesStateLock() {
        return true;
    }

    @Override
    public CycleOutcome run(ConvergeRequest request) {
        io.qfence.engine.CycleRequest engineRequest = new io.qfence.engine.CycleRequest(
                () -> new LoadResult(Optional.of(request.state()), List.of()), Optional.of(request.host()), overrides, scope);
        try (HostPorts ports = connector.connect(target)) {
            // "today" for expiring exceptions is the daemon's: the cycle realizes as of the daemon's clock
            Engine engine = new Engine(ports, Clock.fixed(request.now(), ZoneOffset.UTC));
            StepResults steps = new StepResults();
            Cycle cycle = request.mode() == ConvergeRequest.Mode.APPLY
                    ? engine.apply(engineRequest, PlanApproval.AUTO, steps, LOCK_HOLDER)
                    : engine.plan(engineRequest);
            return outcome(cycle, steps);
        }
    }

    /** What the applier said about each step, by its number; guests start in parallel, hence the concurrent map. */
    static final class StepResults implements ApplyListener {
        private final Map<Integer, ActionResult> results = new ConcurrentHashMap<>();

        @Override
        public void finished(Step step, Duration took) {
            results.put(step.number(), result(step, "ok", took, Optional.empty()));
        }

        @Override
        public void failed(Step step, Duration took, HostOperationException error) {
            results.put(step.number(), result(step, "failed", took, Optional.ofNullable(error.getMessage())));
        }

        private static ActionResult result(Step step, String outcome, Duration took, Optional<String> error) {
            return new ActionResult(step.change().address(), String.join(",", step.change().actionNames()), outcome,
                    took.toMillis(), error);
        }
    }

    /** The engine's cycle as the journal records it: every change of an applied plan, in order, ok, failed or skipped. */
    static CycleOutcome outcome(Cycle cycle, StepResults steps) {
        Plan plan = cycle.plan();
        Summary s = plan.summary();
        PlanSummary summary = new PlanSummary(s.add() + s.start(), s.change(), s.destroy() + s.stop());
        List<String> errors = new ArrayList<>();
        switch (cycle.outcome()) {
            case NOT_APPLICABLE -> errors.addAll(plan.errors());
            case DECLINED -> errors.add("the plan was declined");
            default -> { }
        }
        cycle.applied().flatMap(ApplyReport::failure).ifPresent(f -> errors.add(f.getMessage()));
        List<ActionResult> actions = new ArrayList<>();
        Set<String> healed = new HashSet<>();
        if (cycle.applied().isPresent()) {
            for (int i = 0; i < plan.changes().size(); i++) {
                Change c = plan.changes().get(i);
                ActionResult result = steps.results.getOrDefault(i + 1,
                        new ActionResult(c.address(), String.join(",", c.actionNames()), "skipped", 0, Optional.empty()));
                actions.add(result);
                if (result.result().equals("ok")) {
                    healed.add(c.address());
                }
            }
        }
        List<Drift> drift = plan.drift().stream()
                .map(c -> new Drift(c.address(), c.kind().jsonName(), healed.contains(c.address())))
                .toList();
        return new CycleOutcome(Optional.of(planDigest(plan)), Optional.of(summary), actions, drift, errors,
                cycle.timings().apply(), Optional.of(observation(cycle)));
    }

    /** A plan is identified by where it starts and where it ends: the observed and the desired digests. */
    static String planDigest(Plan plan) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest((plan.observedDigest() + "\n" + plan.desiredDigest())
                    .getBytes(StandardCharsets.UTF_8));
            return "sha256:" + java.util.HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /**
     * Guests, their VM cgroups' OOM kills and nft drop counters as observed before planning. A guest whose count the
     * host cannot tell (no memory controller, an old v1 kernel) has no OOM series rather than a false zero.
     */
    static HostObservation observation(Cycle cycle) {
        List<Guest> observed = cycle.observed().objects().stream().filter(Guest.class::isInstance).map(Guest.class::cast).toList();
        List<HostObservation.GuestStatus> guests = observed.stream()
                .map(g -> new HostObservation.GuestStatus(g.vm(), g.group(), g.state())).toList();
        TreeMap<String, Long> oomKills = new TreeMap<>();
        for (Guest g : observed) {
            g.runtime().oomKills().ifPresent(n -> oomKills.put(g.vm(), n));
        }
        TreeMap<String, Long> drops = new TreeMap<>();
        for (CounterSample c : cycle.observed().counters()) {
            drops.merge(c.table() + "/" + c.counter(), c.packets(), Long::sum);
        }
        return new HostObservation(guests, oomKills, drops);
    }
}
