package io.qfence.bench;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Digests;
import io.qfence.plan.Planner;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The pure steps of a reconcile at one scale, timed in this thread's CPU time as well as wall time: on a shared
 * machine CPU time is what the code costs, wall time also what the neighbours cost. A quick complement to JMH
 * (which reports wall time): {@code CpuTimes VMS [ITERATIONS]}.
 */
public final class CpuTimes {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuTimes() {}

    public static void main(String[] args) throws Exception {
        int vms = Integer.parseInt(args[0]);
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path dir = Files.createTempDirectory("qfence-bench-cpu-");
        ScenarioGenerator.write(dir, vms, vms / (vms >= 5000 ? 10 : 5), ScenarioGenerator.Variant.BASE);
        DesiredState state = BenchRealization.load(dir);
        LocalDate today = LocalDate.of(2026, 1, 1);
        Realization r = Realizer.realize(state, ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE, today);
        List<HostObject> observed = PlannerBenchmark.asObserved(r.objects());
        ObservedHost converged = new ObservedHost(ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE, observed, List.of(), List.of(), List.of());
        ObservedHost empty = ObservedHost.empty(ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE);
        time("load", iterations, () -> DesiredStateLoader.loadDirectory(dir));
        time("realize", iterations, () -> Realizer.realize(state, ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE, today));
        time("plan no-op", iterations, () -> Planner.plan(r.objects(), converged));
        time("plan cold", iterations, () -> Planner.plan(r.objects(), empty));
        time("digest (desired)", iterations, () -> Digests.of(r.objects()));
    }

    static void time(String what, int iterations, Supplier<?> work) {
        for (int i = 0; i < Math.max(3, iterations / 2); i++) {
            work.get();
        }
        List<Long> cpu = new ArrayList<>();
        List<Long> wall = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            long c0 = THREADS.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            work.get();
            wall.add(System.nanoTime() - w0);
            cpu.add(THREADS.getCurrentThreadCpuTime() - c0);
        }
        cpu.sort(null);
        wall.sort(null);
        System.out.printf(Locale.ROOT, "%-18s cpu %8.1f ms (min %8.1f)   wall %8.1f ms (min %8.1f)%n", what, cpu.get(iterations / 2) / 1e6,
                cpu.get(0) / 1e6, wall.get(iterations / 2) / 1e6, wall.get(0) / 1e6);
    }
}
