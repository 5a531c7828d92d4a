package io.qfence.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.ControlCharacters;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanJson;
import io.qfence.plan.Summary;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code plan --all-hosts}: the per-host sections, each exactly what {@code plan --host H} prints for that host, under
 * a fleet summary (one line, table row or JSON entry per host), and the aggregate exit code. Pure.
 */
final class FleetPlanOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FleetPlanOutput() {}

    /** One host: its plan and how the chosen format printed it, or why it could not be planned. */
    record Section(String host, Optional<Plan> plan, String rendered, Optional<String> error) {
        Section {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(rendered, "rendered");
            if (plan.isPresent() == error.isPresent()) {
                throw new IllegalArgumentException("a section has a plan or an error, not both or neither");
            }
        }

        static Section planned(String host, Plan plan, String rendered) {
            return new Section(host, Optional.of(plan), rendered, Optional.empty());
        }

        static Section failed(String host, String error) {
            return new Section(host, Optional.empty(), "", Optional.of(error));
        }

        /** {@code changes}, {@code no changes} or {@code error} (a failed or unapplicable plan). */
        String status() {
            if (plan.isEmpty() || !plan.get().isApplicable()) {
                return "error";
            }
            return plan.get().isEmpty() ? "no changes" : "changes";
        }
    }

    /** 1 when any host failed, else 2 when any host changes, else 0: as one host's plan, over the fleet. */
    static int exitCode(List<Section> sections) {
        if (sections.stream().anyMatch(s -> s.status().equals("error"))) {
            return ExitCodes.ERROR;
        }
        return sections.stream().anyMatch(s -> s.status().equals("changes")) ? ExitCodes.CHANGES : ExitCodes.OK;
    }

    static String render(List<Section> sections, ReportFormatOptions.ReportFormat format) {
        return switch (format) {
            case text -> text(sections);
            case markdown -> markdown(sections);
            case json -> json(sections);
        };
    }

    private static String headline(List<Section> sections) {
        long changed = sections.stream().filter(s -> s.status().equals("changes")).count();
        long failed = sections.stream().filter(s -> s.status().equals("error")).count();
        return sections.size() + " host" + (sections.size() == 1 ? "" : "s") + ": " + changed + " with changes, "
                + (sections.size() - changed - failed) + " without, " + failed + " failed";
    }

    private static String line(Section s) {
        if (s.error().isPresent()) {
            return "error: " + s.error().get();
        }
        Plan p = s.plan().orElseThrow();
        if (!p.isApplicable()) {
            return "error: the plan cannot be applied (" + p.errors().size() + " error" + (p.errors().size() == 1 ? "" : "s") + ")";
        }
        return p.isEmpty() ? "No changes." : p.summary().line();
    }

    private static String text(List<Section> sections) {
        int width = sections.stream().mapToInt(s -> s.host().length()).max().orElse(0);
        StringBuilder out = new StringBuilder("Fleet plan: ").append(headline(sections)).append(".\n");
        for (Section s : sections) {
            out.append("  ").append(String.format("%-" + width + "s", s.host())).append("  ")
                    .append(ControlCharacters.escape(line(s))).append('\n');
        }
        for (Section s : sections) {
            out.append("\n=== host ").append(s.host()).append(" ===\n\n");
            out.append(s.error().map(e -> "qfence could not plan this host: " + ControlCharacters.escape(e) + "\n").orElse(s.rendered()));
        }
        return out.toString();
    }

    private static String markdown(List<Section> sections) {
        StringBuilder out = new StringBuilder("## qfence plan for ").append(sections.size()).append(" hosts\n\n**")
                .append(headline(sections)).append("**\n\n");
        out.append("| host | status | add | change | destroy | start | stop |\n|---|---|---:|---:|---:|---:|---:|\n");
        for (Section s : sections) {
            Summary sum = s.plan().map(Plan::summary).orElse(Summary.NONE);
            String status = switch (s.status()) {
                case "error" -> ":x: error";
                case "changes" -> "changes";
                default -> "no changes";
            };
            out.append("| `").append(s.host()).append("` | ").append(status).append(" | ");
            if (s.error().isPresent()) {
                out.append("| | | | |\n");
            } else {
                out.append(sum.add()).append(" | ").append(sum.change()).append(" | ").append(sum.destroy()).append(" | ")
                        .append(sum.start()).append(" | ").append(sum.stop()).append(" |\n");
            }
        }
        for (Section s : sections) {
            out.append("\n---\n\n");
            out.append(s.error().map(e -> "### qfence plan for `" + s.host() + "`\n\n:x: **qfence could not plan this host:** "
                    + e.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "\n").orElse(s.rendered()));
        }
        return out.toString();
    }

    /**
     * {@code {"format_version", "summary", "hosts": [...]}}: each host's entry is its plan's JSON exactly as
     * {@code plan --host H --format json} prints it, plus {@code status}; a failed host is {@code host},
     * {@code status: "error"} and {@code error}.
     */
    private static String json(List<Section> sections) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format_version", PlanJson.FORMAT_VERSION);
        ObjectNode summary = root.putObject("summary");
        summary.put("hosts", sections.size());
        summary.put("changed", sections.stream().filter(s -> s.status().equals("changes")).count());
        summary.put("unchanged", sections.stream().filter(s -> s.status().equals("no changes")).count());
        summary.put("failed", sections.stream().filter(s -> s.status().equals("error")).count());
        summary.put("exit_code", exitCode(sections));
        ArrayNode hosts = root.putArray("hosts");
        for (Section s : sections) {
            ObjectNode h = JSON.createObjectNode();
            h.put("host", s.host());
            h.put("status", s.status());
            if (s.error().isPresent()) {
                h.put("error", s.error().get());
            } else {
                try {
                    JSON.readTree(s.rendered()).fields().forEachRemaining(e -> {
                        if (!e.getKey().equals("host")) {
                            h.set(e.getKey(), e.getValue());
                        }
                    });
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("a plan's own JSON must parse", e);
                }
            }
            hosts.add((JsonNode) h);
        }
        try {
            return JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the fleet plan must always serialize", e);
        }
    }
}
