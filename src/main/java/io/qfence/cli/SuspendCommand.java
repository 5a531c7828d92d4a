package io.qfence.cli;

import io.qfence.daemon.control.DaemonLock;
import io.qfence.daemon.control.Suspension;
import io.qfence.model.errors.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "suspend",
        mixinStandardHelpOptions = true,
        description = {"Pause the reconcile daemon: nothing applied or healed until qfence resume.",
            "The daemon still fetches, and reports drift without healing it. Takes effect at once when the daemon runs, and before it starts otherwise; a cycle already applying finishes first. Survives restarts."})
final class SuspendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StateDirOptions state;

    @Mixin
    OperatorName operator;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for status and the journal.")
    String reason;

    private final CliContext context;

    SuspendCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        try {
            Files.createDirectories(state.stateDir());
            new Suspension(context.clock().instant(), operator.name(), Optional.ofNullable(reason).map(String::strip)
                    .filter(r -> !r.isEmpty())).write(state.stateDir());
            PrintWriter out = spec.commandLine().getOut();
            out.println("suspended: the daemon applies and heals nothing until qfence resume"
                    + DaemonLock.running(state.stateDir()).map(h -> " (daemon pid " + h.pid() + " running)")
                    .orElse(" (no daemon running)"));
            out.flush();
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UsageException("cannot suspend in " + state.stateDir() + ": " + io.qfence.model.errors.IoMessages.reason(e), e);
        }
    }
}
