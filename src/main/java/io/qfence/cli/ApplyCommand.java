package io.qfence.cli;

import io.qfence.apply.ApplyReport;
import io.qfence.engine.PlanApproval;
import io.qfence.engine.Cycle;
import io.qfence.engine.CycleRequest;
import io.qfence.engine.Engine;
import io.qfence.engine.Timings;
import io.qfence.host.HostPorts;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.HostFacts;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanCodec;
import io.qfence.plan.Summary;
import io.qfence.plan.render.PlanRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "apply",
        mixinStandardHelpOptions = true,
        description = {"Make the live host match the desired state, step by step, checking each step.",
            "Plans, shows the plan, asks (unless --auto-approve), then applies it, checking each step's result. Only one apply runs at a time (a lock in the host's stateDir). If an apply is interrupted, the next plan shows what remains and the next apply completes it. Needs root.",
            "Exits 0 when the host matches the desired state afterwards (or already did), 1 otherwise."})
final class ApplyCommand implements Callable<Integer> {

    static final String PROMPT = "Do you want to perform these actions? Only 'yes' will be accepted: ";

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

    @Option(names = "--auto-approve", description = "Apply without asking.")
    boolean autoApprove;

    @Option(names = "--plan", paramLabel = "FILE",
            description = "Apply this saved plan (plan --out FILE) instead of a new one; refused when the host changed since it was made.")
    Path savedPlan;

    @Option(names = "--progress", paramLabel = "FORMAT", defaultValue = "text",
            description = "Progress as ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); json prints one event per line and needs --auto-approve.")
    ProgressPrinter.ProgressFormat progress;

    @Option(names = "--wait-ready",
            description = "After applying, wait until every running guest's serial console says cloud-init finished (a guest image made by bin/build-guest-image prints it); exit 1 if one is not ready within --ready-timeout.")
    boolean waitReady;

    @Option(names = "--ready-timeout", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long --wait-ready waits (default: ${DEFAULT-VALUE}).")
    java.time.Duration readyTimeout;

    private final CliContext context;
    /** How many of the cycle's warnings were printed with the plan. */
    private int warned;

    ApplyCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        if (progress == ProgressPrinter.ProgressFormat.json && !autoApprove) {
            throw new UsageException("--progress json cannot ask for confirmation: add --auto-approve");
        }
        HostOptions host = hostOptions.over(root.hostOptions);
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        Plan saved = savedPlan == null ? null : readPlan(savedPlan);
        CycleRequest request = LiveHostCommands.request(context, source, host, scope);
        ProgressPrinter printer = ProgressPrinter.of(progress, out);
        Cycle cycle;
        int code;
        try (HostPorts ports = LiveHostCommands.connect(context, host, "apply")) {
            Engine engine = new Engine(ports, context.clock());
            PlanApproval shown = new PlanApproval() {
                @Override
                public boolean approve(Plan plan, List<String> warnings) {
                    // not called by the engine, which always says the facts; without them the plan is shown without its header
                    return ApplyCommand.this.approve(plan, warnings, Optional.empty(), printer, out, err);
                }

                @Override
                public boolean approve(Plan plan, List<String> warnings, HostFacts facts) {
                    return ApplyCommand.this.approve(plan, warnings, Optional.of(facts), printer, out, err);
                }
            };
            PlanApproval approval = autoApprove ? shown : PlanApproval.asking(shown);
            cycle = saved == null ? engine.apply(request, approval, printer, "qfence apply")
                    : engine.applySaved(request, saved, approval, printer, "qfence apply");
            LiveHostCommands.warn(err, cycle.warnings().subList(Math.min(warned, cycle.warnings().size()), cycle.warnings().size()));
            code = report(cycle, printer, out, err);
            if (waitReady && code == ExitCodes.OK) {
                code = awaitReady(ports, cycle, out, err);
            }
        }
        out.flush();
        err.flush();
        return code;
    }

    /**
     * {@code --wait-ready}: one line per guest when its console says cloud-init finished, one per guest still not ready
     * at the timeout (with what its console showed); JSON progress gets the same as {@code boot} events.
     */
    private int awaitReady(HostPorts ports, Cycle cycle, PrintWriter out, PrintWriter err) {
        List<io.qfence.model.host.Guest> guests = io.qfence.apply.ReadinessWait.runningGuests(cycle.desired());
        boolean text = progress == ProgressPrinter.ProgressFormat.text;
        if (text) {
            out.println("Waiting up to " + LiveHostCommands.format(readyTimeout) + " for " + guests.size()
                    + " running guest(s) to finish cloud-init (read from their serial consoles)...");
            out.flush();
        }
        io.qfence.host.Progress lines = (address, message) -> {
            synchronized (out) {
                if (text) {
                    out.println(address + ": " + message);
                } else {
                    out.println(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                            .put("event", "boot").put("address", address).put("message", message).toString());
                }
                out.flush();
            }
        };
        io.qfence.apply.ReadinessWait.Waited outcome;
        try {
            outcome = io.qfence.apply.ReadinessWait.await(ports.guests(), guests, readyTimeout, java.time.Duration.ofSeconds(1),
                    java.time.Clock.systemUTC(), d -> Thread.sleep(d.toMillis()), lines); // real time: the context clock may be fixed (a date)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("qfence: error: interrupted while waiting for guests to be ready");
            return ExitCodes.ERROR;
        }
        if (!outcome.allReady()) {
            err.println("qfence: error: not ready after " + LiveHostCommands.format(outcome.waited()) + ": " + String.join(", ", outcome.notReady()));
            return ExitCodes.ERROR;
        }
        if (text) {
            out.println("All " + guests.size() + " running guest(s) ready in " + LiveHostCommands.format(outcome.waited()) + ".");
        }
        return ExitCodes.OK;
    }

    /** Shows the plan, then asks unless told not to. */
    private boolean approve(Plan plan, List<String> warnings, Optional<HostFacts> facts, ProgressPrinter printer, PrintWriter out,
                            PrintWriter err) {
        LiveHostCommands.warn(err, warnings);
        warned = warnings.size();
        if (progress == ProgressPrinter.ProgressFormat.json) {
            printer.planned(plan);
            return true;
        }
        out.print(withFacts(plan, facts));
        if (autoApprove) {
            out.println();
            out.flush();
            return true;
        }
        out.println();
        out.print(PROMPT);
        out.flush();
        String answer;
        try {
            answer = context.input().readLine();
        } catch (IOException e) {
            answer = null;
        }
        out.println();
        return answer != null && answer.strip().equals("yes");
    }

    private int report(Cycle cycle, ProgressPrinter printer, PrintWriter out, PrintWriter err) {
        Plan plan = cycle.plan();
        Timings t = cycle.timings();
        int total = plan.changes().size();
        int applied = cycle.applied().map(r -> r.completed().size()).orElse(0);
        printer.complete(cycle.outcome().name().toLowerCase(java.util.Locale.ROOT), applied, total, t);
        boolean text = progress == ProgressPrinter.ProgressFormat.text;
        switch (cycle.outcome()) {
            case NO_CHANGES -> {
                if (text) {
                    out.println("No changes. The host matches the desired state. (observe " + LiveHostCommands.format(t.observe()) + ", plan "
                            + LiveHostCommands.format(t.plan()) + ")");
                }
                return ExitCodes.OK;
            }
            case NOT_APPLICABLE -> {
                if (text) {
                    out.print(withFacts(plan, Optional.of(cycle.observed().facts())));
                }
                err.println("qfence: error: the plan cannot be applied: " + String.join("; ", plan.errors()));
                return ExitCodes.ERROR;
            }
            case DECLINED -> {
                err.println("Apply cancelled: nothing was changed.");
                return ExitCodes.ERROR;
            }
            case APPLIED -> {
                if (text) {
                    Summary s = plan.summary();
                    out.println();
                    out.println("Apply complete: " + s.add() + " added, " + s.change() + " changed, " + s.destroy() + " destroyed, "
                            + s.start() + " started, " + s.stop() + " stopped, in " + LiveHostCommands.format(t.total()) + " (observe "
                            + LiveHostCommands.format(t.observe()) + ", plan " + LiveHostCommands.format(t.plan()) + ", apply "
                            + LiveHostCommands.format(t.apply().orElseThrow()) + ").");
                }
                return ExitCodes.OK;
            }
            case FAILED -> {
                ApplyReport r = cycle.applied().orElseThrow();
                // the failure itself was said on its step's line (text) or in its "failed" event (json): not again
                err.println(failedLine(r));
                return ExitCodes.ERROR;
            }
            default -> throw new IllegalStateException("apply ended " + cycle.outcome());
        }
    }

    /** The plan as {@code qfence plan} shows it: headed by the host facts it was made for, as observed on this host. */
    private static String withFacts(Plan plan, Optional<HostFacts> facts) {
        return facts.map(f -> "Host facts: " + FactsChoice.describe(f) + " (observed on this host)\n\n").orElse("")
                + PlanRenderer.forFormat("text").render(plan, ReportFormatOptions.textOptions());
    }

    /** True counts: what completed, what failed (parallel starts can fail together), and what never ran. */
    static String failedLine(ApplyReport r) {
        return "Apply failed: " + r.completed().size() + " of " + r.planned() + " changes done, " + r.failedSteps() + " failed"
                + (r.notRun() > 0 ? ", " + r.notRun() + " not run (nothing runs after a failure)" : "")
                + ". The next plan shows what remains.";
    }

    private static Plan readPlan(Path file) {
        try {
            return PlanCodec.fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UsageException("cannot read the saved plan " + file + ": " + io.qfence.model.errors.IoMessages.reason(e), e);
        } catch (IllegalArgumentException e) {
            throw new UsageException(file + ": " + e.getMessage(), e);
        }
    }
}
