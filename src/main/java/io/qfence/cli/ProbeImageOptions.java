package io.qfence.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --probe-images}: where {@code bin/build-probe-image} put the probe guest's kernel and initramfs. */
final class ProbeImageOptions {

    @Option(names = "--probe-images", paramLabel = "DIR",
            description = {"Directory with kernels/vmlinuz and initrds/probe.img, as bin/build-probe-image makes them.",
                "Default: $QFENCE_PROBE_IMAGES, else ~/.cache/qfence/probe/out, where bin/qfence builds it."})
    Path probeImages;

    Path resolve() {
        if (probeImages != null) {
            return probeImages;
        }
        String env = System.getenv("QFENCE_PROBE_IMAGES");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String cache = System.getenv("QFENCE_PROBE_CACHE");
        if (cache != null && !cache.isBlank()) {
            return Path.of(cache, "out");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("qfence/probe/out");
    }
}
