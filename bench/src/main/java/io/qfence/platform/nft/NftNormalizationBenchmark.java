package io.qfence.platform.nft;

import io.qfence.bench.BenchRealization;
import io.qfence.bench.ScenarioGenerator;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftTable;
import io.qfence.bench.ScratchNamespace;
import io.qfence.platform.os.NetNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 * Normalizing nft's JSON listing into qfence's canonical tables (what observing the firewall costs once libnftables
 * has answered), and building the JSON transaction that replaces them. Two rulesets: {@code rules1000}, a table of
 * 1000 rules (the size), and {@code s1000}, the realized {@code inet qfence} table of the 1000-VM scenario.
 * The listings are real: set up by applying the table in a private namespace and listing it with {@code nft -j}
 * (needs root). Run through {@code bench/jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class NftNormalizationBenchmark {

    @Param({"rules1000", "s1000"})
    public String ruleset;

    private NftTable table;
    private String listing;

    @Setup
    public void setUp() throws IOException {
        table = ruleset.equals("rules1000") ? NftScaleBench.thousandRules() : realizedInetTable(1000, 200);
        try (ScratchNamespace scratch = ScratchNamespace.create("jmh")) {
            NetNamespace ns = scratch.namespace();
            try (NftClient nft = NftClient.open(ns)) {
                nft.replace(List.of(table), List.of());
            }
            Process p = new ProcessBuilder("nsenter", "--net=" + ns.path(), "nft", "-j", "list", "table", "inet", "qfence").start();
            listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("nft -j list failed");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        if (!normalize().table().equals(table)) {
            throw new IllegalStateException("the listing does not normalize back to the table");
        }
    }

    static NftTable realizedInetTable(int vms, int groups) throws IOException {
        Path dir = Files.createTempDirectory("qfence-bench-jmh-");
        try {
            ScenarioGenerator.write(dir, vms, groups, ScenarioGenerator.Variant.BASE);
            Firewall fw = BenchRealization.realize(dir, "qfence-bench").firewall();
            return fw.tables().stream().filter(t -> t.family().equals("inet")).findFirst().orElseThrow();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Benchmark
    public ObservedTable normalize() {
        return Normalizer.normalize(listing, "inet", "qfence");
    }

    /** The JSON transaction buffer that adds the table (what a cold apply sends to libnftables). */
    @Benchmark
    public String transactionBuffer() {
        return TransactionBuffer.replace(List.of(table), Map.of(), List.of());
    }
}
