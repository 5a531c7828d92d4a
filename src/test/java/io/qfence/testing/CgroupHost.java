package io.qfence.testing;

import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;

/**
 * This host's cgroup layout for the real-kernel tests, as qfence itself detects it ({@link CgroupLayout#detect()}, the
 * product's own mountinfo reading, not a second one): cgroup v1 on the test machines (a hierarchy per controller),
 * the unified v2 hierarchy in the production-kernel lab and on current distributions. A test asks here where a
 * controller's files are, instead of writing {@code /sys/fs/cgroup/memory/...} by hand, so that it never writes a v1
 * file on a v2 host or the reverse; a case one layout cannot have is not run there, with the reason as the JUnit
 * assumption message ({@link #assumeVersion}).
 */
public final class CgroupHost {

    private static CgroupLayout detected;

    private CgroupHost() {}

    /** This host's layout, detected once per JVM. */
    public static synchronized CgroupLayout layout() {
        if (detected == null) {
            detected = CgroupLayout.detect();
        }
        return detected;
    }

    public static CgroupVersion version() {
        return layout().version();
    }

    /** qfence's cgroup adapter on this host's layout. */
    public static CgroupFs fs() {
        return new CgroupFs(layout());
    }

    /**
     * The directory that holds {@code controller}'s files for cgroup {@code path} (relative to the root): v1
     * {@code /sys/fs/cgroup/CONTROLLER-HIERARCHY/PATH}, v2 {@code /sys/fs/cgroup/PATH}.
     */
    public static Path dir(String controller, String path) {
        Path hierarchy = layout().hierarchies().get(controller);
        if (hierarchy == null) {
            throw new IllegalArgumentException("this host has no " + controller + " controller: " + layout().describe());
        }
        return hierarchy.resolve(path);
    }

    /**
     * The on-disk file of a realized cgroup file name: v1 {@code memory/memory.limit_in_bytes} in the memory
     * hierarchy, v2 {@code memory.max} in the cgroup's one directory. Worked out here from the layout, not asked of
     * the adapter ({@code CgroupFs.fileOf}), so that a test reading it is a witness independent of the code it checks.
     */
    public static Path file(String path, String file) {
        if (version() == CgroupVersion.V2) {
            return layout().root().resolve(path).resolve(file);
        }
        int slash = file.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("a v1 cgroup file is named CONTROLLER/FILE, got " + file);
        }
        return dir(file.substring(0, slash), path).resolve(file.substring(slash + 1));
    }

    /** Runs the calling test only on {@code version}; elsewhere it is reported as not run, with {@code why}. */
    public static void assumeVersion(CgroupVersion version, String why) {
        Assumptions.assumeTrue(version() == version, () -> "not run on cgroup " + name(version()) + ": " + why);
    }

    private static String name(CgroupVersion v) {
        return v.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** v2: enables qfence's controllers in {@code cgroup}'s {@code cgroup.subtree_control} (those not yet enabled). */
    public static void enableControllers(Path cgroup) {
        Path control = cgroup.resolve(CgroupFs.SUBTREE_CONTROL);
        try {
            Set<String> enabled = new TreeSet<>(Arrays.asList(Files.readString(control).trim().split("\\s+")));
            for (String controller : layout().hierarchies().keySet()) {
                if (!enabled.contains(controller)) {
                    Files.writeString(control, "+" + controller);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
