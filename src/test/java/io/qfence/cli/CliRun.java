package io.qfence.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import picocli.CommandLine;

/** One run of the real {@code qfence} command line, with its output captured through injected writers. */
record CliRun(int exitCode, String out, String err) {

    /** The day every CLI test lives on, so that expiry dates in fixtures have a fixed meaning. */
    static final Clock TODAY = Clock.fixed(Instant.parse("2026-06-01T12:00:00Z"), ZoneOffset.UTC);

    static CliRun of(String... args) {
        return run(new CliContext(TODAY), args);
    }

    /** With a small stand-in for realization, for {@code plan} and {@code diff} tests that must not depend on it. */
    static CliRun realized(String... args) {
        return run(new CliContext(TODAY, new FakeRealization()), args);
    }

    /** With a stand-in for the reconcile engine, for {@code reconcile}. */
    static CliRun withCycles(CycleFactory cycles, String... args) {
        return run(new CliContext(TODAY, HostRealization.realizer(), cycles), args);
    }

    private static CliRun run(CliContext context, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(context);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
