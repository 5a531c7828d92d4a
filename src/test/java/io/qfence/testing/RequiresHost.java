package io.qfence.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that needs the real host: root, and the named executables (as independent witnesses or to run
 * guests). Locally, a missing requirement skips the test and prints why. When {@code QFENCE_TEST_STRICT=1} (set by
 * {@code bin/test}, hence by CI), a missing requirement fails the test instead: integration tests may not skip in CI.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(HostRequirementsExtension.class)
@Tag("integration")
public @interface RequiresHost {

    /** Executables that must be on the PATH, e.g. {@code "ip"}, {@code "nft"}, {@code "qemu-system-x86_64"}. */
    String[] tools() default {};

    /** Files that must exist, e.g. {@code "/usr/lib/x86_64-linux-gnu/libnftables.so.1"}. */
    String[] files() default {};

    /**
     * Needs cgroups with qfence's cpu, memory and pids controllers, in whichever layout this host has (v1 hierarchies or
     * the unified v2 hierarchy), as qfence detects it ({@link CgroupHost}). Name no {@code /sys/fs/cgroup/...} path in
     * {@link #files()} for this: such a path exists on one layout only.
     */
    boolean cgroups() default false;
}
