package io.qfence.bench;

import io.qfence.app.Main;
import io.qfence.engine.Cycle;
import io.qfence.engine.CycleRequest;
import io.qfence.engine.DesiredStateSource;
import io.qfence.engine.Engine;
import io.qfence.engine.Timings;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The no-op reconcile as the daemon pays it every drift interval: one warm JVM, the real engine on the live host
 * ({@link Main#liveHost()}), read-only cycles ({@link Engine#plan}) against a sandbox that already matches the desired
 * state. Prints one JSON object per line and measured cycle ({@link Records} reads them for bench/run):
 *
 * <pre>{"cycle":N,"load_ms":…,"facts_ms":…,"realize_ms":…,"observe_ms":…,"plan_ms":…,"changes":N,"thread_cpu_ms":…,"process_cpu_ms":…}</pre>
 *
 * times in milliseconds ({@code changes} is the plan's number of changes, 0 for a no-op). Thread CPU is this thread's
 * user+system time for the whole cycle; process CPU adds the JIT and the collector.
 *
 * <p>Usage: {@code EngineCycles DIR NETNS CGROUP_PARENT STATE_DIR RUN_DIR SCOPE WARMUP CYCLES}
 */
public final class EngineCycles {

    private EngineCycles() {}

    public static void main(String[] args) {
        if (args.length != 8) {
            System.err.println("usage: EngineCycles DIR NETNS CGROUP_PARENT STATE_DIR RUN_DIR SCOPE WARMUP CYCLES");
            System.exit(64);
        }
        Path dir = Path.of(args[0]);
        HostTarget target = new HostTarget(Optional.of(args[1]), Optional.empty());
        HostOverrides overrides = new HostOverrides(Optional.empty(), Optional.of(args[4]), Optional.of(args[3]), Optional.of(args[2]));
        Scope scope = Scope.parse(args[5]);
        int warmup = Integer.parseInt(args[6]);
        int cycles = Integer.parseInt(args[7]);
        Clock clock = Clock.systemUTC();
        CycleRequest request = new CycleRequest(DesiredStateSource.directory(dir, clock), Optional.empty(), overrides, scope);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (HostPorts ports = Main.liveHost().connect(target)) {
            Engine engine = new Engine(ports, clock);
            for (int i = 1; i <= warmup + cycles; i++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long proc0 = os.getProcessCpuTime();
                Cycle cycle = engine.plan(request);
                long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                long proc = os.getProcessCpuTime() - proc0;
                if (i > warmup) {
                    Timings t = cycle.timings();
                    // one JSON object per line, read by io.qfence.bench.Records (bench/run), not by column
                    System.out.printf(Locale.ROOT, "{\"cycle\":%d,\"load_ms\":%.3f,\"facts_ms\":%.3f,\"realize_ms\":%.3f,"
                                    + "\"observe_ms\":%.3f,\"plan_ms\":%.3f,\"changes\":%d,\"thread_cpu_ms\":%.3f,\"process_cpu_ms\":%.3f}%n",
                            i - warmup, ms(t.load()), ms(t.facts()), ms(t.realize()), ms(t.observe()), ms(t.plan()),
                            cycle.plan().changes().size(), cpu / 1e6, proc / 1e6);
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("engine cycles failed: " + e.getMessage(), e);
        }
    }

    private static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }
}
