package io.qfence.verify;

import io.qfence.host.GuestPort;
import io.qfence.model.errors.QfenceException;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.host.Sandbox.Listener;
import io.qfence.host.Sandbox.Probe;
import io.qfence.host.Sandbox.ProbeProtocol;
import io.qfence.host.Sandbox.ProbeResult;
import io.qfence.host.SandboxFactory;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.Guest;
import io.qfence.realize.FlowProtocol;
import io.qfence.plan.diff.FlowSets;
import io.qfence.plan.diff.ReachabilityGraph;
import io.qfence.plan.explain.Explainer;
import io.qfence.plan.explain.Explanation;
import io.qfence.plan.explain.InvariantCoverage;
import io.qfence.realize.Reachability;
import io.qfence.realize.ReachabilityRelation;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code qfence verify}: proves the isolation of a desired state on a throwaway copy of its host. It realizes the
 * desired state with probe guests in place of the VMs on a {@link Sandbox}, puts it in place there
 * ({@link SandboxApply}), probes every cell of the {@link ProbePlan} from inside the guests and from outside, and
 * compares each outcome with the reachability relation. The sandbox is always torn down.
 */
public final class Verifier {

    public static final String SANDBOX_PREFIX = "qfence-verify";
    /** How many passes a silent cell gets before its silence counts as "not reached". */
    static final int ATTEMPTS = 3;

    private final SandboxFactory sandboxes;
    private final SandboxApply apply;

    public Verifier(SandboxFactory sandboxes, SandboxApply apply) {
        this.sandboxes = Objects.requireNonNull(sandboxes, "sandboxes");
        this.apply = Objects.requireNonNull(apply, "apply");
    }

    public VerifyReport verify(DesiredState state, String host, VerifyOptions options) {
        Progress progress = options.progress();
        Map<String, Duration> phases = new LinkedHashMap<>();
        long t = System.nanoTime();
        Sandbox sandbox = sandboxes.create(SANDBOX_PREFIX, options.probeImages(), progress);
        Map<String, Duration> boot = new ConcurrentHashMap<>();
        List<VerifyReport.CellResult> results = new ArrayList<>();
        ProbeWorld world;
        int passes;
        List<VerifyReport.Confined> confinement;
        Map<String, Explanation> explanations;
        ReachabilityGraph graph;
        Map<String, Integer> attempts = new HashMap<>();
        ProbePlan plan;
        ReachabilityRelation relation;
        try {
            Realization original = Realizer.realize(state, host, sandbox.facts(), options.today());
            relation = Reachability.of(original);
            world = ProbeWorld.choose(original.policy(), InvariantVerdict.namedBlocks(state));
            plan = ProbePlan.of(original.policy(), relation, world, InvariantVerdict.coverage(state, relation));
            explanations = explanations(state, original, plan, options.today());
            graph = graph(state, host, relation);
            DesiredState probes = sandbox.overrides().applyTo(ProbeStandIns.transform(state, host, original.policy(), plan.vmPorts()));
            Realization realization = Realizer.realize(probes, host, sandbox.facts(), options.today());
            if (!Reachability.of(realization).equals(relation)) {
                throw new IllegalStateException("the probe guests would change the policy; refusing to verify a different one");
            }
            connect(sandbox, plan, realization, progress);
            phases.put("sandbox", since(t));

            t = System.nanoTime();
            Map<String, Guest> guests = new LinkedHashMap<>();
            realization.objects(Guest.class).forEach(g -> guests.put(g.vm(), g));
            progress.step("verify", "applying the realization with " + guests.size() + " probe guests (" + plan.cells().size() + " cells to probe)");
            ExecutorService consoles = Executors.newFixedThreadPool(Math.max(1, guests.size()), daemon("verify-console"));
            Map<String, Future<?>> ready = new ConcurrentHashMap<>();
            try {
                GuestPort timed = timedStarts(sandbox, options, boot, consoles, ready, progress);
                apply.apply(sandbox, timed, realization, progress);
                listenOnHost(sandbox, plan, realization, progress);
                phases.put("apply", since(t));
                options.afterApply().accept(new VerifyOptions.Applied(sandbox, realization));
                confinement = confinement(sandbox, guests, progress);

                t = System.nanoTime();
                for (Map.Entry<String, Future<?>> f : ready.entrySet()) {
                    await(f.getValue(), "the console of " + f.getKey());
                }
                phases.put("boot", since(t));
            } finally {
                consoles.shutdownNow();
            }

            t = System.nanoTime();
            progress.step("verify", "probing " + plan.cells().size() + " cells: every source probes all of its cells at once");
            Map<String, ProbeResult> observed = new HashMap<>(runPass(sandbox, guests, plan.cells(), "pass 1", progress));
            passes = 1;
            // Silence is weak evidence: a lost exchange (a guest that did not run for seconds on a busy machine, a
            // neighbour entry still resolving) looks the same as a drop. So every silent cell, allowed or denied, is
            // probed again, up to ATTEMPTS passes in all: a leak would have to be silent every time to be missed, and an
            // allowed cell is reported unreachable only after ATTEMPTS silent passes. Only an answer from the intended
            // listener counts as reach, so retries can never invent a leak.
            for (int attempt = 2; attempt <= ATTEMPTS; attempt++) {
                List<ProbeCell> silent = plan.cells().stream().filter(c -> !judge(c, observed.get(c.id())).observed()).toList();
                if (silent.isEmpty()) {
                    break;
                }
                long allowed = silent.stream().filter(ProbeCell::expected).count();
                progress.step("verify", "pass " + attempt + " of " + ATTEMPTS + ": the " + silent.size() + " cells that got no answer"
                        + (allowed == 0 ? "" : " (" + allowed + " of them allowed: answers were lost)"));
                passes++;
                for (Map.Entry<String, ProbeResult> r : runPass(sandbox, guests, silent, "pass " + attempt, progress).entrySet()) {
                    if (r.getValue().answered()) {
                        observed.put(r.getKey(), r.getValue());
                        attempts.put(r.getKey(), attempt);
                    }
                }
            }
            for (ProbeCell c : plan.cells()) {
                VerifyReport.CellResult r = judge(c, observed.get(c.id()));
                Integer attempt = attempts.get(c.id());
                results.add(attempt == null ? r : new VerifyReport.CellResult(c, r.observed(), r.wrongTarget(), r.evidence() + " (pass " + attempt + ")"));
            }
            phases.put("probes", since(t));
        } finally {
            t = System.nanoTime();
            sandbox.close();
            phases.put("teardown", since(t));
        }
        return new VerifyReport(host, state.revision(), sandbox.name(), world, results, boot, phases, passes, sandbox.teardownReport(),
                confinement).explained(explanations, graph).judged(InvariantVerdict.judge(state, relation, plan.queries(), results));
    }

    /** Each cell's explanation, as {@code qfence explain} gives it for the cell's question (pure). */
    public static Map<String, Explanation> explanations(DesiredState state, Realization original, ProbePlan plan, java.time.LocalDate today) {
        Map<String, Explanation> out = new LinkedHashMap<>();
        InvariantCoverage invariants = InvariantCoverage.of(state, today);
        plan.queries().forEach((id, q) -> out.put(id, Explainer.explain(state, original, q, invariants)));
        return out;
    }

    /** The relation's group-level picture (pure). */
    public static ReachabilityGraph graph(DesiredState state, String host, ReachabilityRelation relation) {
        Map<String, String> vmGroups = new java.util.TreeMap<>();
        state.groups().forEach(g -> g.vms().forEach(v -> vmGroups.put(v.name(), g.name())));
        return ReachabilityGraph.of(FlowSets.from(relation, host), vmGroups);
    }

    /**
     * Every guest's confinement as its QEMU really has it (read from {@code /proc} by the guest port's observation),
     * judged against the layers its realization requires: the host's settings (AppArmor, the jail), seccomp, the
     * VM's uid with no groups, capabilities or privilege gain, its cgroup, no file open outside its own.
     */
    private static List<VerifyReport.Confined> confinement(Sandbox sandbox, Map<String, Guest> realized, Progress progress) {
        Map<String, Guest> observed = new HashMap<>();
        sandbox.guests().observe(List.copyOf(realized.values())).forEach(g -> observed.put(g.vm(), g));
        List<VerifyReport.Confined> confined = new ArrayList<>();
        for (Guest g : realized.values()) {
            Optional<io.qfence.model.host.GuestConfinement> found = Optional.ofNullable(observed.get(g.vm())).flatMap(o -> o.runtime().confinement());
            List<io.qfence.model.host.ConfinementLayers.MissingLayer> missing = io.qfence.model.host.ConfinementLayers.missing(g, found);
            confined.add(new VerifyReport.Confined(g.vm(), found, missing));
            missing.forEach(m -> progress.step(g.address(), "confinement: " + m.message()));
        }
        long lacking = confined.stream().filter(c -> !c.missing().isEmpty()).count();
        progress.step("verify", "confinement of " + confined.size() + " guests read from /proc: "
                + (lacking == 0 ? "every layer their host requires is there" : lacking + " lack a layer their host requires"));
        return confined;
    }

    /** The uplink to the outside world, then the listeners of the host and of the stand-ins. */
    private static void connect(Sandbox sandbox, ProbePlan plan, Realization realization, Progress progress) {
        ProbeWorld world = plan.world();
        List<Ipv4Cidr> toHost = realization.policy().networks().stream().map(n -> n.subnet()).toList();
        sandbox.connectOutside(new Sandbox.OutsideWorld(world.hostAddress(), world.routerAddress(), world.uplink().prefixLength(),
                world.outsideAddresses(), toHost), progress);
        List<Listener> listeners = new ArrayList<>();
        List<Ipv4Address> standIns = new ArrayList<>();
        standIns.add(world.internet());
        standIns.addAll(world.prefixes().values());
        for (Ipv4Address a : standIns.stream().distinct().toList()) {
            plan.outsidePorts().tcp().forEach(p -> listeners.add(new Listener(Listener.Side.OUTSIDE, Optional.of(a), ProbeProtocol.TCP, p, "QF-NET-OK " + a)));
            plan.outsidePorts().udp().forEach(p -> listeners.add(new Listener(Listener.Side.OUTSIDE, Optional.of(a), ProbeProtocol.UDP, p, "QF-NET-OK " + a)));
        }
        sandbox.listen(listeners);
        progress.step("sandbox", listeners.size() + " listeners on the stand-ins " + standIns);
    }

    /**
     * The host's listeners, once its addresses exist: TCP on all of them; UDP on each address (the uplink's, the
     * loopback, each routed group's gateway), so that every answer leaves from the address it was sent to.
     */
    private static void listenOnHost(Sandbox sandbox, ProbePlan plan, Realization realization, Progress progress) {
        List<Ipv4Address> addresses = new ArrayList<>(List.of(plan.world().hostAddress(), Ipv4Address.parse("127.0.0.1")));
        realization.policy().networks().stream().filter(n -> n.routed()).forEach(n -> addresses.add(n.subnet().gateway()));
        List<Listener> listeners = new ArrayList<>();
        plan.hostPorts().tcp().forEach(p -> listeners.add(new Listener(Listener.Side.HOST, Optional.empty(), ProbeProtocol.TCP, p, "QF-HOST-OK")));
        for (Ipv4Address a : addresses) {
            plan.hostPorts().udp().forEach(p -> listeners.add(new Listener(Listener.Side.HOST, Optional.of(a), ProbeProtocol.UDP, p, "QF-HOST-OK")));
        }
        sandbox.listen(listeners);
        progress.step("sandbox", listeners.size() + " listeners on the host, at " + addresses);
    }

    /** Starts guests through the sandbox, timing each, and waits for its console in the background once it runs. */
    private static GuestPort timedStarts(Sandbox sandbox, VerifyOptions options, Map<String, Duration> boot, ExecutorService consoles,
                                         Map<String, Future<?>> ready, Progress progress) {
        return GuestPort.startingThrough(sandbox.guests(), (inner, guest, p) -> {
            long begin = System.nanoTime();
            inner.start(options.startAs().apply(guest), p);
            ready.put(guest.vm(), consoles.submit(() -> {
                sandbox.awaitConsole(guest, options.bootTimeout());
                Duration took = since(begin);
                boot.put(guest.vm(), took);
                progress.step(guest.address(), String.format("booted: console answers %.1f s after the start", took.toMillis() / 1000.0));
            }));
        });
    }

    /**
     * One pass over {@code cells}: every source at once, each on its own thread (a guest's agent runs all of its
     * probes at once too). The listeners of the guests, the host and the stand-ins serve any number of peers.
     */
    private static Map<String, ProbeResult> runPass(Sandbox sandbox, Map<String, Guest> guests, List<ProbeCell> cells, String name,
                                                    Progress progress) {
        long begin = System.nanoTime();
        Map<String, List<ProbeCell>> bySource = new LinkedHashMap<>();
        cells.forEach(c -> bySource.computeIfAbsent(c.source(), s -> new ArrayList<>()).add(c));
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, bySource.size()), daemon("verify-probe"));
        try {
            Map<String, Future<List<ProbeResult>>> futures = new LinkedHashMap<>();
            Map<String, Duration> took = new ConcurrentHashMap<>();
            for (Map.Entry<String, List<ProbeCell>> e : bySource.entrySet()) {
                List<ProbeCell> mine = e.getValue();
                List<Probe> probes = mine.stream().map(Verifier::probe).toList();
                Optional<String> vm = mine.get(0).sourceVm();
                futures.put(e.getKey(), pool.submit(() -> {
                    long start = System.nanoTime();
                    try {
                        return vm.isPresent()
                                ? sandbox.probeFromGuest(guests.get(vm.get()), probes)
                                : sandbox.probeFromOutside(Ipv4Address.parse(e.getKey().substring("outside ".length())), probes);
                    } finally {
                        took.put(e.getKey(), since(start));
                    }
                }));
            }
            Map<String, ProbeResult> results = new HashMap<>();
            for (Map.Entry<String, Future<List<ProbeResult>>> f : futures.entrySet()) {
                try {
                    f.getValue().get().forEach(r -> results.put(r.id(), r));
                } catch (ExecutionException e) {
                    String why = "probing from " + f.getKey() + " failed: " + e.getCause().getMessage();
                    bySource.get(f.getKey()).forEach(c -> results.put(c.id(), new ProbeResult(c.id(), false, why)));
                }
            }
            long answered = results.values().stream().filter(ProbeResult::answered).count();
            Map.Entry<String, Duration> slowest = took.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
            progress.step("verify", String.format(java.util.Locale.ROOT, "%s: %d cells from %d sources in %.1f s (slowest %s: %d cells, %.1f s), %d answered",
                    name, cells.size(), bySource.size(), since(begin).toMillis() / 1000.0, slowest.getKey(), bySource.get(slowest.getKey()).size(),
                    slowest.getValue().toMillis() / 1000.0, answered));
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing", e);
        } finally {
            pool.shutdownNow();
        }
    }

    static Probe probe(ProbeCell c) {
        ProbeProtocol protocol = switch (c.protocol()) {
            case TCP -> ProbeProtocol.TCP;
            case UDP -> ProbeProtocol.UDP;
            case ICMP -> ProbeProtocol.ICMP;
            case ANY -> throw new IllegalArgumentException("cells have concrete protocols");
        };
        return new Probe(c.id(), protocol, c.address(), c.port());
    }

    /** Allowed only when the intended endpoint answered; an answer from anyone else is always a mismatch. */
    static VerifyReport.CellResult judge(ProbeCell c, ProbeResult r) {
        if (r == null) {
            return new VerifyReport.CellResult(c, false, false, "not probed");
        }
        if (!r.answered()) {
            return new VerifyReport.CellResult(c, false, false, r.answer().isEmpty() ? "no answer" : r.answer());
        }
        if (c.protocol() == FlowProtocol.ICMP || r.answer().startsWith(c.banner())) {
            return new VerifyReport.CellResult(c, true, false, r.answer());
        }
        return new VerifyReport.CellResult(c, true, true, "answered by someone else: " + r.answer());
    }

    private static void await(Future<?> f, String what) {
        try {
            f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof QfenceException failure) {
                throw failure; // a port's failure (a console that never answered) keeps its words and exit code
            }
            throw new IllegalStateException(what + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what, e);
        }
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread th = new Thread(r, name);
            th.setDaemon(true);
            return th;
        };
    }
}
