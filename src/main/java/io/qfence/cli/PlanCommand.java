package io.qfence.cli;

import io.qfence.engine.Cycle;
import io.qfence.engine.Engine;
import io.qfence.engine.HostSelection;
import io.qfence.host.HostPorts;
import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanCodec;
import io.qfence.plan.Planner;
import io.qfence.plan.SnapshotCodec;
import io.qfence.plan.render.PlanRenderer;
import io.qfence.source.LoadResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "plan",
        mixinStandardHelpOptions = true,
        description = {"Show what qfence would change on a host, in the order it would do it.",
            "With --live, plans against the host it runs on (needs root); with --empty, against a bare host; with --observed, against a snapshot (qfence state). --live is the default for root on Linux; --empty and --observed need neither root nor a live host, so CI can show a dry-run plan.",
            "With --all-hosts (offline only), plans every host of the desired state, one section each, and exits 0 when no host changes, 2 when any does, 1 when any host's plan fails (the section names the host and why).",
            "Exits 0 when there is nothing to change, 2 when there are changes, 1 on an error."})
final class PlanCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    QfenceCommand root;

    @Mixin
    DesiredStateOptions source;

    @Mixin
    HostOptions hostOptions;

    @Mixin
    ScopeOptions scope;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Observation observation;

    static final class Observation {
        @Option(names = "--live", required = true,
                description = "Plan against the live host (the default for root on Linux when neither --empty nor --observed is given).")
        boolean live;

        @Option(names = "--observed", paramLabel = "FILE", required = true,
                description = "Plan against this snapshot of the host (JSON, as printed by qfence state).")
        Path observed;

        @Option(names = "--empty", required = true, description = "Plan against a bare host that has nothing of qfence's.")
        boolean empty;
    }

    @Option(names = "--facts", paramLabel = "typical|this-host|FILE",
            description = "With --empty: the host facts to plan for (cgroup version, kernel features). typical (the default): "
                    + "cgroup v2 and every feature but AppArmor and KVM; this-host: as observed here (needs root on Linux); FILE: "
                    + "a JSON object like the facts in qfence state's output.")
    String facts;

    @Mixin
    ReportFormatOptions output;

    @Option(names = "--all-hosts",
            description = "Plan every host of the desired state (with --empty or --observed; --observed then names a directory holding "
                    + "HOST.json for each host, as qfence state prints it): one section per host and an aggregate exit code.")
    boolean allHosts;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Also save the plan, with its full objects and the digest of the observed state, for apply --plan.")
    Path out;

    private final CliContext context;
    /** The host facts the plan was made for, and where they came from: said at the top of every plan. */
    private HostFacts assumed = HostFacts.TYPICAL;
    private String factsSource = "";
    /** The desired state's and the realization's warnings, as printed on stderr. */
    private final List<String> sourceWarnings = new ArrayList<>();
    /** How many host sections share one Markdown comment (1 unless --all-hosts). */
    private int sharingTheComment = 1;

    PlanCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        HostOptions host = hostOptions.over(root.hostOptions);
        boolean live = observation == null ? liveByDefault() : observation.live;
        if (facts != null && (live || !observation.empty)) {
            throw new UsageException("--facts is for plan --empty: a live host and a snapshot bring their own facts");
        }
        if (allHosts) {
            return planFleet(host, live);
        }
        Plan plan = live ? planLive(host) : planOffline(host);
        if (output.format() != ReportFormatOptions.ReportFormat.text) {
            // JSON and Markdown are read where stderr is not (CI artifacts, pull-request comments): the warnings printed
            // there (an expired exception, a limit this host cannot apply) go into the plan too. Text keeps them on stderr.
            plan = withWarnings(plan, sourceWarnings);
        }
        if (out != null) {
            write(out, PlanCodec.toJson(plan));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(rendered(plan));
        stdout.flush();
        return exitCode(plan);
    }

    private static int exitCode(Plan plan) {
        return !plan.isApplicable() ? ExitCodes.ERROR : plan.isEmpty() ? ExitCodes.OK : ExitCodes.CHANGES;
    }

    /** One host's plan as the chosen format prints it, with the facts it was made for. */
    private String rendered(Plan plan) {
        io.qfence.plan.render.RenderOptions options = output.renderOptions();
        // A fleet's Markdown is one comment: each host gets its share of the limit, so the whole still fits.
        options = options.withMaxLength(options.maxLength() / sharingTheComment);
        String rendered = PlanRenderer.forFormat(output.format().name()).render(plan, options);
        return switch (output.format()) {
            case text -> "Host facts: " + FactsChoice.describe(assumed) + " (" + factsSource + ")\n\n" + rendered;
            case markdown -> rendered.replaceFirst("\n\n", "\n\nHost facts: " + FactsChoice.describe(assumed) + " (" + factsSource + ")\n\n");
            case json -> FactsChoice.withFacts(rendered, assumed, factsSource);
        };
    }

    /**
     * {@code --all-hosts}: every host of the desired state, in its order, each planned offline as {@code plan --host H}
     * would plan it. A host whose plan fails (its snapshot missing or of another host, a realization this host's facts
     * refuse) is a section that says so, and the others are still planned: a reviewer sees every host at once.
     */
    private int planFleet(HostOptions host, boolean live) {
        if (live) {
            throw new UsageException("--all-hosts plans offline (--empty, or --observed DIR with a snapshot per host): a live host "
                    + "can only plan itself; run plan --live on each host");
        }
        if (host.host().isPresent()) {
            throw new UsageException("--all-hosts plans every host; --host chooses one");
        }
        if (out != null) {
            throw new UsageException("--out saves one host's plan for apply --plan; save each with plan --host H --out FILE");
        }
        if (!observation.empty && !Files.isDirectory(observation.observed)) {
            throw new UsageException("with --all-hosts, --observed names a directory holding HOST.json for each host; "
                    + observation.observed + " is not a directory");
        }
        DesiredState state = loadOffline(host);
        List<String> loadWarnings = List.copyOf(sourceWarnings);
        sharingTheComment = Math.max(1, state.hosts().size());
        List<FleetPlanOutput.Section> sections = new ArrayList<>();
        for (io.qfence.model.desired.Host h : state.hosts()) {
            sourceWarnings.clear();
            sourceWarnings.addAll(loadWarnings);
            try {
                Plan plan = planOffline(state, h.name(), host, observation.empty ? null : observation.observed.resolve(h.name() + ".json"));
                if (output.format() != ReportFormatOptions.ReportFormat.text) {
                    plan = withWarnings(plan, sourceWarnings);
                }
                sections.add(FleetPlanOutput.Section.planned(h.name(), plan, rendered(plan)));
            } catch (io.qfence.model.errors.QfenceException e) {
                String why = e instanceof InvalidInputException invalid
                        ? String.join("; ", invalid.diagnostics().stream().map(Diagnostic::toString).toList())
                        : e.getMessage();
                spec.commandLine().getErr().println("qfence: error: host " + h.name() + ": " + io.qfence.model.ControlCharacters.escape(why));
                sections.add(FleetPlanOutput.Section.failed(h.name(), why));
            }
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(FleetPlanOutput.render(sections, output.format()));
        stdout.flush();
        spec.commandLine().getErr().flush();
        return FleetPlanOutput.exitCode(sections);
    }

    /**
     * Without --live, --empty or --observed: the live host when this process can read it (root on Linux), because
     * that is what an operator on the host means; anywhere else a plan against nothing in particular would mislead,
     * so it is an error that names the offline options.
     */
    private boolean liveByDefault() {
        if (context.host().available()) {
            return true;
        }
        throw new UsageException("plan needs a host to compare with: run it as root on the host (plan --live), or plan offline with "
                + "--empty (a bare host) or --observed FILE (a snapshot from qfence state)");
    }

    private Plan planLive(HostOptions host) {
        Cycle cycle;
        try (HostPorts ports = LiveHostCommands.connect(context, host, "plan --live")) {
            cycle = new Engine(ports, context.clock()).plan(LiveHostCommands.request(context, source, host, scope));
        }
        LiveHostCommands.warn(spec.commandLine().getErr(), cycle.warnings());
        cycle.warnings().forEach(sourceWarnings::add);
        assumed = cycle.observed().facts();
        factsSource = "observed on this host";
        return cycle.plan();
    }

    private Plan planOffline(HostOptions host) {
        DesiredState state = loadOffline(host);
        String hostName = HostSelection.choose(state, host.host()).name();
        return planOffline(state, hostName, host, observation.empty ? null : observation.observed);
    }

    /** The desired state for an offline plan; its warnings go to stderr once, and into JSON and Markdown. */
    private DesiredState loadOffline(HostOptions host) {
        if (host.targetsLiveHost()) {
            throw new UsageException("--netns, --cgroup-root, --cgroup-parent, --state-dir, --run-dir and --images-root are for the "
                    + "live host; with --empty or --observed they would change nothing");
        }
        PrintWriter err = spec.commandLine().getErr();
        LoadResult loaded = source.load(context.clock());
        if (!loaded.ok()) {
            throw new InvalidInputException(loaded.diagnostics());
        }
        loaded.warnings().forEach(err::println);
        loaded.warnings().forEach(w -> sourceWarnings.add(w.toString()));
        return loaded.state().orElseThrow();
    }

    /** One host's offline plan: against a bare host when {@code snapshot} is null, else against that snapshot. */
    private Plan planOffline(DesiredState state, String hostName, HostOptions host, Path snapshot) {
        PrintWriter err = spec.commandLine().getErr();
        ObservedHost observed;
        if (snapshot == null) {
            FactsChoice choice = FactsChoice.of(facts == null ? "typical" : facts, context, host);
            observed = ObservedHost.empty(hostName, choice.facts());
            factsSource = choice.source();
        } else {
            observed = readSnapshot(snapshot, hostName);
            factsSource = "from the snapshot " + snapshot;
        }
        assumed = observed.facts();
        observed = new ObservedHost(observed.host(), observed.facts(), observed.objects().stream().filter(scope.scope()::includes).toList(),
                observed.foreign(), observed.counters(), observed.namespaces());
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        HostRealization.Realized realized = context.realization().realize(state, hostName, observed.facts(), today);
        realized.warnings().stream().map(Diagnostic::toString).forEach(err::println);
        realized.warnings().stream().map(Diagnostic::toString).forEach(sourceWarnings::add);
        err.flush();
        return Planner.plan(realized.objects().stream().filter(scope.scope()::includes).toList(), observed);
    }

    private static Plan withWarnings(Plan plan, List<String> first) {
        if (first.isEmpty()) {
            return plan;
        }
        List<String> all = new ArrayList<>();
        first.forEach(w -> all.add(w.replaceFirst("^warning: ", "").replace(": warning: ", ": ")));
        all.addAll(plan.warnings());
        return new Plan(plan.host(), plan.changes(), all, plan.errors(), plan.observedDigest(), plan.desiredDigest());
    }

    private static ObservedHost readSnapshot(Path file, String hostName) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read the snapshot " + file + ": " + io.qfence.model.errors.IoMessages.reason(e), e);
        }
        ObservedHost observed;
        try {
            observed = SnapshotCodec.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new UsageException(file + ": " + e.getMessage(), e);
        }
        if (!observed.host().equals(hostName)) {
            throw new UsageException(file + " is a snapshot of host '" + observed.host() + "', not of '" + hostName + "'");
        }
        return observed;
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            Path dir = file.toAbsolutePath().getParent();
            String reason = e instanceof java.nio.file.NoSuchFileException && dir != null && !Files.isDirectory(dir)
                    ? "its directory " + dir + " does not exist" : io.qfence.model.errors.IoMessages.reason(e);
            throw new UsageException("cannot write the plan to " + file + ": " + reason, e);
        }
    }
}
