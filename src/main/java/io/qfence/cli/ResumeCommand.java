package io.qfence.cli;

import io.qfence.daemon.control.DaemonLock;
import io.qfence.daemon.control.Suspension;
import io.qfence.model.errors.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "resume",
        mixinStandardHelpOptions = true,
        description = {"End qfence suspend: a running daemon reconciles at once."})
final class ResumeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StateDirOptions state;

    @Override
    public Integer call() {
        try {
            boolean was = Suspension.remove(state.stateDir());
            PrintWriter out = spec.commandLine().getOut();
            out.println(was ? "resumed" + DaemonLock.running(state.stateDir())
                    .map(h -> ": the daemon (pid " + h.pid() + ") reconciles now").orElse(" (no daemon running)")
                    : "not suspended: nothing to resume");
            out.flush();
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UsageException("cannot resume in " + state.stateDir() + ": " + io.qfence.model.errors.IoMessages.reason(e), e);
        }
    }
}
