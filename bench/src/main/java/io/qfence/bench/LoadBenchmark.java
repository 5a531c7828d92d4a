package io.qfence.bench;

import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Loading (parse, schema, bind, validate) a scenario's desired-state directory, the first step of every cycle. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class LoadBenchmark {

    @Param({"100", "1000", "5000"})
    public int vms;

    private Path dir;

    @Setup
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("qfence-bench-jmh-");
        ScenarioGenerator.write(dir, vms, vms / (vms >= 5000 ? 10 : 5), ScenarioGenerator.Variant.BASE);
    }

    @TearDown
    public void tearDown() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public LoadResult loadDirectory() {
        LoadResult r = DesiredStateLoader.loadDirectory(dir);
        if (!r.ok()) {
            throw new IllegalStateException(r.errors().toString());
        }
        return r;
    }
}
