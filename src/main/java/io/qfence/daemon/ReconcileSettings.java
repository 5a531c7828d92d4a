package io.qfence.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How the daemon reconciles one host.
 *
 * @param interval       how often to fetch
 * @param driftInterval  how often to check the host for drift when no new revision arrives
 * @param jitter         the fraction of an interval added at random to each wait (0.1: up to 10 % later), so hosts
 *                       that share a remote do not poll it in lockstep
 * @param retryBase      the first wait after a failed fetch or apply; it doubles up to {@code retryCap}
 * @param drift          whether a host check between revisions heals drift or only reports it
 */
public record ReconcileSettings(String host, Path stateDir, Duration interval, Duration driftInterval, double jitter,
                                Duration retryBase, Duration retryCap, AutoApply autoApply, boolean verifySignatures,
                                DriftMode drift) {

    public ReconcileSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(stateDir, "stateDir");
        requirePositive("interval", interval);
        requirePositive("drift interval", driftInterval);
        requirePositive("retry base", retryBase);
        requirePositive("retry cap", retryCap);
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be between 0 and 1, got " + jitter);
        }
        if (retryCap.compareTo(retryBase) < 0) {
            throw new IllegalArgumentException("retry cap " + retryCap + " is below the retry base " + retryBase);
        }
        Objects.requireNonNull(autoApply, "autoApply");
        Objects.requireNonNull(drift, "drift");
    }

    /** Settings that heal drift (the default). */
    public ReconcileSettings(String host, Path stateDir, Duration interval, Duration driftInterval, double jitter,
                             Duration retryBase, Duration retryCap, AutoApply autoApply, boolean verifySignatures) {
        this(host, stateDir, interval, driftInterval, jitter, retryBase, retryCap, autoApply, verifySignatures,
                DriftMode.HEAL);
    }

    private static void requirePositive(String what, Duration value) {
        Objects.requireNonNull(value, what);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }
}
