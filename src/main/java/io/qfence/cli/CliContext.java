package io.qfence.cli;

import java.time.Clock;
import java.util.Objects;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock, and the realization
 * that {@code plan} and {@code diff} use; later issues add the host adapters here. Tests build one with a fixed
 * clock.
 */
public record CliContext(Clock clock, HostRealization realization) {

    public CliContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(realization, "realization");
    }

    /** With the real realization. */
    public CliContext(Clock clock) {
        this(clock, HostRealization.realizer());
    }
}
