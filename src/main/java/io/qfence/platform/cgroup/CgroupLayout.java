package io.qfence.platform.cgroup;

import io.qfence.model.host.CgroupVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where the controllers qfence needs live on this host: on cgroup v2, all in the unified hierarchy at the root; on
 * v1, each in its own hierarchy (a directory per controller, possibly shared with others, e.g. {@code cpu,cpuacct}).
 *
 * @param root        the cgroup root, normally {@code /sys/fs/cgroup}
 * @param hierarchies for each needed controller that is available, the directory of its hierarchy's root cgroup
 *                    (on v2 the root itself for every controller)
 * @param missing     needed controllers that are not available: their limit files are unsupported on this host
 */
public record CgroupLayout(CgroupVersion version, Path root, Map<String, Path> hierarchies, Set<String> missing) {

    /** DESIGN.md §8: cpu (quota and weight), memory, pids and the block I/O weight. */
    public static final List<String> CONTROLLERS_V2 = List.of("cpu", "io", "memory", "pids");
    public static final List<String> CONTROLLERS_V1 = List.of("blkio", "cpu", "memory", "pids");

    public static final Path DEFAULT_ROOT = Path.of("/sys/fs/cgroup");
    public static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    public CgroupLayout {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(root, "root");
        hierarchies = Collections.unmodifiableMap(new TreeMap<>(hierarchies));
        missing = Collections.unmodifiableSet(new TreeSet<>(missing));
    }

    /** This host's layout, from {@code /proc/self/mountinfo} under {@code /sys/fs/cgroup}. */
    public static CgroupLayout detect() {
        return detect(DEFAULT_ROOT, MOUNTINFO);
    }

    /**
     * Detects the layout under {@code root} from a mountinfo file (proc(5)): v2 when {@code root} itself is a
     * {@code cgroup2} mount (its {@code cgroup.controllers} says which controllers it has); otherwise v1 when
     * {@code cgroup} mounts below {@code root} carry the controllers in their super options (a hybrid host's
     * {@code root/unified} cgroup2 mount without controllers is ignored).
     *
     * @throws io.qfence.model.errors.HostPortException (port {@code host}) if neither holds a single needed controller,
     *                                                   or the files cannot be read
     */
    public static CgroupLayout detect(Path root, Path mountinfo) {
        return CgroupPortEdge.call(io.qfence.model.errors.HostPortException.Port.HOST, "cgroup root " + root,
                () -> detectLayout(root, mountinfo));
    }

    private static CgroupLayout detectLayout(Path root, Path mountinfo) {
        List<Mount> mounts = readMountinfo(mountinfo);
        for (Mount m : mounts) {
            if (m.fstype().equals("cgroup2") && m.mountPoint().equals(root)) {
                Path controllersFile = root.resolve("cgroup.controllers");
                Set<String> available = new TreeSet<>();
                try {
                    available.addAll(Arrays.asList(Files.readString(controllersFile).trim().split("\\s+")));
                } catch (IOException e) {
                    throw new CgroupException("read", controllersFile, 0, io.qfence.model.errors.IoMessages.describe(e));
                }
                Map<String, Path> hierarchies = new TreeMap<>();
                Set<String> missing = new TreeSet<>();
                for (String c : CONTROLLERS_V2) {
                    if (available.contains(c)) {
                        hierarchies.put(c, root);
                    } else {
                        missing.add(c);
                    }
                }
                return new CgroupLayout(CgroupVersion.V2, root, hierarchies, missing);
            }
        }
        Map<String, Path> hierarchies = new TreeMap<>();
        for (Mount m : mounts) {
            if (!m.fstype().equals("cgroup") || !m.mountPoint().startsWith(root)) {
                continue;
            }
            Set<String> options = Set.of(m.superOptions().split(","));
            for (String c : CONTROLLERS_V1) {
                if (options.contains(c)) {
                    hierarchies.merge(c, m.mountPoint(), (a, b) -> a.getNameCount() <= b.getNameCount() ? a : b);
                }
            }
        }
        if (hierarchies.isEmpty()) {
            throw new CgroupException("detect cgroup controllers under", root, 0,
                    "no cgroup2 mount at the root and no v1 hierarchy with " + String.join(", ", CONTROLLERS_V1));
        }
        Set<String> missing = new TreeSet<>(CONTROLLERS_V1);
        missing.removeAll(hierarchies.keySet());
        return new CgroupLayout(CgroupVersion.V1, root, hierarchies, missing);
    }

    /** The needed controllers of this version. */
    public List<String> controllers() {
        return version == CgroupVersion.V2 ? CONTROLLERS_V2 : CONTROLLERS_V1;
    }

    /** One line per controller, for {@code qfence state} and error messages. */
    public String describe() {
        StringBuilder s = new StringBuilder("cgroup " + version.name().toLowerCase(java.util.Locale.ROOT) + " at " + root);
        hierarchies.forEach((c, p) -> s.append("\n  ").append(c).append(": ").append(p));
        missing.forEach(c -> s.append("\n  ").append(c).append(": not available"));
        return s.toString();
    }

    record Mount(Path mountPoint, String fstype, String superOptions) {}

    static List<Mount> readMountinfo(Path mountinfo) {
        List<String> lines;
        try {
            lines = Files.readAllLines(mountinfo);
        } catch (IOException e) {
            throw new CgroupException("read", mountinfo, 0, io.qfence.model.errors.IoMessages.describe(e));
        }
        return lines.stream().map(CgroupLayout::parseMountinfoLine).filter(Objects::nonNull).toList();
    }

    /** {@code ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS} */
    static Mount parseMountinfoLine(String line) {
        String[] f = line.split(" ");
        int dash = Arrays.asList(f).indexOf("-");
        if (dash < 6 || dash + 3 >= f.length) {
            return null;
        }
        return new Mount(Path.of(unescape(f[4])), f[dash + 1], f[dash + 3]);
    }

    /** mountinfo escapes space, tab, newline and backslash as octal ({@code \040}). */
    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, Math.min(i + 4, s.length())).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
