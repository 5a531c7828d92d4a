package io.qfence.daemon;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.cli.HostRealization;
import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.PlanSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code qfence reconcile} in a JVM of its own, over a pretend host kept in files, so a test can kill it with SIGKILL
 * in the middle of an apply. The host is {@code HOSTDIR/state} (the revision it is at); an apply writes
 * {@code HOSTDIR/applying} first and, while {@code HOSTDIR/hold} exists, waits there: that is the moment to kill it.
 *
 * <p>Usage: {@code FakeHostDaemon HOSTDIR qfence-arguments...}
 */
public final class FakeHostDaemon {

    private FakeHostDaemon() {}

    public static void main(String[] args) {
        Path hostDir = Path.of(args[0]);
        ReconcileCycle cycle = request -> apply(hostDir, request);
        CliContext context = new CliContext(Clock.systemUTC(), HostRealization.realizer(), where -> cycle,
                io.qfence.app.Main.daemonCollaborators());
        System.exit(Cli.commandLine(context).execute(Arrays.copyOfRange(args, 1, args.length)));
    }

    private static CycleOutcome apply(Path hostDir, ConvergeRequest request) {
        try {
            Path state = hostDir.resolve("state");
            String revision = request.state().revision();
            String current = Files.exists(state) ? Files.readString(state).strip() : "";
            if (request.mode() != ConvergeRequest.Mode.APPLY || current.equals(revision)) {
                return new CycleOutcome(Optional.of("sha256:" + revision), Optional.of(new PlanSummary(0, 0, 0)),
                        List.of(), List.of(), List.of(), Optional.empty(), Optional.of(HostObservation.NONE));
            }
            Files.writeString(hostDir.resolve("applying"), revision, StandardCharsets.UTF_8);
            while (Files.exists(hostDir.resolve("hold"))) {
                Thread.sleep(20);
            }
            Files.writeString(state, revision, StandardCharsets.UTF_8);
            Files.delete(hostDir.resolve("applying"));
            return new CycleOutcome(Optional.of("sha256:" + revision), Optional.of(new PlanSummary(0, 1, 0)),
                    List.of(new ActionResult("firewall", "update", "ok", 1, Optional.empty())), List.of(), List.of(),
                    Optional.empty(), Optional.of(HostObservation.NONE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CycleOutcome.failed("interrupted");
        }
    }
}
