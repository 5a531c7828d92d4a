package io.qfence.cli;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.Vm;
import io.qfence.model.host.HostFacts;
import io.qfence.plan.diff.FlowEntry;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.diff.GraphRenderer;
import io.qfence.plan.diff.ReachabilityGraph;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "graph",
        mixinStandardHelpOptions = true,
        description = {"Draw who reaches whom, group by group.",
            "Groups, each host, the internet, prefixes and outside sources are the nodes; every allowed flow of the realized policy (of every host) is an edge, merged per pair of nodes and labelled with its protocols and ports.",
            "Bounded: at most " + ReachabilityGraph.MAX_EDGES + " edges and " + ReachabilityGraph.MAX_NODES + " nodes, with a note saying what was left out.",
            "Exits 0, or 1 on an error."})
final class GraphCommand implements Callable<Integer> {

    enum GraphFormat { mermaid, dot }

    @Spec
    CommandSpec spec;

    @Mixin
    DesiredStateOptions source;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "mermaid",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    GraphFormat format;

    private final CliContext context;

    GraphCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        DesiredState state = source.loadValid(context.clock(), spec.commandLine().getErr());
        ReachabilityGraph graph = ReachabilityGraph.of(flows(context, state), vmGroups(List.of(state)));
        PrintWriter out = spec.commandLine().getOut();
        out.print(switch (format) {
            case mermaid -> GraphRenderer.mermaid(graph) + GraphRenderer.note(graph).map(n -> "%% " + n + "\n").orElse("");
            case dot -> GraphRenderer.dot(graph);
        });
        out.flush();
        return ExitCodes.OK;
    }

    /** The flows of every host of the desired state, united ({@code host:NAME} is each host itself), as {@code diff} compares them. */
    static FlowSet flows(CliContext context, DesiredState state) {
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        List<FlowEntry> flows = new ArrayList<>();
        for (Host h : state.hosts()) {
            flows.addAll(context.realization().realize(state, h.name(), HostFacts.TYPICAL, today).flows().entries());
        }
        return FlowSet.of(flows);
    }

    /** Every VM's group, over one or more revisions (a VM that moved takes its newest group). */
    static Map<String, String> vmGroups(List<DesiredState> states) {
        Map<String, String> out = new TreeMap<>();
        for (DesiredState s : states) {
            for (Group g : s.groups()) {
                for (Vm v : g.vms()) {
                    out.put(v.name(), g.name());
                }
            }
        }
        return out;
    }
}
