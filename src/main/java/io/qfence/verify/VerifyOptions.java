package io.qfence.verify;

import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.realize.Realization;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How to run {@code qfence verify}.
 *
 * @param probeImages where {@code bin/build-probe-image} put {@code kernels/vmlinuz} and {@code initrds/probe.img}
 * @param today       the day exceptions expire against (UTC)
 * @param progress    where each step is reported
 * @param afterApply  runs once the realization is in place and the guests are started, before probing: the demo
 *                    shows the guests' state there, and tests tamper with the sandbox's firewall
 * @param bootTimeout how long a probe guest may take until its console answers
 */
public record VerifyOptions(Path probeImages, LocalDate today, Progress progress, Consumer<Applied> afterApply, Duration bootTimeout) {

    /** The sandbox with the realization applied and the guests started. */
    public record Applied(Sandbox sandbox, Realization realization) {}

    public VerifyOptions {
        Objects.requireNonNull(probeImages, "probeImages");
        Objects.requireNonNull(today, "today");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(afterApply, "afterApply");
        Objects.requireNonNull(bootTimeout, "bootTimeout");
    }

    public static VerifyOptions of(Path probeImages, LocalDate today, Progress progress) {
        return new VerifyOptions(probeImages, today, progress, applied -> { }, Duration.ofSeconds(120));
    }

    public VerifyOptions afterApply(Consumer<Applied> hook) {
        return new VerifyOptions(probeImages, today, progress, hook, bootTimeout);
    }
}
