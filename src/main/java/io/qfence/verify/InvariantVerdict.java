package io.qfence.verify;

import io.qfence.model.PortRange;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Invariant;
import io.qfence.model.desired.InvariantRule;
import io.qfence.model.desired.Traffic;
import io.qfence.plan.explain.ExplainQuery;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.InvariantCheck;
import io.qfence.realize.InvariantCheck.Demand;
import io.qfence.realize.Ports;
import io.qfence.realize.Principal;
import io.qfence.realize.Reach;
import io.qfence.realize.ReachabilityRelation;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One invariant of the desired state (DESIGN.md §18) judged by packets: every probed cell it speaks about, what it
 * demands of that cell, and what the probe observed. {@link Proof#PROVEN} when every such cell was observed as the
 * invariant requires, {@link Proof#BROKEN} with the cells that were not, {@link Proof#UNTESTED} when no probe
 * covers it (an invariant about the host as a source, which verify does not probe from). Pure.
 *
 * @param cells    every covering cell, in matrix order
 * @param breaking the covering cells that break it (for a {@code limit}: every reached one, once over the maximum)
 */
public record InvariantVerdict(String name, String origin, String statement, Proof verdict, List<Covered> cells, List<Covered> breaking) {

    public enum Proof {
        PROVEN, BROKEN, UNTESTED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public InvariantVerdict {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(statement, "statement");
        Objects.requireNonNull(verdict, "verdict");
        cells = List.copyOf(cells);
        breaking = List.copyOf(breaking);
        if ((verdict == Proof.BROKEN) == breaking.isEmpty()) {
            throw new IllegalArgumentException("invariant " + name + ": a broken verdict names its breaking cells, and only it");
        }
        if ((verdict == Proof.UNTESTED) != cells.isEmpty()) {
            throw new IllegalArgumentException("invariant " + name + ": untested means no covering cell");
        }
    }

    /**
     * One probed cell an invariant covers.
     *
     * @param demand  what the invariant asks of it
     * @param reached whether the intended endpoint answered
     */
    public record Covered(VerifyReport.CellResult result, Demand demand, boolean reached) {
        public Covered {
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(demand, "demand");
        }

        /** {@code required not reached}, {@code required reached}, {@code permitted}, {@code counted}. */
        public String required() {
            return switch (demand) {
                case UNREACHED -> "not reached";
                case REACHED -> "reached";
                case MAY -> "either (permitted)";
                case COUNTED -> "counted toward the limit";
            };
        }

        /** {@code web-app-1 -> host 198.18.0.1 tcp 22 (c41): observed reached, required not reached: QF-HOST-OK}. */
        public String describe() {
            ProbeCell c = result.cell();
            return c.source() + " -> " + c.target() + " " + c.service() + " (" + c.id() + "): observed " + (reached ? "reached" : "not reached")
                    + ", required " + required() + ": " + result.evidence();
        }
    }

    /** One line: {@code proven  no-ssh-to-the-host (policies/isolation.yaml:20:7): 27 cells}. */
    public String summary() {
        return verdict.label() + "  " + name + " (" + origin + "): " + cells.size() + " cell" + (cells.size() == 1 ? "" : "s")
                + (verdict == Proof.BROKEN ? ", " + breaking.size() + " breaking" : "")
                + (verdict == Proof.UNTESTED ? " (no probe covers it: verify does not probe from the host)" : "");
    }

    /**
     * The invariants that add cells to a host's matrix: the ports they name and the endpoint pairs they cover (any
     * traffic), for {@link ProbePlan#of(io.qfence.realize.IsolationPolicy, ReachabilityRelation, ProbeWorld, ProbePlan.Coverage)}.
     */
    public static ProbePlan.Coverage coverage(DesiredState state, ReachabilityRelation relation) {
        SortedSet<Integer> tcp = new TreeSet<>();
        SortedSet<Integer> udp = new TreeSet<>();
        for (Invariant inv : state.invariants()) {
            traffic(inv.rule()).ifPresent(t -> t.protocol().ifPresent(p -> {
                FlowProtocol protocol = FlowProtocol.of(p);
                if (protocol.hasPorts()) {
                    for (PortRange r : Ports.of(t.ports()).ranges()) {
                        (protocol == FlowProtocol.TCP ? tcp : udp).add(r.first());
                        (protocol == FlowProtocol.TCP ? tcp : udp).add(r.last());
                    }
                }
            }));
        }
        List<Invariant> invariants = state.invariants();
        return new ProbePlan.Coverage(new ProbePlan.ProbePorts(tcp, udp), (from, to) -> !invariants.isEmpty()
                && !InvariantCheck.covering(state, relation, new Reach(from, to, FlowProtocol.ANY, Ports.NONE, OptionalInt.empty())).isEmpty());
    }

    /**
     * Every address block the invariants name ({@code deny from: 203.0.113.0/24}, ...), in order: {@link ProbeWorld}
     * gives each one outside the qfence networks a stand-in, so that no outside block an invariant covers goes unprobed.
     */
    public static List<io.qfence.model.Cidr> namedBlocks(DesiredState state) {
        List<io.qfence.model.Cidr> out = new ArrayList<>();
        for (Invariant inv : state.invariants()) {
            List<io.qfence.model.desired.Selector> selectors = new ArrayList<>();
            if (inv.rule() instanceof InvariantRule.Deny d) {
                selectors.addAll(List.of(d.from(), d.to()));
            } else if (inv.rule() instanceof InvariantRule.Only o) {
                selectors.add(o.into());
                selectors.addAll(o.from());
            } else if (inv.rule() instanceof InvariantRule.Require r) {
                selectors.addAll(List.of(r.from(), r.to()));
            } else if (inv.rule() instanceof InvariantRule.Limit l) {
                selectors.add(l.into());
            }
            for (io.qfence.model.desired.Selector sel : selectors) {
                if (sel instanceof io.qfence.model.desired.Selector.CidrSelector c && !out.contains(c.cidr())) {
                    out.add(c.cidr());
                }
            }
        }
        return out;
    }

    private static Optional<Traffic> traffic(InvariantRule rule) {
        if (rule instanceof InvariantRule.Deny d) {
            return Optional.of(d.traffic());
        } else if (rule instanceof InvariantRule.Only o) {
            return Optional.of(o.traffic());
        } else if (rule instanceof InvariantRule.Require r) {
            return Optional.of(r.traffic());
        }
        return Optional.empty();
    }

    /**
     * Every invariant of {@code state}, in the order of its files and lines, judged over the probed {@code results}:
     * each cell's question ({@code queries}: the relation's principals and the policy's port) is asked of the
     * invariant, and the observation compared with its demand.
     */
    public static List<InvariantVerdict> judge(DesiredState state, ReachabilityRelation relation, Map<String, ExplainQuery> queries,
                                               List<VerifyReport.CellResult> results) {
        List<InvariantVerdict> out = new ArrayList<>();
        List<Invariant> sorted = state.invariants().stream().sorted(java.util.Comparator.comparing((Invariant i) -> i.origin().file())
                .thenComparingInt(i -> i.origin().line()).thenComparing(Invariant::name)).toList();
        for (Invariant inv : sorted) {
            List<Covered> cells = new ArrayList<>();
            for (VerifyReport.CellResult r : results) {
                ExplainQuery q = queries.get(r.cell().id());
                if (q == null) {
                    continue;
                }
                FlowProtocol protocol = q.protocol().orElse(FlowProtocol.ANY);
                Reach probe = new Reach(q.source(), q.destination(), protocol, protocol.hasPorts() ? Ports.single(q.port()) : Ports.NONE,
                        OptionalInt.empty());
                InvariantCheck.demand(state, relation, inv, probe)
                        .ifPresent(d -> cells.add(new Covered(r, d, r.observed() && !r.wrongTarget())));
            }
            List<Covered> breaking;
            if (inv.rule() instanceof InvariantRule.Limit limit) {
                List<Covered> reached = cells.stream().filter(Covered::reached).toList();
                breaking = flows(reached, relation, queries).size() > limit.max() ? reached : List.of();
            } else {
                breaking = cells.stream().filter(c -> switch (c.demand()) {
                    case UNREACHED -> c.reached();
                    case REACHED -> !c.reached();
                    case MAY, COUNTED -> false;
                }).toList();
            }
            Proof verdict = cells.isEmpty() ? Proof.UNTESTED : breaking.isEmpty() ? Proof.PROVEN : Proof.BROKEN;
            out.add(new InvariantVerdict(inv.name(), inv.origin().toString(), inv.rule().toString(), verdict, cells, breaking));
        }
        return out;
    }

    /**
     * The flows a limit counts among reached cells, as the relation counts its entries: one per (source, destination,
     * protocol), where a flow the relation allows for any protocol is one flow however many protocols reached it.
     */
    private static Set<String> flows(List<Covered> reached, ReachabilityRelation relation, Map<String, ExplainQuery> queries) {
        Set<String> flows = new LinkedHashSet<>();
        for (Covered c : reached) {
            ExplainQuery q = queries.get(c.result().cell().id());
            Principal s = q.source();
            Principal d = q.destination();
            boolean any = relation.entries().stream().anyMatch(e -> e.source().equals(s) && e.destination().equals(d) && e.protocol() == FlowProtocol.ANY);
            flows.add(s + " -> " + d + " " + (any ? "any" : c.result().cell().protocol().keyword()));
        }
        return flows;
    }
}
