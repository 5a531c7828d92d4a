package io.qfence.verify;

import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.realize.Realization;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import io.qfence.model.host.Guest;

/**
 * How to run {@code qfence verify}.
 *
 * @param probeImages where {@code bin/build-probe-image} put {@code kernels/vmlinuz} and {@code initrds/probe.img}
 * @param today       the day exceptions expire against (UTC)
 * @param progress    where each step is reported
 * @param afterApply  runs once the realization is in place and the guests are started, before probing: the demo
 *                    shows the guests' state there, and tests tamper with the sandbox's firewall
 * @param bootTimeout how long a probe guest may take until its console answers
 * @param startAs     what the sandbox's guest port is asked to start for each realized guest: the guest itself; a
 *                    test starts one with a layer removed (say, without its jail) to see verify fail, which judges
 *                    every guest against its realization all the same
 */
public record VerifyOptions(Path probeImages, LocalDate today, Progress progress, Consumer<Applied> afterApply, Duration bootTimeout,
                            UnaryOperator<Guest> startAs) {

    /** The sandbox with the realization applied and the guests started. */
    public record Applied(Sandbox sandbox, Realization realization) {}

    public VerifyOptions {
        Objects.requireNonNull(probeImages, "probeImages");
        Objects.requireNonNull(today, "today");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(afterApply, "afterApply");
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        Objects.requireNonNull(startAs, "startAs");
    }

    public VerifyOptions(Path probeImages, LocalDate today, Progress progress, Consumer<Applied> afterApply, Duration bootTimeout) {
        this(probeImages, today, progress, afterApply, bootTimeout, UnaryOperator.identity());
    }

    public static VerifyOptions of(Path probeImages, LocalDate today, Progress progress) {
        return new VerifyOptions(probeImages, today, progress, applied -> { }, Duration.ofSeconds(120));
    }

    public VerifyOptions afterApply(Consumer<Applied> hook) {
        return new VerifyOptions(probeImages, today, progress, hook, bootTimeout, startAs);
    }

    /** For tests: start {@code change.apply(guest)} in place of each realized guest (see {@code startAs}). */
    public VerifyOptions startAs(UnaryOperator<Guest> change) {
        return new VerifyOptions(probeImages, today, progress, afterApply, bootTimeout, change);
    }
}
