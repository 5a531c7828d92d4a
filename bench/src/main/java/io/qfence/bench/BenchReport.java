package io.qfence.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Turns a run's raw timings ({@code raw.tsv}: scenario, method, measure, repetition, value, unit) into the table per
 * scenario (median and min..max of each method, and the ratios qfence/script and qfence/near-limit) and the same as
 * JSON, with the machine it ran on.
 *
 * <p>Usage: {@code BenchReport WORK_DIR OUT_JSON NAME:VMS:GROUPS...}; the table goes to stdout.
 */
public final class BenchReport {

    /** The measures of the table, in order, with their labels. */
    static final Map<String, String> MEASURES = new LinkedHashMap<>();

    static {
        MEASURES.put("cold", "cold apply");
        MEASURES.put("cold_warm", "cold apply, warm process");
        MEASURES.put("noop", "no-op reconcile");
        MEASURES.put("noop_cli", "no-op, one CLI run");
        MEASURES.put("vm_change", "change one VM");
        MEASURES.put("exception_change", "change one exception");
        MEASURES.put("teardown", "teardown");
        MEASURES.put("peak_rss", "peak RSS");
        MEASURES.put("netns_delete_returns", "netns delete returns");
        MEASURES.put("netns_delete_rtnl_free", "netns delete, RTNL free");
    }

    /** The real-guest scenario's measures (GuestLatency), in order, with their labels. */
    static final Map<String, String> GUEST_MEASURES = new LinkedHashMap<>();

    static {
        GUEST_MEASURES.put("start_running", "apply start to all running");
        GUEST_MEASURES.put("start_booted", "apply start to all booted");
        GUEST_MEASURES.put("start_apply", "start apply (CLI, wall)");
        GUEST_MEASURES.put("start_apply.first_guest", "  first guest start step");
        GUEST_MEASURES.put("start_apply.cpu", "  qfence CPU (user+sys)");
        GUEST_MEASURES.put("start_step_median", "one guest's start step (median)");
        GUEST_MEASURES.put("start_spawn_to_running_median", "  spawn to running (median)");
        GUEST_MEASURES.put("start_jail_own_median", "  the jail's own time (median)");
        for (String phase : GuestLatency.JAIL_PHASES) {
            GUEST_MEASURES.put("start_jail_" + phase + "_median", "    " + phase);
        }
        GUEST_MEASURES.put("stop_guest_median", "stop one guest (median)");
        GUEST_MEASURES.put("stop_guest_max", "stop one guest (slowest)");
        GUEST_MEASURES.put("stop_powerdown", "  ended by power button");
        GUEST_MEASURES.put("stop_quit", "  ended by quit");
        GUEST_MEASURES.put("stop_sigkill", "  ended by SIGKILL");
        GUEST_MEASURES.put("stop_apply", "stop apply (CLI, wall)");
        GUEST_MEASURES.put("stop_apply.cpu", "  qfence CPU (user+sys)");
        GUEST_MEASURES.put("peak_rss", "qfence peak RSS");
    }

    static final List<String> METHODS = List.of("qfence", "script", "near");

    /**
     * A qfence measure whose baselines are another measure's: the cold apply in a warm process (WarmApply) does the
     * same work on the host as the CLI's cold apply, so it is compared with the same baseline runs.
     */
    static final Map<String, String> BASELINE_OF = Map.of("cold_warm", "cold");
    /**
     * qfence's own timings of a measure: load+facts+realize ("prepare"), observe, plan, apply (and, where measured,
     * the apply phase's links, firewall and cgroups steps, post-conditions included); CPU; peak RSS.
     */
    static final List<String> PHASES = List.of("prepare", "observe", "plan", "apply", "apply_links", "apply_firewall",
            "apply_cgroups", "cycle_cpu", "rss");

    record Sample(String scenario, String method, String measure, int rep, double value, String unit) {}

    record Stats(double median, double min, double max, int n, String unit) {
        static Optional<Stats> of(List<Sample> samples) {
            if (samples.isEmpty()) {
                return Optional.empty();
            }
            List<Double> v = samples.stream().map(Sample::value).sorted().toList();
            int n = v.size();
            double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
            return Optional.of(new Stats(median, v.get(0), v.get(n - 1), n, samples.get(0).unit()));
        }
    }

    private BenchReport() {}

    public static void main(String[] args) throws IOException {
        Path work = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<Sample> samples = new ArrayList<>();
        for (String line : Files.readAllLines(work.resolve("raw.tsv"), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            samples.add(new Sample(f[0], f[1], f[2], Integer.parseInt(f[3]), Double.parseDouble(f[4]), f[5]));
        }
        Map<String, String> machine = new LinkedHashMap<>();
        for (String line : Files.readAllLines(work.resolve("machine.env"), StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                machine.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("format_version", 1);
        ObjectNode m = root.putObject("machine");
        machine.forEach(m::put);
        ArrayNode scenarios = root.putArray("scenarios");
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "qfence benchmark, %s: %s cores (%s), %s MiB, kernel %s, load average %s at start, %s at end; %s repetitions%n",
                machine.get("date"), machine.get("cores"), machine.get("cpu"), machine.get("mem_total_mib"), machine.get("kernel"),
                machine.get("loadavg_start"), machine.get("loadavg_end"), machine.get("reps")));
        for (int i = 2; i < args.length; i++) {
            String[] spec = args[i].split(":");
            String name = spec[0];
            if (spec[2].equals("guests")) {
                guests(samples, scenarios.addObject(), name, Integer.parseInt(spec[1]), text);
                continue;
            }
            ObjectNode s = scenarios.addObject();
            s.put("name", name);
            s.put("vms", Integer.parseInt(spec[1]));
            s.put("groups", Integer.parseInt(spec[2]));
            s.put("network_and_firewall_only", Integer.parseInt(spec[1]) >= 5000);
            Path counts = work.resolve("baselines").resolve(name).resolve("base").resolve("counts.json");
            if (Files.exists(counts)) {
                s.set("objects", mapper.readTree(counts.toFile()));
            }
            ObjectNode measures = s.putObject("measures");
            text.append('\n').append(header(name, spec, s)).append('\n');
            text.append(String.format(Locale.ROOT, "  %-26s %-22s %-22s %-22s %9s %9s%n", "measure", "qfence", "script way", "near-limit",
                    "q/script", "q/near"));
            for (var e : MEASURES.entrySet()) {
                Map<String, Stats> byMethod = new TreeMap<>();
                for (String method : METHODS) {
                    String measure = method.equals("qfence") ? e.getKey() : BASELINE_OF.getOrDefault(e.getKey(), e.getKey());
                    Stats.of(select(samples, name, method, measure)).ifPresent(st -> byMethod.put(method, st));
                }
                if (!byMethod.containsKey("qfence") && BASELINE_OF.containsKey(e.getKey())) {
                    continue; // only the borrowed baselines: nothing of qfence's to compare
                }
                if (byMethod.isEmpty()) {
                    continue;
                }
                ObjectNode me = measures.putObject(e.getKey());
                byMethod.forEach((method, st) -> stats(me.putObject(method), st));
                Optional<Double> rs = ratio(byMethod, "script");
                Optional<Double> rn = ratio(byMethod, "near");
                rs.ifPresent(r -> me.put("ratio_qfence_script", round(r)));
                rn.ifPresent(r -> me.put("ratio_qfence_near", round(r)));
                text.append(String.format(Locale.ROOT, "  %-26s %-22s %-22s %-22s %9s %9s%n", e.getValue(), cell(byMethod.get("qfence")),
                        cell(byMethod.get("script")), cell(byMethod.get("near")), rs.map(BenchReport::ratioText).orElse("-"),
                        rn.map(BenchReport::ratioText).orElse("-")));
                Map<String, Stats> cpu = new TreeMap<>();
                for (String method : METHODS) {
                    Stats.of(select(samples, name, method, e.getKey() + ".cpu")).ifPresent(st -> cpu.put(method, st));
                }
                if (!cpu.isEmpty()) {
                    ObjectNode mc = measures.putObject(e.getKey() + "_cpu");
                    cpu.forEach((method, st) -> stats(mc.putObject(method), st));
                    text.append(String.format(Locale.ROOT, "  %-26s %-22s %-22s %-22s %9s %9s%n", "  CPU (user+sys)", cell(cpu.get("qfence")),
                            cell(cpu.get("script")), cell(cpu.get("near")), ratio(cpu, "script").map(BenchReport::ratioText).orElse("-"),
                            ratio(cpu, "near").map(BenchReport::ratioText).orElse("-")));
                }
                for (String phase : PHASES) {
                    Optional<Stats> ph = Stats.of(select(samples, name, "qfence", e.getKey() + "." + phase));
                    if (ph.isPresent()) {
                        stats(me.with("qfence_phases").putObject(phase), ph.get());
                        text.append(String.format(Locale.ROOT, "    %-24s %-22s%n", "qfence " + phase, cell(ph.get())));
                    }
                }
            }
        }
        ArrayNode targets = root.putArray("targets");
        targets(samples, targets, text);
        jailCost(samples, targets, text);
        Files.createDirectories(out.toAbsolutePath().getParent());
        mapper.writeValue(out.toFile(), root);
        System.out.print(text);
    }

    /** The real-guest scenario {@code name}: {@code guests} probe guests started, booted and stopped by qfence. */
    static void guests(List<Sample> samples, ObjectNode s, String name, int guests, StringBuilder text) {
        s.put("name", name);
        s.put("guests", guests);
        s.put("real_guests", true);
        ObjectNode measures = s.putObject("measures");
        text.append('\n').append(name).append(": ").append(guests).append(guests == 1 ? " real guest" : " real guests")
                .append(" (probe kernel and initramfs, TCG, 96 MiB each; at most 4 starts at a time)\n");
        text.append(String.format(Locale.ROOT, "  %-32s %-22s%n", "measure", "qfence"));
        for (var e : GUEST_MEASURES.entrySet()) {
            Optional<Stats> st = Stats.of(select(samples, name, "qfence", e.getKey()));
            if (st.isEmpty()) {
                continue;
            }
            stats(measures.putObject(e.getKey()), st.get());
            text.append(String.format(Locale.ROOT, "  %-32s %-22s%n", e.getValue(), cell(st.get())));
        }
    }

    /**
     * The targets, judged on the medians of this run (wall time; the CPU time is shown beside where the load
     * of a shared machine makes wall times unreliable). A target whose scenario was not run is left out.
     */
    static void targets(List<Sample> samples, ArrayNode json, StringBuilder text) {
        text.append(String.format(Locale.ROOT, "%nTargets (issue 7), on the medians above:%n"));
        Optional<Stats> cold = Stats.of(select(samples, "s1000", "qfence", "cold"));
        Optional<Stats> coldScript = Stats.of(select(samples, "s1000", "script", "cold"));
        Optional<Stats> coldNear = Stats.of(select(samples, "s1000", "near", "cold"));
        Optional<Stats> coldCpu = Stats.of(select(samples, "s1000", "qfence", "cold.cpu"));
        Optional<Stats> coldNearCpu = Stats.of(select(samples, "s1000", "near", "cold.cpu"));
        if (cold.isPresent() && coldScript.isPresent()) {
            double speedup = coldScript.get().median() / cold.get().median();
            target(json, text, "s1000 cold apply at least 10x faster than the script way", speedup >= 10,
                    String.format(Locale.ROOT, "%.1fx faster (%s against %s)", speedup, cell(cold.get()), cell(coldScript.get())));
        }
        if (cold.isPresent() && coldNear.isPresent()) {
            double r = cold.get().median() / coldNear.get().median();
            String cpu = coldCpu.isPresent() && coldNearCpu.isPresent() && coldNearCpu.get().median() > 0
                    ? String.format(Locale.ROOT, "; CPU %.1fx", coldCpu.get().median() / coldNearCpu.get().median()) : "";
            target(json, text, "s1000 cold apply within 1.5x of the near-limit", r <= 1.5,
                    String.format(Locale.ROOT, "%.1fx (%s against %s)%s", r, cell(cold.get()), cell(coldNear.get()), cpu));
        }
        Optional<Stats> coldWarm = Stats.of(select(samples, "s1000", "qfence", "cold_warm"));
        if (coldWarm.isPresent() && coldNear.isPresent()) {
            double r = coldWarm.get().median() / coldNear.get().median();
            target(json, text, "s1000 cold apply in a warm process (as the daemon applies) within 1.5x of the near-limit",
                    r <= 1.5, String.format(Locale.ROOT, "%.1fx (%s against %s)", r, cell(coldWarm.get()), cell(coldNear.get())));
        }
        Optional<Stats> noop = Stats.of(select(samples, "s1000", "qfence", "noop"));
        noop.ifPresent(st -> target(json, text, "s1000 no-op reconcile (observe + plan, in process) under 300 ms", st.median() < 0.3,
                cell(st) + Stats.of(select(samples, "s1000", "qfence", "noop.observe")).map(o -> ", of which observe " + cell(o)).orElse("")));
        Optional<Stats> noop100 = Stats.of(select(samples, "s100", "qfence", "noop"));
        Optional<Stats> noop5000 = Stats.of(select(samples, "s5000", "qfence", "noop"));
        if (noop100.isPresent() && noop5000.isPresent()) {
            // s5000 is network and firewall only, so its per-VM cost is, if anything, flattered; said in the README
            double perVm100 = noop100.get().median() / 100;
            double perVm5000 = noop5000.get().median() / 5000;
            target(json, text, "no-op reconcile grows no worse than linearly from 100 to 5000 VMs", perVm5000 <= perVm100,
                    String.format(Locale.ROOT, "%.2f ms per VM at 100, %.2f at 5000 (%s, %s)", perVm100 * 1000, perVm5000 * 1000,
                            cell(noop100.get()), cell(noop5000.get())));
        }
        Stats.of(select(samples, "s1000", "qfence", "exception_change.apply")).ifPresent(st -> target(json, text,
                "s1000 one exception change under 100 ms of apply (one nft transaction)", st.median() < 0.1, cell(st)));
        Stats.of(select(samples, "s1000", "qfence", "teardown")).ifPresent(st -> target(json, text,
                "s1000 teardown well under 25 s (here: under half)", st.median() < 12.5, cell(st)));
        Stats.of(select(samples, "s1000", "qfence", "peak_rss")).ifPresent(st -> target(json, text,
                "s1000 peak RSS under 256 MiB", st.max() < 256, cell(st) + " (the largest: " + Math.round(st.max()) + " MiB)"));
    }

    /** Issue 16's target: at most this much more per guest start with the jail than without. */
    static final double JAIL_TARGET_SECONDS = 0.1;

    /**
     * The guest jail's cost per start (issue 16), for every guest count run both with the jail ({@code gN}) and
     * without ({@code gN-nojail}, {@code QFENCE_BENCH_JAIL=both}): the difference of the medians of one guest's start
     * step (apply's step: the jail's contents, the launch, QMP, the checks, {@code cont}) and of spawn to running, with
     * the range of the differences paired by repetition (both made one after the other, under the same load). Without
     * the runs to compare, the jail's own time (what the launcher measured of it) is judged instead, and said so.
     */
    static void jailCost(List<Sample> samples, ArrayNode json, StringBuilder text) {
        java.util.TreeSet<String> counts = new java.util.TreeSet<>(java.util.Comparator.comparingInt(Integer::parseInt));
        samples.stream().filter(x -> x.scenario().matches("g\\d+") && x.measure().equals("start_step_median"))
                .forEach(x -> counts.add(x.scenario().substring(1)));
        if (counts.isEmpty()) {
            return;
        }
        text.append(String.format(Locale.ROOT, "%nThe guest jail's cost per start (issue 16), with the jail against without:%n"));
        boolean allCompared = true;
        boolean met = true;
        List<String> measured = new ArrayList<>();
        for (String n : counts) {
            String jail = "g" + n;
            String off = "g" + n + "-nojail";
            Optional<Stats> own = Stats.of(select(samples, jail, "qfence", "start_jail_own_median"));
            Optional<Stats> step = Stats.of(select(samples, jail, "qfence", "start_step_median"));
            Optional<Stats> stepOff = Stats.of(select(samples, off, "qfence", "start_step_median"));
            String ownText = own.map(o -> String.format(Locale.ROOT, "the jail's own time %.0f ms", o.median() * 1000)).orElse("");
            if (step.isPresent() && stepOff.isPresent()) {
                double d = step.get().median() - stepOff.get().median();
                List<Double> paired = paired(samples, jail, off, "start_step_median");
                Optional<Stats> spawn = Stats.of(select(samples, jail, "qfence", "start_spawn_to_running_median"));
                Optional<Stats> spawnOff = Stats.of(select(samples, off, "qfence", "start_spawn_to_running_median"));
                String line = String.format(Locale.ROOT, "%s: start step %+.0f ms (%s against %s; paired by repetition %s)", jail, d * 1000,
                        cell(step.get()), cell(stepOff.get()), range(paired))
                        + (spawn.isPresent() && spawnOff.isPresent()
                                ? String.format(Locale.ROOT, ", spawn to running %+.0f ms", (spawn.get().median() - spawnOff.get().median()) * 1000) : "")
                        + (ownText.isEmpty() ? "" : ", " + ownText);
                text.append("  ").append(line).append('\n');
                measured.add(String.format(Locale.ROOT, "%s %+.0f ms", jail, d * 1000));
                met &= d <= JAIL_TARGET_SECONDS;
            } else {
                allCompared = false;
                text.append("  ").append(jail).append(": no run without the jail to compare (QFENCE_BENCH_JAIL=both)")
                        .append(ownText.isEmpty() ? "" : "; " + ownText).append('\n');
                if (own.isPresent()) {
                    measured.add(String.format(Locale.ROOT, "%s own time %.0f ms", jail, own.get().median() * 1000));
                    met &= own.get().median() <= JAIL_TARGET_SECONDS;
                }
            }
        }
        if (!measured.isEmpty()) {
            target(json, text, "the jail adds at most 100 ms per guest start" + (allCompared ? "" : " (partly judged on the jail's own time only)"),
                    met, String.join(", ", measured));
        }
    }

    /** Per repetition, {@code measure} of {@code a} minus that of {@code b}. */
    static List<Double> paired(List<Sample> samples, String a, String b, String measure) {
        List<Double> out = new ArrayList<>();
        for (Sample x : select(samples, a, "qfence", measure)) {
            select(samples, b, "qfence", measure).stream().filter(y -> y.rep() == x.rep()).findFirst().ifPresent(y -> out.add(x.value() - y.value()));
        }
        return out;
    }

    private static String range(List<Double> diffs) {
        if (diffs.isEmpty()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%+.0f..%+.0f ms", diffs.stream().mapToDouble(Double::doubleValue).min().orElse(0) * 1000,
                diffs.stream().mapToDouble(Double::doubleValue).max().orElse(0) * 1000);
    }

    private static void target(ArrayNode json, StringBuilder text, String what, boolean met, String measured) {
        ObjectNode t = json.addObject();
        t.put("target", what);
        t.put("met", met);
        t.put("measured", measured);
        text.append(String.format(Locale.ROOT, "  %-6s %s: %s%n", met ? "met" : "MISSED", what, measured));
    }

    private static String header(String name, String[] spec, ObjectNode s) {
        StringBuilder h = new StringBuilder(name).append(": ").append(spec[1]).append(" VMs in ").append(spec[2]).append(" groups");
        if (s.has("objects")) {
            var o = s.get("objects");
            h.append(" (").append(o.path("links").asInt()).append(" links, ").append(o.path("nft_rules").asInt()).append(" nft rules, ")
                    .append(o.path("nft_set_elements").asInt()).append(" set elements, ").append(o.path("cgroups").asInt()).append(" cgroups")
                    .append(Integer.parseInt(spec[1]) >= 5000 ? ": network and firewall only" : "").append(')');
        }
        return h.toString();
    }

    private static List<Sample> select(List<Sample> all, String scenario, String method, String measure) {
        return all.stream().filter(x -> x.scenario().equals(scenario) && x.method().equals(method) && x.measure().equals(measure)).toList();
    }

    private static Optional<Double> ratio(Map<String, Stats> byMethod, String baseline) {
        Stats q = byMethod.get("qfence");
        Stats b = byMethod.get(baseline);
        return q == null || b == null || b.median() == 0 ? Optional.empty() : Optional.of(q.median() / b.median());
    }

    private static void stats(ObjectNode o, Stats st) {
        o.put("median", round(st.median()));
        o.put("min", round(st.min()));
        o.put("max", round(st.max()));
        o.put("n", st.n());
        o.put("unit", st.unit());
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    static String cell(Stats st) {
        if (st == null) {
            return "-";
        }
        if (st.unit().equals("guests")) {
            return st.n() == 1 || st.min() == st.max() ? String.format(Locale.ROOT, "%.0f of each run", st.median())
                    : String.format(Locale.ROOT, "%.0f..%.0f per run", st.min(), st.max());
        }
        boolean ms = st.unit().equals("s") && st.median() < 1;
        String unit = ms ? "ms" : st.unit();
        if (st.n() == 1) {
            return number(st.median(), ms) + " " + unit;
        }
        return number(st.median(), ms) + " " + unit + " (" + number(st.min(), ms) + ".." + number(st.max(), ms) + ")";
    }

    private static String number(double v, boolean ms) {
        if (ms) {
            return String.format(Locale.ROOT, "%.0f", v * 1000);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private static String ratioText(double r) {
        return r >= 0.1 ? String.format(Locale.ROOT, "%.2f", r) : String.format(Locale.ROOT, "1/%.0f", 1 / r);
    }
}
