package io.qfence.cli;

import io.qfence.model.errors.UsageException;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock, and the realization
 * that {@code plan} and {@code diff} use; later issues add the host adapters here. Tests build one with a fixed
 * clock.
 */
public record CliContext(Clock clock, Optional<HostRealization> realization) {

    public CliContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(realization, "realization");
    }

    /** A context without realization: {@code validate} works, {@code plan} and {@code diff} say what is missing. */
    public CliContext(Clock clock) {
        this(clock, Optional.empty());
    }

    HostRealization requireRealization(String command) {
        return realization.orElseThrow(() -> new UsageException(command + " needs the realizer, which this build of qfence does not wire in"));
    }
}
