package io.qfence.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns what bench/run's measured programs print as JSON into {@code raw.tsv} records (scenario, method, measure,
 * repetition, value, unit; {@link BenchReport} reads them), so that the shell never reads a program's output by column:
 *
 * <ul>
 *   <li>{@code apply SCENARIO MEASURE REP FILE}: the {@code complete} event of {@code qfence apply --progress json}
 *       (its engine timings): {@code MEASURE.prepare} (load, facts and realization), {@code .observe}, {@code .plan},
 *       and {@code .apply} when something was applied;</li>
 *   <li>{@code cycles SCENARIO REP FILE}: {@link EngineCycles}' lines, as {@code noop} (observe plus plan),
 *       {@code noop.observe}, {@code noop.plan}, {@code noop.prepare} and {@code noop.cycle_cpu}; a cycle that planned
 *       changes on a converged sandbox is said on stderr and makes the exit code 3;</li>
 *   <li>{@code warm SCENARIO REP FILE}: {@link WarmApply}'s lines, as {@code cold_warm} and its phases and kinds.</li>
 * </ul>
 *
 * Exit 1 when the file holds no record of the expected kind (the program failed before its end).
 */
public final class Records {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Records() {}

    public static void main(String[] args) throws IOException {
        int code = switch (args.length > 0 ? args[0] : "") {
            case "apply" -> args.length == 5 ? apply(args[1], args[2], args[3], Path.of(args[4])) : usage();
            case "cycles" -> args.length == 4 ? cycles(args[1], args[2], Path.of(args[3])) : usage();
            case "warm" -> args.length == 4 ? warm(args[1], args[2], Path.of(args[3])) : usage();
            default -> usage();
        };
        System.out.flush();
        System.exit(code);
    }

    private static int usage() {
        System.err.println("usage: Records apply SCENARIO MEASURE REP FILE | cycles SCENARIO REP FILE | warm SCENARIO REP FILE");
        return 64;
    }

    /** The JSON objects of FILE, one per line; lines that are not JSON objects (a program's other output) are skipped. */
    static List<JsonNode> objects(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("{")) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    static int apply(String scenario, String measure, String rep, Path file) throws IOException {
        JsonNode complete = null;
        for (JsonNode n : objects(file)) {
            if (n.path("event").asText().equals("complete")) {
                complete = n;
            }
        }
        if (complete == null || !complete.has("timings")) {
            System.err.println("Records: no complete event with timings in " + file);
            return 1;
        }
        JsonNode t = complete.get("timings");
        record(scenario, measure + ".prepare", rep, t.path("load_ms").asDouble() + t.path("facts_ms").asDouble() + t.path("realize_ms").asDouble());
        record(scenario, measure + ".observe", rep, t.path("observe_ms").asDouble());
        record(scenario, measure + ".plan", rep, t.path("plan_ms").asDouble());
        if (t.has("apply_ms")) {
            record(scenario, measure + ".apply", rep, t.get("apply_ms").asDouble());
        }
        return 0;
    }

    static int cycles(String scenario, String rep, Path file) throws IOException {
        int seen = 0;
        int code = 0;
        for (JsonNode c : objects(file)) {
            if (!c.has("cycle")) {
                continue;
            }
            seen++;
            double observe = c.path("observe_ms").asDouble();
            double plan = c.path("plan_ms").asDouble();
            record(scenario, "noop", rep, observe + plan);
            record(scenario, "noop.observe", rep, observe);
            record(scenario, "noop.plan", rep, plan);
            record(scenario, "noop.prepare", rep, c.path("load_ms").asDouble() + c.path("facts_ms").asDouble() + c.path("realize_ms").asDouble());
            record(scenario, "noop.cycle_cpu", rep, c.path("thread_cpu_ms").asDouble());
            if (c.path("changes").asInt() != 0) {
                System.err.println("Records: no-op cycle " + c.path("cycle").asInt() + " of " + scenario + " planned "
                        + c.path("changes").asInt() + " changes on a converged sandbox");
                code = 3;
            }
        }
        return seen == 0 ? 1 : code;
    }

    static int warm(String scenario, String rep, Path file) throws IOException {
        int seen = 0;
        for (JsonNode a : objects(file)) {
            if (!a.has("apply")) {
                continue;
            }
            seen++;
            record(scenario, "cold_warm", rep, a.path("wall_ms").asDouble());
            record(scenario, "cold_warm.prepare", rep, a.path("load_ms").asDouble() + a.path("facts_ms").asDouble() + a.path("realize_ms").asDouble());
            record(scenario, "cold_warm.observe", rep, a.path("observe_ms").asDouble());
            record(scenario, "cold_warm.plan", rep, a.path("plan_ms").asDouble());
            record(scenario, "cold_warm.apply", rep, a.path("apply_ms").asDouble());
            record(scenario, "cold_warm.apply_links", rep, a.path("links_ms").asDouble());
            record(scenario, "cold_warm.apply_firewall", rep, a.path("firewall_ms").asDouble());
            record(scenario, "cold_warm.apply_cgroups", rep, a.path("cgroups_ms").asDouble());
        }
        return seen == 0 ? 1 : 0;
    }

    /** One raw.tsv line: a qfence measure in seconds. */
    private static void record(String scenario, String measure, String rep, double millis) {
        System.out.printf(Locale.ROOT, "%s\tqfence\t%s\t%s\t%.6f\ts%n", scenario, measure, rep, millis / 1000);
    }
}
