package io.qfence.cli;

import io.qfence.host.HostConnector;
import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Clock;
import java.util.Objects;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock, the realization that
 * the offline {@code plan} and {@code diff} use, the live host ({@code state}, {@code plan --live}, {@code apply}),
 * where {@code apply} reads its confirmation, and the reconcile cycles of {@code reconcile}. Tests build one with a
 * fixed clock, and a real or no host.
 */
public record CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input,
                         CycleFactory cycles) {

    public CliContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(realization, "realization");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(cycles, "cycles");
    }

    /** With the real realization and no live host. */
    public CliContext(Clock clock) {
        this(clock, HostRealization.realizer());
    }

    /** With no live host, nothing to read and no reconcile cycles. */
    public CliContext(Clock clock, HostRealization realization) {
        this(clock, realization, HostConnector.NONE, new BufferedReader(new StringReader("")));
    }

    /** With a live host but no reconcile cycles. */
    public CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input) {
        this(clock, realization, host, input, CycleFactory.UNAVAILABLE);
    }

    /** With the real realization and a live host. */
    public CliContext(Clock clock, HostConnector host, BufferedReader input) {
        this(clock, HostRealization.realizer(), host, input);
    }

    /** With no live host, and {@code cycles} for {@code reconcile} (a stand-in, in tests). */
    public CliContext(Clock clock, HostRealization realization, CycleFactory cycles) {
        this(clock, realization, HostConnector.NONE, new BufferedReader(new StringReader("")), cycles);
    }
}
