package io.qfence.cli;

import java.time.Clock;
import java.util.Objects;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock now; later issues add
 * the host adapters here. Tests build one with a fixed clock.
 */
public record CliContext(Clock clock) {

    public CliContext {
        Objects.requireNonNull(clock, "clock");
    }
}
