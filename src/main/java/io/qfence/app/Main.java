package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.cli.HostRealization;
import io.qfence.platform.sandbox.NetnsSandbox;
import io.qfence.verify.SandboxApply;
import java.time.Clock;

/**
 * The composition root: the only place that builds real adapters (the system clock, the sandboxes of verify and demo
 * on this machine) and hands them on.
 */
public final class Main {

    /** How many guests a sandbox starts at once: QEMU's start and checks are short; the boots overlap anyway. */
    static final int SANDBOX_START_CONCURRENCY = 4;

    private Main() {}

    public static void main(String[] args) {
        CliContext context = new CliContext(Clock.systemUTC(), HostRealization.realizer(),
                new CliContext.Verification(NetnsSandbox::create, SandboxApply.direct(SANDBOX_START_CONCURRENCY), NetnsSandbox::machineFacts));
        System.exit(Cli.commandLine(context).execute(args));
    }
}
