package io.qfence.bench;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Plan;
import io.qfence.plan.Planner;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pure half of a reconcile, in process, on the bench's scenarios: loading the desired state, realizing it, and
 * planning against a host that already matches it (the no-op every drift interval pays) or against an empty host
 * (cold apply). Run through {@code bench/jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class PlannerBenchmark {

    @Param({"100", "1000", "5000"})
    public int vms;

    private Path dir;
    private DesiredState state;
    private Realization realization;
    private ObservedHost converged;
    private ObservedHost empty;

    @Setup
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("qfence-bench-jmh-");
        ScenarioGenerator.write(dir, vms, vms / (vms >= 5000 ? 10 : 5), ScenarioGenerator.Variant.BASE);
        state = BenchRealization.load(dir);
        realization = realize();
        converged = new ObservedHost(ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE, asObserved(realization.objects()),
                List.of(), List.of(), List.of());
        empty = ObservedHost.empty(ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private Realization realize() {
        return Realizer.realize(state, ScenarioGenerator.HOST, BenchRealization.THIS_MACHINE, LocalDate.of(2026, 1, 1));
    }

    /** What observation returns on a converged host: rules without their effect, no trace of stopped guests. */
    static List<HostObject> asObserved(List<HostObject> objects) {
        List<HostObject> out = new ArrayList<>();
        for (HostObject o : objects) {
            if (o instanceof Firewall f) {
                List<NftTable> tables = new ArrayList<>();
                for (NftTable t : f.tables()) {
                    tables.add(new NftTable(t.family(), t.name(), t.chains().stream().map(c -> new NftChain(c.name(), c.hook(),
                            c.rules().stream().map(r -> new NftRule(r.expr(), r.comment(), NftRule.Effect.UNKNOWN)).toList())).toList(),
                            t.sets(), t.counters()));
                }
                out.add(new Firewall(f.address(), tables));
            } else if (!(o instanceof Guest g && g.state() == GuestState.STOPPED)) {
                out.add(o);
            }
        }
        return out;
    }

    @Benchmark
    public Realization realizeDesiredState() {
        return realize();
    }

    @Benchmark
    public Plan planNoOp() {
        Plan p = Planner.plan(realization.objects(), converged);
        if (!p.isEmpty()) {
            throw new IllegalStateException("a converged host must plan nothing: " + p.summary());
        }
        return p;
    }

    @Benchmark
    public Plan planCold() {
        return Planner.plan(realization.objects(), empty);
    }
}
