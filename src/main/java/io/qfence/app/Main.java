package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.cli.HostRealization;
import io.qfence.host.HostConnector;
import io.qfence.platform.sandbox.NetnsSandbox;
import io.qfence.verify.SandboxApply;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * The composition root: the only place that builds real adapters (the system clock, the live host over rtnetlink,
 * libnftables, /proc/sys, cgroupfs and QEMU, standard input for confirmations, the sandboxes of verify and demo on
 * this machine) and hands them on.
 */
public final class Main {

    /** How many guests a sandbox starts at once: QEMU's start and checks are short; the boots overlap anyway. */
    static final int SANDBOX_START_CONCURRENCY = 4;

    private Main() {}

    public static void main(String[] args) {
        CliContext context = new CliContext(Clock.systemUTC(), HostRealization.realizer(), liveHost(),
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), verification());
        System.exit(Cli.commandLine(context).execute(args));
    }

    /** The real host, for the CLI and for tests that run the CLI against a namespace of their own. */
    public static HostConnector liveHost() {
        return new LiveHost();
    }

    /** The sandboxes of verify and demo on this machine. */
    public static CliContext.Verification verification() {
        return new CliContext.Verification(NetnsSandbox::create, SandboxApply.throughApplier(liveHost(), SANDBOX_START_CONCURRENCY),
                NetnsSandbox::machineFacts);
    }
}
