package io.qfence.verify;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import io.qfence.model.host.ConfinementLayers;
import io.qfence.model.host.GuestConfinement;
import io.qfence.plan.diff.ReachabilityGraph;
import io.qfence.plan.explain.Explanation;

/**
 * The outcome of {@code qfence verify}: every cell with what was expected and what was observed.
 *
 * @param guestBoot from the start of each guest to its console answering
 * @param phases    how long each phase took, in order (sandbox, apply, boot, probes, teardown)
 * @param passes    how many passes over the cells probing took (silent cells get more than one)
 * @param teardown  what teardown removed, and anything it could not
 * @param explanations each cell's explanation ({@code qfence explain} for its question), by cell id; JSON carries it per cell
 * @param graph       the relation's group-level picture, which Markdown draws
 * @param invariants  every invariant of the desired state judged by the probes, in file and line order (DESIGN.md §18)
 * @param confinement every probe guest's confinement as read from {@code /proc} once the guests run, with the
 *                    layers its host's settings require that it lacks (DESIGN.md §14, "Confinement")
 */
public record VerifyReport(String host, String revision, String sandbox, ProbeWorld world, List<CellResult> results,
        Map<String, Duration> guestBoot, Map<String, Duration> phases, int passes, List<String> teardown, List<Confined> confinement,
        Map<String, Explanation> explanations, Optional<ReachabilityGraph> graph, List<InvariantVerdict> invariants) {

    /** Without invariant verdicts. */
    public VerifyReport(String host, String revision, String sandbox, ProbeWorld world, List<CellResult> results,
                        Map<String, Duration> guestBoot, Map<String, Duration> phases, int passes, List<String> teardown, List<Confined> confinement,
                        Map<String, Explanation> explanations, Optional<ReachabilityGraph> graph) {
        this(host, revision, sandbox, world, results, guestBoot, phases, passes, teardown, confinement, explanations, graph, List.of());
    }

    /** Without explanations or a graph (tests of the matrix itself). */
    public VerifyReport(String host, String revision, String sandbox, ProbeWorld world, List<CellResult> results,
                        Map<String, Duration> guestBoot, Map<String, Duration> phases, int passes, List<String> teardown, List<Confined> confinement) {
        this(host, revision, sandbox, world, results, guestBoot, phases, passes, teardown, confinement, Map.of(), Optional.empty());
    }

    public VerifyReport(String host, String revision, String sandbox, ProbeWorld world, List<CellResult> results,
                        Map<String, Duration> guestBoot, Map<String, Duration> phases, int passes, List<String> teardown) {
        this(host, revision, sandbox, world, results, guestBoot, phases, passes, teardown, List.of());
    }

    public VerifyReport {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(world, "world");
        results = List.copyOf(results);
        guestBoot = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(guestBoot));
        phases = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phases));
        teardown = List.copyOf(teardown);
        confinement = List.copyOf(confinement);
        explanations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(explanations));
        Objects.requireNonNull(graph, "graph");
        invariants = List.copyOf(invariants);
    }

    /** The same report with each cell's explanation (by cell id) and the relation's group-level graph. */
    public VerifyReport explained(Map<String, Explanation> byCell, ReachabilityGraph picture) {
        return new VerifyReport(host, revision, sandbox, world, results, guestBoot, phases, passes, teardown, confinement, byCell,
                Optional.of(picture), invariants);
    }

    /** The same report with each invariant's verdict over its cells ({@link InvariantVerdict#judge}). */
    public VerifyReport judged(List<InvariantVerdict> verdicts) {
        return new VerifyReport(host, revision, sandbox, world, results, guestBoot, phases, passes, teardown, confinement, explanations,
                graph, verdicts);
    }

    /** The invariants the probes showed broken. */
    public List<InvariantVerdict> brokenInvariants() {
        return invariants.stream().filter(v -> v.verdict() == InvariantVerdict.Proof.BROKEN).toList();
    }

    /**
     * One probe guest's confinement.
     *
     * @param found   what {@code /proc} shows; empty when its QEMU could not be read (not running)
     * @param missing each layer its host's settings require that it lacks
     */
    public record Confined(String vm, Optional<GuestConfinement> found, List<ConfinementLayers.MissingLayer> missing) {
        public Confined {
            Objects.requireNonNull(vm, "vm");
            Objects.requireNonNull(found, "found");
            missing = List.copyOf(missing);
        }
    }

    /** Every layer a guest lacks, in guest order. */
    public List<ConfinementLayers.MissingLayer> missingLayers() {
        return confinement.stream().flatMap(c -> c.missing().stream()).toList();
    }

    /**
     * One probed cell.
     *
     * @param observed    whether the intended endpoint answered
     * @param wrongTarget something answered, but not the intended endpoint (a misdirected DNAT, say): always a mismatch
     * @param evidence    what came back, or why nothing did
     */
    public record CellResult(ProbeCell cell, boolean observed, boolean wrongTarget, String evidence) {
        public CellResult {
            Objects.requireNonNull(cell, "cell");
            Objects.requireNonNull(evidence, "evidence");
        }

        public boolean matches() {
            return !wrongTarget && observed == cell.expected();
        }
    }

    public List<CellResult> mismatches() {
        return results.stream().filter(r -> !r.matches()).toList();
    }

    /**
     * Every cell matched, no invariant was shown broken, every guest had every layer its host requires, and teardown
     * left nothing behind.
     */
    public boolean passed() {
        return mismatches().isEmpty() && brokenInvariants().isEmpty() && missingLayers().isEmpty() && teardown.stream().noneMatch(t -> t.startsWith("LEFT"));
    }

    public Duration total() {
        return phases.values().stream().reduce(Duration.ZERO, Duration::plus);
    }
}
