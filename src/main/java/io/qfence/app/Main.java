package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import java.time.Clock;
import java.util.Arrays;

/** The composition root: the only place that builds real adapters (today: the system clock) and hands them on. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        daemonLogsAtInfo(args);
        CliContext context = new CliContext(Clock.systemUTC());
        System.exit(Cli.commandLine(context).execute(args));
    }

    /**
     * Commands log at WARN (they print what matters themselves); the daemon logs each cycle and each webhook delivery,
     * at INFO, unless {@code QFENCE_LOG_LEVEL} or {@code -Dqfence.log.level} says otherwise. Decided before anything
     * logs, because logback reads the level once, when it starts.
     */
    static void daemonLogsAtInfo(String[] args) {
        boolean reconcile = Arrays.stream(args).filter(a -> !a.startsWith("-") && !a.startsWith("@")).findFirst()
                .filter("reconcile"::equals).isPresent();
        if (reconcile && System.getProperty("qfence.log.level") == null && System.getenv("QFENCE_LOG_LEVEL") == null) {
            System.setProperty("qfence.log.level", "INFO");
        }
    }
}
