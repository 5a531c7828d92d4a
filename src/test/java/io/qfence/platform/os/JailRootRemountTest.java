package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.platform.os.JailLayout.Access;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jail's root is remounted read-only once it is built (DESIGN.md §9, "The guest jail"). The kernel refuses that
 * (EBUSY) while any descriptor open for writing on the tmpfs exists, in any process: a child that another thread of
 * qfence forks at that moment (another guest's launch, {@code ld.so --list}) inherits a copy of every descriptor of
 * the JVM, and keeps it until it closes them or execs. So building the jail must never open a file on its root.
 */
@RequiresHost(tools = {"true"})
class JailRootRemountTest {

    @TempDir
    Path tmp;

    @Test
    void theJailsRootIsRemountedReadOnlyEveryTimeWhileOtherThreadsForkWithoutPause() throws Exception {
        List<Path> files = new ArrayList<>();
        JailLayout.Builder builder = new JailLayout.Builder();
        Path src = Files.createDirectories(tmp.resolve("src"));
        for (int i = 0; i < 40; i++) {
            Path f = Files.writeString(src.resolve("f" + i), "x");
            files.add(f);
            builder.mirror(f, Access.READ);
        }
        JailLayout layout = builder.build();
        Path mountPoint = Files.createDirectories(tmp.resolve("root"));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger forks = new AtomicInteger();
        List<Thread> forkers = new ArrayList<>();
        for (int t = 0; t < Integer.getInteger("qfence.jailRemountForkers", 2); t++) {
            Thread forker = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        new ProcessBuilder("true").start().waitFor();
                        forks.incrementAndGet();
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
            forker.setDaemon(true);
            forker.start();
            forkers.add(forker);
        }
        int busy = 0;
        List<String> other = new ArrayList<>();
        int builds = Integer.getInteger("qfence.jailRemountBuilds", 150);
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < builds; i++) {
                try {
                    Jail.buildAlone(layout, mountPoint);
                } catch (OsException e) {
                    if (e.errno() == 16) {
                        busy++;
                    } else {
                        other.add(e.getMessage());
                    }
                }
            }
        } finally {
            stop.set(true);
            for (Thread f : forkers) {
                f.join(10_000);
            }
        }
        System.out.printf("MEASURE jail root remount: %d builds of %d binds, %.1f ms each (a thread, unshare, the tmpfs, the binds, "
                + "the remount), %d EBUSY, %d forks meanwhile; load %s%n", builds, layout.binds().size(), (System.nanoTime() - t0) / 1e6 / builds,
                busy, forks.get(), Files.readString(Path.of("/proc/loadavg")).strip());
        assertThat(other).isEmpty();
        assertThat(busy).as("remounts refused with EBUSY").isZero();
    }
}
