package io.qfence.cli;

import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Pending;
import io.qfence.daemon.git.CommitId;
import io.qfence.model.errors.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "approve",
        mixinStandardHelpOptions = true,
        description = {"Let the reconcile daemon apply one revision that waits for approval.",
            "A revision waits when it widens access under --auto-apply=narrowing, or always under --auto-apply=none. The approval names exactly that commit; a later commit needs its own. It never overrides signature or history checks."})
final class ApproveCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "REV",
            description = "The commit id: all 40 hex digits, or a prefix of the revision that waits (qfence status).")
    String revision;

    @Mixin
    StateDirOptions state;

    @Mixin
    OperatorName operator;

    private final CliContext context;

    ApproveCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        try {
            Optional<Pending> pending = DaemonStatus.read(state.stateDir()).flatMap(DaemonStatus::pending);
            CommitId commit = resolve(revision.strip().toLowerCase(Locale.ROOT), pending);
            Files.createDirectories(state.stateDir());
            new Approval(commit, context.clock().instant(), operator.name()).write(state.stateDir());
            PrintWriter out = spec.commandLine().getOut();
            boolean waiting = pending.filter(p -> p.revision().equals(commit.hex())
                    && p.state() == DaemonStatus.PendingState.AWAITING_APPROVAL).isPresent();
            out.println("approved " + commit.hex() + (waiting ? ": the daemon applies it now"
                    : ": it applies when the daemon reaches it (it is not the revision waiting now)"));
            out.flush();
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UsageException("cannot approve in " + state.stateDir() + ": " + io.qfence.model.errors.IoMessages.reason(e), e);
        }
    }

    static CommitId resolve(String rev, Optional<Pending> pending) {
        if (rev.matches("[0-9a-f]{40}")) {
            return CommitId.of(rev);
        }
        if (!rev.matches("[0-9a-f]{7,39}")) {
            throw new UsageException("'" + rev + "' is not a commit id: give its 40 hex digits (or at least 7 of the "
                    + "revision that waits)");
        }
        if (pending.isPresent() && pending.get().revision().startsWith(rev)) {
            return CommitId.of(pending.get().revision());
        }
        throw new UsageException("'" + rev + "' is not a prefix of the revision that waits ("
                + pending.map(Pending::revision).orElse("none") + "): give the full commit id");
    }
}
