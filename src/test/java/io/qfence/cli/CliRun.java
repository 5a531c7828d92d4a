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
        return run(new CliContext(TODAY, HostRealization.realizer(), cycles, io.qfence.app.Main.daemonCollaborators()), args);
    }

    /** Against a host (a fake, or the real one), with {@code input} as what the user types. */
    static CliRun onHost(io.qfence.host.HostConnector host, String input, String... args) {
        return run(new CliContext(TODAY, HostRealization.realizer(), host, new java.io.BufferedReader(new java.io.StringReader(input))), args);
    }

    /** The real CLI with the live host and the daemon's real cycles, as {@code io.qfence.app.Main} wires them. */
    static CliRun live(String... args) {
        return run(new CliContext(TODAY, HostRealization.realizer(), io.qfence.app.Main.liveHost(),
                new java.io.BufferedReader(new java.io.StringReader("")),
                io.qfence.app.Main.liveCycles(io.qfence.app.Main.liveHost()), io.qfence.app.Main.daemonCollaborators()), args);
    }

    /** A connector to a fake host, as if run as root. */
    static io.qfence.host.HostConnector connector(io.qfence.host.FakeHost host) {
        return new io.qfence.host.HostConnector() {
            @Override
            public boolean available() {
                return true;
            }

            @Override
            public io.qfence.host.HostPorts connect(io.qfence.host.HostTarget target) {
                return host.ports();
            }
        };
    }

    static CliRun run(CliContext context, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(context);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
