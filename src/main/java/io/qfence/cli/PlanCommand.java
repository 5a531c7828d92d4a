package io.qfence.cli;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Host;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "plan",
        mixinStandardHelpOptions = true,
        description = {"Show what qfence would change on a host, in the order it would do it.",
            "With --empty, plans against a bare host; with --observed, against a snapshot (qfence state): neither",
            "needs root or a live host, so CI can show a dry-run plan.",
            "Exits 0 when there is nothing to change, 2 when there are changes, 1 on an error."})
final class PlanCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DesiredStateOptions source;

    @Option(names = "--host", paramLabel = "H", description = "The host to plan for (default: the desired state's only host).")
    String host;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Observation observation;

    static final class Observation {
        @Option(names = "--observed", paramLabel = "FILE", required = true,
                description = "Plan against this snapshot of the host (JSON, as printed by qfence state).")
        Path observed;

        @Option(names = "--empty", required = true, description = "Plan against a bare host that has nothing of qfence's.")
        boolean empty;
    }

    @Mixin
    ReportFormatOptions output;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Also save the plan, with its full objects and the digest of the observed state, for apply --plan.")
    Path out;

    private final CliContext context;

    PlanCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        LoadResult loaded = source.load(context.clock());
        if (!loaded.ok()) {
            throw new InvalidInputException(loaded.diagnostics());
        }
        loaded.warnings().forEach(err::println);
        DesiredState state = loaded.state().orElseThrow();
        String hostName = hostName(state);
        ObservedHost observed = observation.empty ? ObservedHost.empty(hostName, HostFacts.TYPICAL) : readSnapshot(observation.observed, hostName);
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        HostRealization.Realized realized = context.realization().realize(state, hostName, observed.facts(), today);
        realized.warnings().stream().map(Diagnostic::toString).forEach(err::println);
        err.flush();

        Plan plan = Planner.plan(realized.objects(), observed);

        if (out != null) {
            write(out, PlanCodec.toJson(plan));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(PlanRenderer.forFormat(output.format().name()).render(plan, output.renderOptions()));
        stdout.flush();
        return !plan.isApplicable() ? ExitCodes.ERROR : plan.isEmpty() ? ExitCodes.OK : ExitCodes.CHANGES;
    }

    private String hostName(DesiredState state) {
        if (host != null) {
            return state.host(host).map(Host::name).orElseThrow(() -> new UsageException("no host '" + host
                    + "' in the desired state; it has: " + String.join(", ", state.hosts().stream().map(Host::name).toList())));
        }
        if (state.hosts().size() != 1) {
            throw new UsageException("the desired state has " + state.hosts().size() + " hosts ("
                    + String.join(", ", state.hosts().stream().map(Host::name).toList()) + "): choose one with --host");
        }
        return state.hosts().get(0).name();
    }

    private static ObservedHost readSnapshot(Path file, String hostName) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read the snapshot " + file + ": " + e.getMessage(), e);
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
            throw new UsageException("cannot write the plan to " + file + ": " + e.getMessage(), e);
        }
    }
}
