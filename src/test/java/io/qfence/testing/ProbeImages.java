package io.qfence.testing;

import java.nio.file.Path;

/** The probe guest's kernel and initramfs, built (or taken from the cache) once per test JVM by bin/build-probe-image. */
public final class ProbeImages {

    private static Path built;

    private ProbeImages() {}

    /**
     * A directory with {@code kernels/vmlinuz} and {@code initrds/probe.img}: {@code QFENCE_PROBE_IMAGES} where set
     * (the production-kernel lab brings them in built, as it has no network to build them), else built here.
     */
    public static synchronized Path directory() {
        String given = System.getenv("QFENCE_PROBE_IMAGES");
        if (built == null && given != null && !given.isEmpty()) {
            built = Path.of(given).toAbsolutePath();
        }
        if (built == null) {
            Path out = Path.of("target", "probe-images").toAbsolutePath();
            long start = System.nanoTime();
            Witness.Result r = Witness.tryRun("bin/build-probe-image", out.toString());
            if (r.exitCode() != 0) {
                throw new IllegalStateException("bin/build-probe-image failed: " + r.stderr());
            }
            System.out.printf("MEASURE probe image: %s (test saw %d ms)%n", r.stdout().strip(), (System.nanoTime() - start) / 1_000_000);
            built = out;
        }
        return built;
    }
}
