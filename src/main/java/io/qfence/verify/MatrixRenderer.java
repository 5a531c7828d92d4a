package io.qfence.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.plan.diff.GraphRenderer;
import io.qfence.plan.explain.Explanation;
import io.qfence.plan.explain.ExplanationRenderer;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.realize.FlowProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders a {@link VerifyReport}: the isolation matrix as one line per (source, target) pair, each protocol's ports
 * marked {@code +} (reached) or {@code -} (not reached), a mismatch marked {@code !} (and in colour on a terminal),
 * then every mismatch explained, then a summary. Text, JSON ({@code format_version} 1.0) and Markdown.
 */
public final class MatrixRenderer {

    public static final String FORMAT_VERSION = "1.0";
    private static final String GREEN = "\u001b[32m";
    private static final String RED = "\u001b[31m";
    private static final String MISMATCH = "\u001b[1;37;41m";
    private static final String BOLD = "\u001b[1m";
    private static final String RESET = "\u001b[0m";
    private static final int MARKDOWN_LIMIT = 60_000;

    private MatrixRenderer() {}

    /** The cells of one (source, target) pair, by protocol. */
    private record Pair(String source, String target, Map<FlowProtocol, List<VerifyReport.CellResult>> byProtocol) {}

    private static List<Pair> pairs(VerifyReport report) {
        Map<String, Pair> pairs = new LinkedHashMap<>();
        for (VerifyReport.CellResult r : report.results()) {
            ProbeCell c = r.cell();
            Pair p = pairs.computeIfAbsent(c.source() + "\u0000" + c.target(), k -> new Pair(c.source(), c.target(), new LinkedHashMap<>()));
            p.byProtocol().computeIfAbsent(c.protocol(), x -> new ArrayList<>()).add(r);
        }
        return List.copyOf(pairs.values());
    }

    private static String mark(VerifyReport.CellResult r, boolean colour) {
        String text = (r.cell().port() == 0 ? "" : Integer.toString(r.cell().port())) + (r.observed() ? "+" : "-") + (r.matches() ? "" : "!");
        if (!colour) {
            return text;
        }
        return (r.matches() ? (r.observed() ? GREEN : RED) : MISMATCH) + text + RESET;
    }

    private static String cellText(List<VerifyReport.CellResult> results, boolean colour) {
        if (results == null) {
            return "";
        }
        return results.stream().map(r -> mark(r, colour)).collect(Collectors.joining(" "));
    }

    public static String text(VerifyReport report, boolean colour) {
        StringBuilder out = new StringBuilder();
        out.append("Isolation matrix of host ").append(report.host()).append(" at ").append(report.revision())
                .append(", probed in sandbox ").append(report.sandbox()).append('\n');
        out.append("  + reached, - not reached; ! marks a cell that differs from the policy's reachability relation\n\n");
        List<Pair> pairs = pairs(report);
        int sw = Math.max(4, pairs.stream().mapToInt(p -> p.source().length()).max().orElse(4));
        int tw = Math.max(2, pairs.stream().mapToInt(p -> p.target().length()).max().orElse(2));
        int tcpw = Math.max(3, pairs.stream().mapToInt(p -> cellText(p.byProtocol().get(FlowProtocol.TCP), false).length()).max().orElse(3));
        int udpw = Math.max(3, pairs.stream().mapToInt(p -> cellText(p.byProtocol().get(FlowProtocol.UDP), false).length()).max().orElse(3));
        String header = pad("FROM", sw) + "  " + pad("TO", tw) + "  " + pad("TCP", tcpw) + "  " + pad("UDP", udpw) + "  ICMP";
        out.append(colour ? BOLD + header + RESET : header).append('\n');
        String previous = "";
        for (Pair p : pairs) {
            String source = p.source().equals(previous) ? "" : p.source();
            previous = p.source();
            out.append(pad(source, sw)).append("  ").append(pad(p.target(), tw)).append("  ");
            for (FlowProtocol proto : List.of(FlowProtocol.TCP, FlowProtocol.UDP)) {
                String plain = cellText(p.byProtocol().get(proto), false);
                out.append(cellText(p.byProtocol().get(proto), colour)).append(" ".repeat((proto == FlowProtocol.TCP ? tcpw : udpw) - plain.length())).append("  ");
            }
            out.append(cellText(p.byProtocol().get(FlowProtocol.ICMP), colour));
            trimLineEnd(out);
            out.append('\n');
        }
        List<VerifyReport.CellResult> mismatches = report.mismatches();
        if (!mismatches.isEmpty()) {
            out.append('\n').append(colour ? RED + BOLD : "").append("Mismatches (").append(mismatches.size()).append("):").append(colour ? RESET : "").append('\n');
            for (VerifyReport.CellResult r : mismatches) {
                out.append("  ! ").append(describe(r)).append('\n');
            }
        }
        if (!report.invariants().isEmpty()) {
            out.append('\n').append("Invariants, judged by the probes that cover them:").append('\n');
            for (InvariantVerdict v : report.invariants()) {
                boolean broken = v.verdict() == InvariantVerdict.Proof.BROKEN;
                out.append("  ").append(broken && colour ? RED + BOLD + v.summary() + RESET : v.summary()).append('\n');
                if (broken) {
                    out.append("      ").append(v.statement()).append('\n');
                    v.breaking().forEach(c -> out.append("    ! ").append(c.describe()).append('\n'));
                }
            }
        }
        if (!report.confinement().isEmpty()) {
            out.append('\n').append("Confinement of each guest, read from /proc:").append('\n');
            int w = report.confinement().stream().mapToInt(c -> c.vm().length()).max().orElse(2);
            for (VerifyReport.Confined c : report.confinement()) {
                out.append("  ").append(pad(c.vm(), w)).append("  ").append(c.found().map(ConfinementText::line).orElse("not running")).append('\n');
            }
        }
        List<io.qfence.model.host.ConfinementLayers.MissingLayer> missing = report.missingLayers();
        if (!missing.isEmpty()) {
            out.append('\n').append(colour ? RED + BOLD : "").append("Missing confinement layers (").append(missing.size()).append("):")
                    .append(colour ? RESET : "").append('\n');
            missing.forEach(m -> out.append("  ! ").append(m.message()).append('\n'));
        }
        out.append('\n').append(summary(report, colour)).append('\n');
        return out.toString();
    }

    static String describe(VerifyReport.CellResult r) {
        ProbeCell c = r.cell();
        return c.source() + " -> " + c.target() + " " + c.service() + " (" + c.address() + "): expected "
                + (c.expected() ? "reached (" + c.basis() + ")" : "not reached (" + c.basis() + ")") + ", observed "
                + (r.observed() ? "reached" : "not reached") + ": " + r.evidence();
    }

    public static String summary(VerifyReport report, boolean colour) {
        int cells = report.results().size();
        int mismatches = report.mismatches().size();
        long reached = report.results().stream().filter(VerifyReport.CellResult::observed).count();
        String verdict = report.passed() ? "PASSED" : "FAILED";
        String head = colour ? (report.passed() ? GREEN : RED) + BOLD + verdict + RESET : verdict;
        return head + ": " + cells + " cells, " + reached + " reached and " + (cells - reached) + " not, " + mismatches + " mismatch"
                + (mismatches == 1 ? "" : "es") + "; " + seconds(report.total()) + " (" + report.phases().entrySet().stream()
                .map(e -> e.getKey() + " " + seconds(e.getValue())).collect(Collectors.joining(", ")) + "), " + report.guestBoot().size()
                + " probe guests, " + report.passes() + " probe pass" + (report.passes() == 1 ? "" : "es")
                + (report.invariants().isEmpty() ? "" : "; " + invariantCount(report))
                + (report.missingLayers().isEmpty() ? "" : "; " + report.missingLayers().size() + " MISSING CONFINEMENT LAYER"
                        + (report.missingLayers().size() == 1 ? "" : "S"))
                + (report.teardown().stream().anyMatch(t -> t.startsWith("LEFT")) ? "; TEARDOWN LEFT SOMETHING BEHIND" : "");
    }

    /** {@code 6 invariants: 5 proven, 1 BROKEN}. */
    private static String invariantCount(VerifyReport report) {
        List<InvariantVerdict> all = report.invariants();
        long broken = report.brokenInvariants().size();
        long untested = all.stream().filter(v -> v.verdict() == InvariantVerdict.Proof.UNTESTED).count();
        return all.size() + " invariant" + (all.size() == 1 ? "" : "s") + ": " + (all.size() - broken - untested) + " proven"
                + (broken == 0 ? "" : ", " + broken + " BROKEN") + (untested == 0 ? "" : ", " + untested + " untested");
    }

    public static String json(VerifyReport report) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("format_version", FORMAT_VERSION);
        root.put("host", report.host());
        root.put("revision", report.revision());
        root.put("sandbox", report.sandbox());
        root.put("passed", report.passed());
        root.put("cells", report.results().size());
        root.put("mismatches", report.mismatches().size());
        ObjectNode world = root.putObject("world");
        world.put("uplink", report.world().uplink().toString());
        world.put("host_address", report.world().hostAddress().toString());
        world.put("internet", report.world().internet().toString());
        world.put("stranger", report.world().stranger().toString());
        ObjectNode prefixes = world.putObject("prefixes");
        report.world().prefixes().forEach((k, v) -> prefixes.put(k.toString(), v.toString()));
        ObjectNode outside = world.putObject("outside_clients");
        report.world().outsideInside().forEach((k, v) -> outside.put(k.toString(), v.toString()));
        ObjectNode phases = root.putObject("phases_ms");
        report.phases().forEach((k, v) -> phases.put(k, v.toMillis()));
        ObjectNode boot = root.putObject("guest_boot_ms");
        report.guestBoot().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> boot.put(e.getKey(), e.getValue().toMillis()));
        root.put("passes", report.passes());
        ArrayNode results = root.putArray("results");
        for (VerifyReport.CellResult r : report.results()) {
            ProbeCell c = r.cell();
            ObjectNode o = results.addObject();
            o.put("id", c.id());
            o.put("source", c.source());
            o.put("target", c.target());
            o.put("address", c.address().toString());
            o.put("protocol", c.protocol().keyword());
            if (c.port() != 0) {
                o.put("port", c.port());
            }
            o.put("expected", c.expected() ? "allowed" : "denied");
            o.put("observed", r.observed() ? "allowed" : "denied");
            o.put("matches", r.matches());
            if (r.wrongTarget()) {
                o.put("wrong_target", true);
            }
            o.put("basis", c.basis());
            o.put("evidence", r.evidence());
            Explanation e = report.explanations().get(c.id());
            if (e != null) {
                o.set("explanation", ExplanationRenderer.node(e));
            }
        }
        if (!report.invariants().isEmpty()) {
            root.put("broken_invariants", report.brokenInvariants().size());
            ArrayNode invariants = root.putArray("invariants");
            for (InvariantVerdict v : report.invariants()) {
                ObjectNode o = invariants.addObject();
                o.put("name", v.name());
                o.put("origin", v.origin());
                o.put("statement", v.statement());
                o.put("verdict", v.verdict().label());
                ArrayNode cells = o.putArray("cells");
                v.cells().forEach(c -> cells.add(c.result().cell().id()));
                ArrayNode breaking = o.putArray("breaking");
                for (InvariantVerdict.Covered c : v.breaking()) {
                    ProbeCell cell = c.result().cell();
                    ObjectNode b = breaking.addObject();
                    b.put("id", cell.id());
                    b.put("source", cell.source());
                    b.put("target", cell.target());
                    b.put("protocol", cell.protocol().keyword());
                    if (cell.port() != 0) {
                        b.put("port", cell.port());
                    }
                    b.put("observed", c.reached() ? "reached" : "not reached");
                    b.put("required", c.required());
                    b.put("evidence", c.result().evidence());
                }
            }
        }
        if (!report.confinement().isEmpty()) {
            root.put("missing_layers", report.missingLayers().size());
            ArrayNode confinement = root.putArray("confinement");
            for (VerifyReport.Confined c : report.confinement()) {
                ObjectNode o = confinement.addObject();
                o.put("vm", c.vm());
                if (c.found().isPresent()) {
                    o.set("found", confinementJson(mapper, c.found().get()));
                } else {
                    o.putNull("found");
                }
                ArrayNode missing = o.putArray("missing");
                for (io.qfence.model.host.ConfinementLayers.MissingLayer m : c.missing()) {
                    missing.addObject().put("layer", m.layer().label()).put("found", m.found()).put("required", m.required());
                }
            }
        }
        ArrayNode teardown = root.putArray("teardown");
        report.teardown().forEach(teardown::add);
        try {
            return mapper.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a report always serializes", e);
        }
    }

    /** The report's fields in snake case, as {@code state}'s JSON writes them under {@code runtime.confinement}. */
    private static ObjectNode confinementJson(ObjectMapper mapper, io.qfence.model.host.GuestConfinement c) {
        ObjectNode o = mapper.createObjectNode();
        ArrayNode uids = o.putArray("uids");
        c.uids().forEach(uids::add);
        ArrayNode gids = o.putArray("gids");
        c.gids().forEach(gids::add);
        ArrayNode groups = o.putArray("groups");
        c.groups().forEach(groups::add);
        o.putObject("capabilities").put("effective", c.capabilities().effective()).put("permitted", c.capabilities().permitted())
                .put("bounding", c.capabilities().bounding());
        o.put("no_new_privs", c.noNewPrivs());
        o.put("seccomp_mode", c.seccompMode());
        if (c.seccompFilters().isPresent()) {
            o.put("seccomp_filters", c.seccompFilters().getAsInt());
        } else {
            o.putNull("seccomp_filters");
        }
        o.put("apparmor", c.apparmor());
        ObjectNode namespaces = o.putObject("namespaces");
        c.namespaces().forEach((kind, ns) -> {
            ObjectNode n = namespaces.putObject(kind).put("inode", ns.inode()).put("host", ns.host());
            ArrayNode shared = n.putArray("shared_with");
            ns.sharedWith().forEach(shared::add);
        });
        o.putObject("root").put("jail", c.root().jail()).put("fs_type", c.root().fsType()).put("mounts", c.root().mounts())
                .put("host_root", c.root().hostRoot());
        ArrayNode cgroups = o.putArray("cgroups");
        c.cgroups().forEach(cgroups::add);
        ObjectNode fds = o.putObject("descriptors").put("count", c.descriptors().count());
        ObjectNode kinds = fds.putObject("kinds");
        c.descriptors().kinds().forEach(kinds::put);
        ArrayNode outside = fds.putArray("outside");
        c.descriptors().outside().forEach(outside::add);
        return o;
    }

    public static String markdown(VerifyReport report) {
        StringBuilder out = new StringBuilder();
        out.append("### qfence verify: ").append(report.passed() ? "passed" : "**FAILED**").append("\n\n");
        out.append(summary(report, false).replace("PASSED: ", "").replace("FAILED: ", "")).append("\n\n");
        List<VerifyReport.CellResult> mismatches = report.mismatches();
        if (!mismatches.isEmpty()) {
            out.append("**Mismatches (").append(mismatches.size()).append(")**\n\n");
            for (VerifyReport.CellResult r : mismatches) {
                out.append("- ").append(escape(describe(r))).append('\n');
            }
            out.append('\n');
        }
        if (!report.invariants().isEmpty()) {
            out.append("**Invariants (").append(invariantCount(report)).append(")**\n\n");
            // broken first: the reviewer reads what failed before what held
            List<InvariantVerdict> ordered = new ArrayList<>(report.brokenInvariants());
            report.invariants().stream().filter(v -> v.verdict() != InvariantVerdict.Proof.BROKEN).forEach(ordered::add);
            for (InvariantVerdict v : ordered) {
                boolean broken = v.verdict() == InvariantVerdict.Proof.BROKEN;
                out.append("- ").append(broken ? "**" + escape(v.summary()) + "**" : escape(v.summary())).append('\n');
                if (broken) {
                    out.append("  - ").append(escape(v.statement())).append('\n');
                    v.breaking().forEach(c -> out.append("  - ").append(escape(c.describe())).append('\n'));
                }
            }
            out.append('\n');
        }
        List<io.qfence.model.host.ConfinementLayers.MissingLayer> missing = report.missingLayers();
        if (!missing.isEmpty()) {
            out.append("**Missing confinement layers (").append(missing.size()).append(")**\n\n");
            missing.forEach(m -> out.append("- ").append(escape(m.message())).append('\n'));
            out.append('\n');
        }
        if (!report.confinement().isEmpty()) {
            out.append("<details><summary>Confinement of each guest, read from /proc</summary>\n\n");
            for (VerifyReport.Confined c : report.confinement()) {
                out.append("- ").append(escape(c.vm())).append(": ").append(escape(c.found().map(ConfinementText::line).orElse("not running"))).append('\n');
            }
            out.append("\n</details>\n\n");
        }
        report.graph().map(g -> "**Reachability (groups)**\n" + GraphRenderer.markdownBlock(g) + "\n")
                .filter(picture -> out.length() + picture.length() < MARKDOWN_LIMIT / 2)
                .ifPresent(out::append);
        out.append("<details><summary>Matrix (+ reached, - not reached, ! differs from the policy)</summary>\n\n");
        out.append("| from | to | tcp | udp | icmp |\n|---|---|---|---|---|\n");
        String footer = "\n</details>\n";
        for (Pair p : pairs(report)) {
            String row = "| " + escape(p.source()) + " | " + escape(p.target()) + " | "
                    + bold(p.byProtocol().get(FlowProtocol.TCP)) + " | " + bold(p.byProtocol().get(FlowProtocol.UDP)) + " | "
                    + bold(p.byProtocol().get(FlowProtocol.ICMP)) + " |\n";
            if (out.length() + row.length() + footer.length() + 40 > MARKDOWN_LIMIT) {
                out.append("| … | (matrix shortened; see --format json) | | | |\n");
                break;
            }
            out.append(row);
        }
        out.append(footer);
        return out.toString();
    }

    private static String bold(List<VerifyReport.CellResult> results) {
        if (results == null) {
            return "";
        }
        return results.stream().map(r -> r.matches() ? mark(r, false) : "**" + mark(r, false) + "**").collect(Collectors.joining(" "));
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("<", "&lt;");
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static void trimLineEnd(StringBuilder out) {
        int end = out.length();
        while (end > 0 && out.charAt(end - 1) == ' ') {
            end--;
        }
        out.setLength(end);
    }
}
