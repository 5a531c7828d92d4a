package io.qfence.cli;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Host;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.host.HostFacts;
import io.qfence.plan.diff.FlowEntry;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.diff.InvariantBreak;
import io.qfence.plan.diff.IsolationDiff;
import io.qfence.plan.diff.IsolationDiffRenderer;
import io.qfence.plan.diff.ReachabilityGraph;
import io.qfence.realize.InvariantCheck;
import io.qfence.realize.InvariantViolation;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.GitRevision;
import io.qfence.source.LoadResult;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "diff",
        mixinStandardHelpOptions = true,
        description = {"Show which access a change of the desired state widens or narrows.",
            "Lists the invariants of policies/ the new revision breaks (first), the flows gained and lost, computed from each revision's realized policy (not from the YAML text), and the changes to VLANs, subnets, limits and VM lifecycle.",
            "Markdown also draws the new revision's group-level reachability graph (Mermaid), gained flows highlighted.",
            "Exits 0, or 3 with --fail-on-widen when access widens (so CI can require an extra approval); 1 on an error."})
final class DiffCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--repo", paramLabel = "PATH|URL", required = true, description = "The Git repository of the desired state.")
    String repo;

    @Option(names = "--from", paramLabel = "REV", required = true, description = "The old revision, e.g. origin/main.")
    String from;

    @Option(names = "--to", paramLabel = "REV", defaultValue = GitRevision.DEFAULT_REVISION,
            description = "The new revision (default: ${DEFAULT-VALUE}).")
    String to;

    @Option(names = "--dir", paramLabel = "PATH", defaultValue = GitRevision.DEFAULT_DIRECTORY,
            description = "The desired-state directory inside the repository (default: ${DEFAULT-VALUE}).")
    String dir;

    @Option(names = "--fail-on-widen", description = "Exit 3 when the new revision allows a flow the old one did not.")
    boolean failOnWiden;

    @Mixin
    ReportFormatOptions output;

    private final CliContext context;

    DiffCommand(CliContext context) {
        this.context = context;
    }

    private record Side(String label, DesiredState state, FlowSet flows, List<InvariantViolation> violations,
                        Map<String, List<io.qfence.model.host.HostObject>> objects) {}

    @Override
    public Integer call() {
        HostRealization realization = context.realization();
        Side before = side(from, realization);
        Side after = side(to, realization);
        IsolationDiff diff = IsolationDiff.of(before.label(), before.flows(), before.state(), after.label(), after.flows(), after.state())
                .withBroken(InvariantBreak.of(before.violations(), after.violations()));
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> vmGroups = GraphCommand.vmGroups(List.of(before.state(), after.state()));
        Optional<ReachabilityGraph> graph = output.format() == ReportFormatOptions.ReportFormat.markdown
                ? Optional.of(ReachabilityGraph.of(after.flows(), diff.gained(), diff.lost(), vmGroups, broken(after, vmGroups)))
                : Optional.empty();
        String rendered = IsolationDiffRenderer.render(diff, output.format().name(), output.renderOptions(), graph);
        if (before.objects().size() > 1 || after.objects().size() > 1) {
            rendered = withHosts(rendered, io.qfence.plan.diff.HostObjectChanges.of(before.objects(), after.objects()));
        }
        out.print(rendered);
        out.flush();
        return failOnWiden && diff.widens() ? ExitCodes.WIDENED : ExitCodes.OK;
    }

    /**
     * A fleet (more than one host in either revision): the flows above are one policy across hosts; each host's own
     * object changes follow, since each host's qfence applies only its own. One host keeps the output it always had.
     */
    private String withHosts(String rendered, List<io.qfence.plan.diff.HostObjectChanges> hosts) {
        return switch (output.format()) {
            case text -> rendered + io.qfence.plan.diff.HostObjectChanges.text(hosts);
            case markdown -> rendered + io.qfence.plan.diff.HostObjectChanges.markdown(hosts);
            case json -> {
                try {
                    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
                    com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(rendered);
                    io.qfence.plan.diff.HostObjectChanges.json(root.putArray("hosts"), hosts);
                    yield json.writer().with(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException("the diff's own JSON must parse", e);
                }
            }
        };
    }

    /** The graph's edges that carry a breach of the new revision's invariants, as (source node, destination node). */
    private static Set<Map.Entry<String, String>> broken(Side after, Map<String, String> vmGroups) {
        Set<Map.Entry<String, String>> out = new java.util.HashSet<>();
        DesiredState state = after.state();
        for (InvariantViolation v : after.violations()) {
            for (InvariantViolation.Breach b : v.breaches()) {
                b.entry().ifPresent(e -> {
                    for (String from : endpoints(e.source(), e.destination(), state)) {
                        for (String to : endpoints(e.destination(), e.source(), state)) {
                            out.add(Map.entry(ReachabilityGraph.nodeOf(from, vmGroups), ReachabilityGraph.nodeOf(to, vmGroups)));
                        }
                    }
                });
            }
        }
        return out;
    }

    /**
     * The graph's names for one end of a breach. The relation's {@code host} is every host (the relations of the hosts
     * are united), while the graph draws each host: beside a VM it is that VM's own host (a guest reaches, and is
     * reached by, only the host it runs on); beside anything else it is each host of the state.
     */
    static List<String> endpoints(io.qfence.realize.Principal end, io.qfence.realize.Principal other, DesiredState state) {
        if (!(end instanceof io.qfence.realize.Principal.ThisHost)) {
            return List.of(end.toString());
        }
        List<Host> hosts = state.hosts();
        if (other instanceof io.qfence.realize.Principal.SingleVm vm) {
            hosts = hosts.stream().filter(h -> h.groups().contains(vm.group())).toList();
        }
        return hosts.stream().map(h -> "host:" + h.name()).toList();
    }

    /**
     * One revision: its desired state and the flows of every host it has. VMs are named uniquely across hosts, so the
     * relations of the hosts are simply united; {@code host} means each host itself.
     */
    private Side side(String rev, HostRealization realization) {
        LoadResult loaded = DesiredStateLoader.loadGit(new GitRevision(repo, rev, dir), context.clock());
        if (!loaded.ok()) {
            throw new InvalidInputException(loaded.diagnostics());
        }
        DesiredState state = loaded.state().orElseThrow();
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        List<FlowEntry> flows = new ArrayList<>();
        Map<String, List<io.qfence.model.host.HostObject>> objects = new java.util.LinkedHashMap<>();
        for (Host h : state.hosts()) {
            HostRealization.Realized realized = realization.realize(state, h.name(), HostFacts.TYPICAL, today);
            flows.addAll(realized.flows().entries());
            objects.put(h.name(), realized.objects());
        }
        String commit = state.revision();
        String shortCommit = commit.length() > 12 ? commit.substring(0, 12) : commit;
        String label = rev.equals(commit) || rev.equals(shortCommit) ? shortCommit : rev + " (" + shortCommit + ")";
        // The new revision's own invariants judge it (a change to policies/ is part of the change under review).
        return new Side(label, state, FlowSet.of(flows), InvariantCheck.evaluate(state, today), objects);
    }
}
