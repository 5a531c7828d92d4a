package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import java.time.Clock;

/** The composition root: the only place that builds real adapters (today: the system clock) and hands them on. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        CliContext context = new CliContext(Clock.systemUTC());
        System.exit(Cli.commandLine(context).execute(args));
    }
}
