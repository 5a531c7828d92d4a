package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.host.HostConnector;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * The composition root: the only place that builds real adapters (the system clock, the live host over rtnetlink,
 * libnftables, /proc/sys and cgroupfs, standard input for confirmations) and hands them on.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        CliContext context = new CliContext(Clock.systemUTC(), liveHost(),
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        System.exit(Cli.commandLine(context).execute(args));
    }

    /** The real host, for the CLI and for tests that run the CLI against a namespace of their own. */
    public static HostConnector liveHost() {
        return new LiveHost();
    }
}
