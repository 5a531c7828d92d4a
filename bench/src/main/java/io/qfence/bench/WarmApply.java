package io.qfence.bench;

import io.qfence.app.Main;
import io.qfence.apply.ApplyListener;
import io.qfence.apply.Step;
import io.qfence.engine.PlanApproval;
import io.qfence.engine.Cycle;
import io.qfence.engine.CycleRequest;
import io.qfence.engine.DesiredStateSource;
import io.qfence.engine.Engine;
import io.qfence.engine.Timings;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.plan.ObjectKind;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cold apply (an empty sandbox to converged) as a long-running qfence pays it, for example the daemon when a commit
 * brings a thousand new VMs: the real engine on the live host in a JVM that has already applied the same scenario
 * before. Each repetition gets a fresh namespace and a fresh cgroup parent, so every measured apply starts from an
 * empty host exactly as the CLI's cold apply does; what differs from it is only the JVM start, class loading and a
 * cold JIT. Prints one JSON object per line and measured apply ({@link Records} reads them for bench/run):
 *
 * <pre>{"apply":N,"wall_ms":…,"load_ms":…,"facts_ms":…,"realize_ms":…,"observe_ms":…,"plan_ms":…,"apply_ms":…,"changes":N,
 *  "links_ms":…,"firewall_ms":…,"cgroups_ms":…}</pre>
 *
 * times in milliseconds, {@code wall_ms} from the request to the converged host; the last three split the apply phase
 * by kind of object (each kind's steps, post-conditions included). Namespaces are named
 * {@code $QFENCE_BENCH_TAG-warm-...} ({@link ScratchNamespace}) and cgroup parents are {@code CGROUP_PARENT/warm-N}, so
 * {@code bench/run}'s cleanup removes both should this JVM die; this class removes them at its end.
 *
 * <p>Usage: {@code WarmApply DIR CGROUP_PARENT STATE_ROOT SCOPE WARMUP REPS}
 */
public final class WarmApply {


    private WarmApply() {}

    public static void main(String[] args) {
        if (args.length != 6) {
            System.err.println("usage: WarmApply DIR CGROUP_PARENT STATE_ROOT SCOPE WARMUP REPS");
            System.exit(64);
        }
        Path dir = Path.of(args[0]);
        String cgroupParent = args[1];
        Path stateRoot = Path.of(args[2]);
        Scope scope = Scope.parse(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int reps = Integer.parseInt(args[5]);
        Clock clock = Clock.systemUTC();
        // every namespace and cgroup subtree is removed only at the end: the kernel's cleanup of a namespace of a
        // thousand links takes seconds and would slow the next apply (bench/run waits for it after this JVM)
        List<ScratchNamespace> namespaces = new ArrayList<>();
        List<String> parents = new ArrayList<>();
        try {
            for (int i = 1; i <= warmup + reps; i++) {
                String parent = cgroupParent + "/warm-" + i;
                parents.add(parent);
                ScratchNamespace ns = ScratchNamespace.create("warm");
                namespaces.add(ns);
                Path state = Files.createDirectories(stateRoot.resolve("warm-" + i).resolve("state"));
                Path run = Files.createDirectories(stateRoot.resolve("warm-" + i).resolve("run"));
                HostOverrides overrides = new HostOverrides(Optional.empty(), Optional.of(run.toString()),
                        Optional.of(state.toString()), Optional.of(parent));
                CycleRequest request = new CycleRequest(DesiredStateSource.directory(dir, clock), Optional.empty(),
                        overrides, scope);
                HostTarget target = new HostTarget(Optional.of(ns.namespace().name()), Optional.empty());
                KindTimes kinds = new KindTimes();
                long t0 = System.nanoTime();
                Cycle cycle;
                try (HostPorts ports = Main.liveHost().connect(target)) {
                    cycle = new Engine(ports, clock).apply(request, PlanApproval.AUTO, kinds, "qfence bench");
                }
                long wall = System.nanoTime() - t0;
                if (cycle.outcome() != Cycle.EngineOutcome.APPLIED) {
                    throw new IllegalStateException("apply " + i + " ended " + cycle.outcome() + ": "
                            + cycle.applied().flatMap(r -> r.failure()).map(Throwable::getMessage).orElse(""));
                }
                if (i > warmup) {
                    Timings t = cycle.timings();
                    // one JSON object per line, read by io.qfence.bench.Records (bench/run), not by column
                    System.out.printf(Locale.ROOT, "{\"apply\":%d,\"wall_ms\":%.3f,\"load_ms\":%.3f,\"facts_ms\":%.3f,"
                                    + "\"realize_ms\":%.3f,\"observe_ms\":%.3f,\"plan_ms\":%.3f,\"apply_ms\":%.3f,\"changes\":%d,"
                                    + "\"links_ms\":%.3f,\"firewall_ms\":%.3f,\"cgroups_ms\":%.3f}%n", i - warmup,
                            wall / 1e6, ms(t.load()), ms(t.facts()), ms(t.realize()), ms(t.observe()), ms(t.plan()),
                            ms(t.apply().orElse(Duration.ZERO)), cycle.plan().changes().size(), kinds.millis(ObjectKind.LINK),
                            kinds.millis(ObjectKind.FIREWALL), kinds.millis(ObjectKind.CGROUP));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            namespaces.forEach(ScratchNamespace::close);
            parents.forEach(WarmApply::removeCgroups);
        }
    }

    /**
     * The apply phase's time per kind of object: the union of its steps' spans (a batched run of link creations
     * reports every link over the same span, which counts once).
     */
    private static final class KindTimes implements ApplyListener {
        private final Map<Integer, Long> started = new ConcurrentHashMap<>();
        private final Map<ObjectKind, List<long[]>> spans = new ConcurrentHashMap<>();

        @Override
        public void started(Step step) {
            started.put(step.number(), System.nanoTime());
        }

        @Override
        public void finished(Step step, Duration took) {
            long end = System.nanoTime();
            long begin = started.getOrDefault(step.number(), end - took.toNanos());
            spans.computeIfAbsent(step.change().kind(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(new long[] {begin, end});
        }

        double millis(ObjectKind kind) {
            List<long[]> all = new ArrayList<>(spans.getOrDefault(kind, List.of()));
            all.sort(Comparator.comparingLong(a -> a[0]));
            long total = 0;
            long coveredTo = Long.MIN_VALUE;
            for (long[] span : all) {
                long from = Math.max(span[0], coveredTo);
                if (span[1] > from) {
                    total += span[1] - from;
                }
                coveredTo = Math.max(coveredTo, span[1]);
            }
            return total / 1e6;
        }
    }

    /**
     * The repetition's cgroup subtree in every hierarchy (or the one v2 directory), children first, by qfence's own
     * adapter on this host's layout; empty (no guests run in the scale scenarios).
     */
    private static void removeCgroups(String parent) {
        new CgroupFs(CgroupLayout.detect()).remove(parent);
    }

    private static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }
}
