package io.qfence.cli;

import io.qfence.host.HostConnector;
import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Clock;
import java.util.Objects;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock, the realization that
 * the offline {@code plan} and {@code diff} use, the live host ({@code state}, {@code plan --live}, {@code apply}), and
 * where {@code apply} reads its confirmation. Tests build one with a fixed clock, and a real or no host.
 */
public record CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input) {

    public CliContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(realization, "realization");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(input, "input");
    }

    /** With the real realization and no live host. */
    public CliContext(Clock clock) {
        this(clock, HostRealization.realizer());
    }

    /** With no live host and nothing to read. */
    public CliContext(Clock clock, HostRealization realization) {
        this(clock, realization, HostConnector.NONE, new BufferedReader(new StringReader("")));
    }

    /** With the real realization and a live host. */
    public CliContext(Clock clock, HostConnector host, BufferedReader input) {
        this(clock, HostRealization.realizer(), host, input);
    }
}
