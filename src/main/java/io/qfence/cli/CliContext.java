package io.qfence.cli;

import java.time.Clock;
import java.util.Objects;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock, the realization
 * that {@code plan} and {@code diff} use, and the reconcile cycle of {@code reconcile}. Tests build one with a fixed
 * clock.
 */
public record CliContext(Clock clock, HostRealization realization, CycleFactory cycles) {

    public CliContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(realization, "realization");
        Objects.requireNonNull(cycles, "cycles");
    }

    public CliContext(Clock clock, HostRealization realization) {
        this(clock, realization, CycleFactory.UNAVAILABLE);
    }

    /** With the real realization. */
    public CliContext(Clock clock) {
        this(clock, HostRealization.realizer());
    }
}
