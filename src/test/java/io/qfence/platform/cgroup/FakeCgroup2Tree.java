package io.qfence.platform.cgroup;

import io.qfence.platform.os.OsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cgroup2 hierarchy emulated in a temporary directory.
 *
 * <p>Why a fake: on the test machines every controller is bound to a v1 hierarchy, and the cgroup2 mount
 * ({@code /sys/fs/cgroup/unified}) has none, so qfence's v2 code cannot run against the kernel here. This emulation
 * enforces the cgroup2 rules that code depends on (cgroup-v2.rst): a controller's interface files exist in a cgroup
 * only when its parent's {@code cgroup.subtree_control} enables it; a controller can be enabled only if the cgroup's
 * {@code cgroup.controllers} lists it (ENOENT otherwise), and not while the cgroup has processes ("no internal
 * processes", EBUSY); a controller cannot be disabled while a child enables it for its own children (EBUSY); writing a
 * missing file is ENOENT; rmdir of a cgroup with children or processes is EBUSY. It also mimics the read-back forms
 * of the values qfence writes ({@code cpu.max} "max" reads "max 100000", {@code io.weight} "100" reads
 * "default 100", memory sizes round down to 4096).
 */
final class FakeCgroup2Tree implements CgroupTree {

    /** The kernel lists controllers in this order (cgroup_subsys order), not alphabetically. */
    static final List<String> KERNEL_ORDER = List.of("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc");

    private static final int ENOENT = 2;
    private static final int EEXIST = 17;
    private static final int EBUSY = 16;
    private static final int EINVAL = 22;

    private static final Map<String, Map<String, String>> INTERFACE_FILES = new LinkedHashMap<>();

    static {
        INTERFACE_FILES.put("cpu", Map.of("cpu.max", "max 100000\n", "cpu.weight", "100\n", "cpu.stat", "usage_usec 0\n"));
        INTERFACE_FILES.put("io", Map.of("io.weight", "default 100\n", "io.stat", ""));
        INTERFACE_FILES.put("memory", Map.of("memory.max", "max\n", "memory.high", "max\n", "memory.swap.max", "max\n",
                "memory.current", "0\n", "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"));
        INTERFACE_FILES.put("pids", Map.of("pids.max", "max\n", "pids.current", "0\n"));
        INTERFACE_FILES.put("cpuset", Map.of("cpuset.cpus", "\n"));
    }

    final Path root;

    /** A root cgroup offering {@code controllers} (its {@code cgroup.controllers}). */
    FakeCgroup2Tree(Path root, String... controllers) {
        this.root = root;
        put(root.resolve("cgroup.controllers"), String.join(" ", ordered(Set.of(controllers))) + "\n");
        put(root.resolve("cgroup.subtree_control"), "\n");
        put(root.resolve("cgroup.procs"), "1\n");
    }

    /** A mountinfo file in which {@code root} is a cgroup2 mount, as on a pure-v2 host. */
    Path mountinfo(Path dir) {
        Path file = dir.resolve("mountinfo");
        put(file, "24 1 0:22 / / rw,relatime - ext4 /dev/vda1 rw\n"
                + "35 24 0:30 / " + root + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n");
        return file;
    }

    @Override
    public boolean isDirectory(Path dir) {
        return Files.isDirectory(dir);
    }

    @Override
    public boolean isFile(Path file) {
        return Files.isRegularFile(file);
    }

    @Override
    public List<Path> children(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void mkdir(Path dir) {
        Path parent = dir.getParent();
        if (!Files.isRegularFile(parent.resolve("cgroup.controllers"))) {
            throw new OsException("mkdir " + dir, ENOENT, "No such file or directory");
        }
        if (Files.exists(dir)) {
            throw new OsException("mkdir " + dir, EEXIST, "File exists");
        }
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> enabled = words(get(parent.resolve("cgroup.subtree_control")));
        put(dir.resolve("cgroup.controllers"), String.join(" ", ordered(enabled)) + "\n");
        put(dir.resolve("cgroup.subtree_control"), "\n");
        put(dir.resolve("cgroup.procs"), "");
        put(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");
        enabled.forEach(c -> addInterface(dir, c));
    }

    @Override
    public void rmdir(Path dir) {
        if (!children(dir).isEmpty() || !get(dir.resolve("cgroup.procs")).isBlank()) {
            throw new OsException("rmdir " + dir, EBUSY, "Device or resource busy");
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
            Files.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new OsException("open " + file, ENOENT, "No such file or directory");
        }
        return get(file);
    }

    @Override
    public void write(Path file, String value) {
        if (!Files.isRegularFile(file)) {
            throw new OsException("open " + file, ENOENT, "No such file or directory");
        }
        String v = value.strip();
        Path dir = file.getParent();
        String name = file.getFileName().toString();
        switch (name) {
            case "cgroup.subtree_control" -> subtreeControl(dir, v);
            case "cgroup.procs" -> {
                if (!dir.equals(root) && !words(get(dir.resolve("cgroup.subtree_control"))).isEmpty()) {
                    throw new OsException("write " + file, EBUSY, "Device or resource busy");
                }
                put(file, get(file) + v + "\n");
            }
            case "cpu.max" -> put(file, (v.contains(" ") ? v : v + " 100000") + "\n");
            case "io.weight" -> put(file, (v.startsWith("default ") ? v : "default " + weight(file, v)) + "\n");
            case "cpu.weight" -> put(file, weight(file, v) + "\n");
            case "memory.max", "memory.high", "memory.swap.max" -> put(file, (v.equals("max") ? "max" : Long.toString(number(file, v) / 4096 * 4096)) + "\n");
            case "pids.max" -> put(file, (v.equals("max") ? "max" : Long.toString(number(file, v))) + "\n");
            default -> put(file, v + "\n");
        }
    }

    /** Test hook: what the kernel would record after an OOM kill. */
    void recordOomKills(Path dir, int kills) {
        put(dir.resolve("memory.events"), "low 0\nhigh 0\nmax " + kills + "\noom " + kills + "\noom_kill " + kills + "\noom_group_kill 0\n");
    }

    private void subtreeControl(Path dir, String value) {
        Set<String> current = words(get(dir.resolve("cgroup.subtree_control")));
        Set<String> available = words(get(dir.resolve("cgroup.controllers")));
        for (String token : value.split("\\s+")) {
            String c = token.substring(1);
            if (token.startsWith("+")) {
                if (!available.contains(c)) {
                    throw new OsException("write " + dir.resolve("cgroup.subtree_control"), ENOENT, "No such file or directory");
                }
                if (!dir.equals(root) && !get(dir.resolve("cgroup.procs")).isBlank()) {
                    throw new OsException("write " + dir.resolve("cgroup.subtree_control"), EBUSY, "Device or resource busy");
                }
                if (current.add(c)) {
                    for (Path child : children(dir)) {
                        put(child.resolve("cgroup.controllers"), String.join(" ", ordered(union(words(get(child.resolve("cgroup.controllers"))), c))) + "\n");
                        addInterface(child, c);
                    }
                }
            } else if (token.startsWith("-")) {
                for (Path child : children(dir)) {
                    if (words(get(child.resolve("cgroup.subtree_control"))).contains(c)) {
                        throw new OsException("write " + dir.resolve("cgroup.subtree_control"), EBUSY, "Device or resource busy");
                    }
                }
                if (current.remove(c)) {
                    for (Path child : children(dir)) {
                        Set<String> cc = words(get(child.resolve("cgroup.controllers")));
                        cc.remove(c);
                        put(child.resolve("cgroup.controllers"), String.join(" ", ordered(cc)) + "\n");
                        INTERFACE_FILES.getOrDefault(c, Map.of()).keySet().forEach(f -> delete(child.resolve(f)));
                    }
                }
            } else {
                throw new OsException("write " + dir.resolve("cgroup.subtree_control"), EINVAL, "Invalid argument");
            }
        }
        put(dir.resolve("cgroup.subtree_control"), String.join(" ", ordered(current)) + "\n");
    }

    private void addInterface(Path dir, String controller) {
        INTERFACE_FILES.getOrDefault(controller, Map.of()).forEach((f, initial) -> put(dir.resolve(f), initial));
    }

    private static long weight(Path file, String v) {
        long w = number(file, v);
        if (w < 1 || w > 10000) {
            throw new OsException("write " + file, EINVAL, "Invalid argument");
        }
        return w;
    }

    private static long number(Path file, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new OsException("write " + file, EINVAL, "Invalid argument");
        }
    }

    private static Set<String> union(Set<String> s, String c) {
        Set<String> u = new TreeSet<>(s);
        u.add(c);
        return u;
    }

    static List<String> ordered(Set<String> controllers) {
        List<String> out = new ArrayList<>(KERNEL_ORDER.stream().filter(controllers::contains).toList());
        controllers.stream().filter(c -> !KERNEL_ORDER.contains(c)).sorted().forEach(out::add);
        return out;
    }

    private static Set<String> words(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(w -> !w.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String get(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void put(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
