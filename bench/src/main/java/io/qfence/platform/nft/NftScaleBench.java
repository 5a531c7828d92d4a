package io.qfence.platform.nft;

import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Timings of the client at scale, printed, never asserted. A benchmark, not a test: it lives in {@code bench/} and
 * runs with {@code bench/scale nft} (bench/README.md); {@code NftNormalizationBenchmark} reuses its tables.
 */
@RequiresHost(tools = {"nft", "ip"})
class NftScaleBench {

    private static final int N = 1000;
    private static final int RUNS = 7;

    static NftTable thousandRules() {
        List<NftRule> rules = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            rules.add(new NftRule("[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qfb-" + i + "\"}},"
                    + "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":" + (1000 + i) + "}},"
                    + "{\"accept\":null}]", "qf:bench:" + i, NftRule.Effect.GRANT));
        }
        rules.add(new NftRule("[{\"counter\":\"drop_forward\"},{\"drop\":null}]", "", NftRule.Effect.RESTRICT));
        return new NftTable("inet", "qfence", List.of(new NftChain("forward", Optional.of(new NftChain.Hook("filter", "forward", 0, "drop")), rules)),
                List.of(), List.of("drop_forward"));
    }

    static String thousandRulesScript() {
        StringBuilder s = new StringBuilder("table inet qfence {\n counter drop_forward {\n }\n chain forward {\n  type filter hook forward priority 0; policy drop;\n");
        for (int i = 0; i < N; i++) {
            s.append("  iifname \"qfb-").append(i).append("\" tcp dport ").append(1000 + i).append(" accept comment \"qf:bench:").append(i).append("\"\n");
        }
        return s.append("  counter name \"drop_forward\" drop\n }\n}\n").toString();
    }

    static NftTable thousandElementSet() {
        List<String> elements = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            elements.add("{\"concat\":[\"qft-" + i + "\",\"52:54:00:00:" + String.format("%02x:%02x", i / 256, i % 256) + "\",\"10.8." + (i / 250) + "." + (i % 250 + 1) + "\"]}");
        }
        return new NftTable("bridge", "qfence",
                List.of(new NftChain("forward", Optional.of(new NftChain.Hook("filter", "forward", 0, "accept")), List.of(new NftRule(
                        "[{\"match\":{\"op\":\"!=\",\"left\":{\"concat\":[{\"meta\":{\"key\":\"iifname\"}},{\"payload\":{\"protocol\":\"ether\",\"field\":\"saddr\"}},{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}}]},\"right\":\"@allowed\"}},{\"drop\":null}]",
                        "qf:spoof", NftRule.Effect.RESTRICT)))),
                List.of(new NftSet("allowed", List.of("ifname", "ether_addr", "ipv4_addr"), List.of(), elements)), List.of());
    }

    static String thousandElementSetScript() {
        StringBuilder s = new StringBuilder("table bridge qfence {\n set allowed {\n  type ifname . ether_addr . ipv4_addr\n  elements = {\n");
        for (int i = 0; i < N; i++) {
            s.append("   \"qft-").append(i).append("\" . 52:54:00:00:").append(String.format("%02x:%02x", i / 256, i % 256))
                    .append(" . 10.8.").append(i / 250).append('.').append(i % 250 + 1).append(i + 1 < N ? ",\n" : "\n");
        }
        return s.append("  }\n }\n chain forward {\n  type filter hook forward priority 0; policy accept;\n"
                + "  iifname . ether saddr . ip saddr != @allowed drop comment \"qf:spoof\"\n }\n}\n").toString();
    }

    @Test
    void measure() {
        NftTable rules = thousandRules();
        NftTable set = thousandElementSet();
        report("client: replace, 1000-rule table, new", fresh(c -> {}, c -> c.replace(List.of(rules), List.of())));
        report("client: replace, 1000-rule table, over itself (list inventory + flush + refill)", fresh(c -> c.replace(List.of(rules), List.of()), c -> c.replace(List.of(rules), List.of())));
        report("client: check (dry run), 1000-rule table, over itself", fresh(c -> c.replace(List.of(rules), List.of()), c -> c.check(List.of(rules))));
        report("client: list + normalize, 1000-rule table", fresh(c -> c.replace(List.of(rules), List.of()), c -> c.observe("inet")));
        report("client: replace, 1 rule + 1000-element concatenated set, new", fresh(c -> {}, c -> c.replace(List.of(set), List.of())));
        report("client: replace, 1 rule + 1000-element concatenated set, over itself", fresh(c -> c.replace(List.of(set), List.of()), c -> c.replace(List.of(set), List.of())));
        report("client: list + normalize, 1000-element set", fresh(c -> c.replace(List.of(set), List.of()), c -> c.observe("bridge")));
        String rulesScript = thousandRulesScript();
        String setScript = thousandElementSetScript();
        report("cli: nft -f, 1000-rule table, new (process start included)", freshCli(ns -> {}, ns -> ns.nftScript(rulesScript)));
        report("cli: nft -f, 1000-rule table, flush and reload over itself (process start included)",
                freshCli(ns -> ns.nftScript(rulesScript), ns -> ns.nftScript("flush table inet qfence\n" + rulesScript)));
        report("cli: nft -f, 1 rule + 1000-element set, new (process start included)", freshCli(ns -> {}, ns -> ns.nftScript(setScript)));
        report("cli: nft -j list table, 1000 rules (process start included)", freshCli(ns -> ns.nftScript(rulesScript), ns -> ns.nft("-j", "list", "table", "inet", "qfence")));
        report("cli: nft --version (process start alone)", freshCli(ns -> {}, ns -> ns.nft("--version")));
    }

    interface Step<T> {
        void run(T t);
    }

    private static long[] fresh(Step<NftClient> setup, Step<NftClient> measured) {
        return repeat(() -> {
            try (NftTestNamespace ns = NftTestNamespace.create(); NftClient c = NftClient.open(ns.ns)) {
                setup.run(c);
                long t0 = System.nanoTime();
                measured.run(c);
                return System.nanoTime() - t0;
            }
        });
    }

    private static long[] freshCli(Step<NftTestNamespace> setup, Step<NftTestNamespace> measured) {
        return repeat(() -> {
            try (NftTestNamespace ns = NftTestNamespace.create()) {
                setup.run(ns);
                long t0 = System.nanoTime();
                measured.run(ns);
                return System.nanoTime() - t0;
            }
        });
    }

    private static long[] repeat(Supplier<Long> run) {
        run.get(); // warm-up: class loading, JIT, first libnftables context
        long[] times = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            times[i] = run.get();
        }
        Arrays.sort(times);
        return times;
    }

    private static void report(String what, long[] sorted) {
        System.out.printf("%-85s median %6.1f ms  (min %6.1f, max %6.1f, n=%d)%n", what, sorted[sorted.length / 2] / 1e6, sorted[0] / 1e6,
                sorted[sorted.length - 1] / 1e6, sorted.length);
    }
}
