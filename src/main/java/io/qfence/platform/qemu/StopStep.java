package io.qfence.platform.qemu;

import java.time.Duration;
import java.util.Objects;

/**
 * One step of stopping a guest, reported as it happens so that an operator sees each escalation.
 *
 * @param phase   which means of stopping
 * @param outcome what came of it
 * @param elapsed since the stop began
 * @param detail  why, for FAILED and TIMED_OUT (e.g. the QMP error); empty otherwise
 */
public record StopStep(Phase phase, StepOutcome outcome, Duration elapsed, String detail) {

    public enum Phase {
        /** QMP {@code system_powerdown}: the ACPI power button, a clean shutdown by the guest. */
        POWERDOWN,
        /** QMP {@code quit}: QEMU ends at once, the guest gets no say. */
        QUIT,
        /** SIGKILL through a pidfd: for a QEMU that no longer answers its monitor. */
        SIGKILL
    }

    public enum StepOutcome {
        SENT, FAILED, TIMED_OUT, EXITED
    }

    public StopStep {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(elapsed, "elapsed");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return phase.name().toLowerCase(java.util.Locale.ROOT) + " " + outcome.name().toLowerCase(java.util.Locale.ROOT)
                + " after " + elapsed.toMillis() + " ms" + (detail.isEmpty() ? "" : ": " + detail);
    }
}
