package io.qfence.platform.cgroup;

import io.qfence.host.CgroupProcesses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.os.OsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * qfence's cgroups on cgroupfs, in terms of {@link Cgroup}: create them with their limits, read the limits back for
 * drift detection, list and remove them, move processes in, and count OOM kills. Works on v2 (one directory per
 * cgroup) and v1 (one directory per cgroup in each controller's hierarchy), as {@link CgroupLayout} found them.
 *
 * <p>Values are written as given and read back as the kernel prints them, trailing newline removed. The kernel
 * normalizes some values (v1 {@code memory.limit_in_bytes} rounds down to the page size; v2 {@code cpu.max} "max"
 * reads "max 100000"; {@code io.weight} "100" reads "default 100"): desired values must be in the read-back form,
 * or they show as drift forever.
 *
 * <p>A limit file that does not exist in the created cgroup (e.g. v1 {@code blkio.bfq.weight} when the I/O
 * scheduler is not BFQ, or any file of a missing controller) is an unsupported limit: it is skipped and reported in
 * {@link Written#unsupported()}, never an error.
 *
 * <p>As the {@link CgroupProcesses} port (the guest adapter's view), {@link #list(String, int)} and {@link #pids}
 * fail with {@code HostPortException} naming the cgroup; the rest, used inside the adapters, with
 * {@link CgroupException}.
 */
public final class CgroupFs implements CgroupProcesses {

    public static final String SUBTREE_CONTROL = "cgroup.subtree_control";
    public static final String PROCS = "cgroup.procs";

    /** The v2 limit files qfence manages, in the order they are written (see {@link #writeOrder}). */
    public static final List<String> LIMIT_FILES_V2 = CgroupLimitFile.inWriteOrder(CgroupVersion.V2);

    /** The v1 limit files qfence manages, as {@code hierarchy/file}, in the order they are written. */
    public static final List<String> LIMIT_FILES_V1 = CgroupLimitFile.inWriteOrder(CgroupVersion.V1);

    private static final int ENOENT = 2;
    private static final int EBUSY = 16;
    private static final int EINVAL = 22;

    private final CgroupLayout layout;
    private final CgroupTree tree;

    public CgroupFs(CgroupLayout layout) {
        this(layout, CgroupTree.KERNEL);
    }

    CgroupFs(CgroupLayout layout, CgroupTree tree) {
        this.layout = layout;
        this.tree = tree;
    }

    public CgroupLayout layout() {
        return layout;
    }

    /** What {@link #apply} did: the files it wrote (those already at their value are not rewritten) and skipped. */
    public record Written(List<String> written, List<String> unsupported) {
        public Written {
            written = List.copyOf(written);
            unsupported = List.copyOf(unsupported);
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Creates {@code desired.path()} if needed (every missing ancestor too; on v2 with the controllers its files need
     * enabled in each parent's {@code cgroup.subtree_control}, from the nearest ancestor that has them) and writes its
     * files in a safe order. Idempotent.
     */
    public Written apply(Cgroup desired) {
        requireVersion(desired);
        ensure(desired.path(), controllersOf(desired.files().keySet()));
        List<String> written = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        for (String file : writeOrder(desired)) {
            Path p = fileOf(desired.path(), file);
            // one open tells both whether the file exists and what it holds (a stat first cost 1200 cgroups a
            // further 5000 system calls on a cold apply)
            Optional<String> current = p == null ? Optional.empty() : readIfPresent(p);
            if (current.isEmpty()) {
                unsupported.add(file);
                continue;
            }
            String value = desired.files().get(file);
            if (file.equals(SUBTREE_CONTROL)) {
                if (setSubtreeControl(dirOf(desired.path()), value)) {
                    written.add(file);
                }
            } else if (!value.equals(current.get())) {
                write(p, value);
                written.add(file);
            }
        }
        return new Written(written, unsupported);
    }

    /**
     * Applies several cgroups, parents before children. A write the kernel refuses with {@code EINVAL} or
     * {@code EBUSY} because of a relation between levels (v1: a child's CFS quota above its parent's; a memory limit
     * below what the children use) is retried once after all others, children first: raising limits needs the
     * parent first, lowering them the children first, and this order covers both without comparing values.
     */
    public List<Written> applyAll(List<Cgroup> desired) {
        List<Cgroup> topDown = desired.stream().sorted(Comparator.comparing(Cgroup::path, CgroupFs::parentFirst)).toList();
        List<Written> results = new ArrayList<>();
        List<Cgroup> retry = new ArrayList<>();
        for (Cgroup c : topDown) {
            try {
                results.add(apply(c));
            } catch (CgroupException e) {
                if (e.errno() != EINVAL && e.errno() != EBUSY) {
                    throw e;
                }
                retry.add(0, c);
            }
        }
        for (Cgroup c : retry) {
            results.add(apply(c));
        }
        return results;
    }

    private static int parentFirst(String a, String b) {
        int depth = Integer.compare(a.split("/").length, b.split("/").length);
        return depth != 0 ? depth : a.compareTo(b);
    }

    /**
     * The order of one cgroup's writes: {@code cgroup.subtree_control} first (children's files appear only once it
     * names their controllers), then pids, cpu, io, and memory last, {@code memory.high} before {@code memory.max} so
     * that lowering both throttles before it limits. On v1 the CFS period and quota go in whichever order keeps the
     * quota/period ratio in between the lower one: the kernel refuses a child ratio above its parent's. Public for the
     * benchmark's baselines, which write the same files in the same order with the shell.
     */
    public List<String> writeOrder(Cgroup desired) {
        List<String> known = layout.version() == CgroupVersion.V2 ? LIMIT_FILES_V2 : LIMIT_FILES_V1;
        List<String> order = new ArrayList<>();
        if (desired.files().containsKey(SUBTREE_CONTROL)) {
            order.add(SUBTREE_CONTROL);
        }
        known.stream().filter(desired.files()::containsKey).forEach(order::add);
        desired.files().keySet().stream().filter(f -> !order.contains(f)).forEach(order::add);
        String period = CgroupLimitFile.V1_CPU_CFS_PERIOD.file();
        String quota = CgroupLimitFile.V1_CPU_CFS_QUOTA.file();
        if (layout.version() == CgroupVersion.V1 && order.contains(period) && order.contains(quota) && quotaFirst(desired, period, quota)) {
            order.remove(quota);
            order.add(order.indexOf(period), quota);
        }
        return order;
    }

    /** Quota before period when the intermediate ratio new-quota/old-period is the lower one (or -1, unlimited). */
    private boolean quotaFirst(Cgroup desired, String period, String quota) {
        long q1 = parseLong(desired.files().get(quota));
        long p1 = parseLong(desired.files().get(period));
        Path qp = fileOf(desired.path(), quota);
        Path pp = fileOf(desired.path(), period);
        Optional<String> quotaNow = qp == null ? Optional.empty() : readIfPresent(qp);
        Optional<String> periodNow = pp == null ? Optional.empty() : readIfPresent(pp);
        if (quotaNow.isEmpty() || periodNow.isEmpty()) {
            return false;
        }
        long q0 = parseLong(quotaNow.get());
        long p0 = parseLong(periodNow.get());
        if (q1 < 0) {
            return true; // becoming unlimited: nothing can be refused
        }
        if (q0 < 0) {
            return false; // was unlimited: set the period, then the quota
        }
        // compare q1/p0 with q0/p1 without division
        return (double) q1 * p1 <= (double) q0 * p0;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Makes {@code path} exist in every hierarchy; on v2 also makes {@code controllers} available in it. */
    private void ensure(String path, Set<String> controllers) {
        if (layout.version() == CgroupVersion.V1) {
            for (Path hierarchy : new LinkedHashSet<>(layout.hierarchies().values())) {
                mkdirs(hierarchy, path);
            }
            return;
        }
        Path root = layout.root();
        mkdirs(root, path);
        Path dir = root.resolve(path);
        for (String c : controllers) {
            if (layout.hierarchies().containsKey(c)) {
                makeAvailable(dir, c);
            }
        }
    }

    /**
     * Makes {@code hierarchy/path} and its missing ancestors. Leaf first: a new cgroup under an existing parent (the
     * usual case) costs one {@code mkdir(2)} per hierarchy, where walking down from the root cost a stat per level.
     */
    private void mkdirs(Path hierarchy, String path) {
        mkdirUnder(hierarchy, hierarchy.resolve(path));
    }

    private void mkdirUnder(Path hierarchy, Path dir) {
        try {
            tree.mkdir(dir);
        } catch (OsException e) {
            if (e.errno() == ENOENT && !dir.getParent().equals(hierarchy) && dir.startsWith(hierarchy)) {
                mkdirUnder(hierarchy, dir.getParent());
                try {
                    tree.mkdir(dir);
                } catch (OsException again) {
                    if (!tree.isDirectory(dir)) {
                        throw wrap("mkdir", dir, again);
                    }
                }
            } else if (!tree.isDirectory(dir)) {
                throw wrap("mkdir", dir, e);
            }
        }
    }

    /** v2: {@code controller} listed in {@code dir/cgroup.controllers}, enabling it in the parents as needed. */
    private void makeAvailable(Path dir, String controller) {
        if (dir.equals(layout.root()) || words(readValue(dir.resolve("cgroup.controllers"))).contains(controller)) {
            return;
        }
        Path parent = dir.getParent();
        makeAvailable(parent, controller);
        Path control = parent.resolve(SUBTREE_CONTROL);
        if (!words(readValue(control)).contains(controller)) {
            write(control, "+" + controller);
        }
    }

    /** Declarative {@code cgroup.subtree_control}: enables the listed controllers, disables the others. */
    private boolean setSubtreeControl(Path dir, String desired) {
        Set<String> want = words(desired);
        Set<String> have = words(readValue(dir.resolve(SUBTREE_CONTROL)));
        boolean changed = false;
        for (String c : want) {
            if (!have.contains(c)) {
                makeAvailable(dir, c);
                write(dir.resolve(SUBTREE_CONTROL), "+" + c);
                changed = true;
            }
        }
        for (String c : have) {
            if (!want.contains(c)) {
                write(dir.resolve(SUBTREE_CONTROL), "-" + c);
                changed = true;
            }
        }
        return changed;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads the named files of {@code path}; files that do not exist are left out (so an unsupported or deleted limit
     * shows as a difference). Empty if the cgroup exists in no hierarchy.
     */
    public Optional<Cgroup> read(String address, String path, Set<String> files) {
        if (!exists(path)) {
            return Optional.empty();
        }
        SortedMap<String, String> values = new TreeMap<>();
        for (String file : files) {
            Path p = fileOf(path, file);
            if (p != null) {
                readIfPresent(p).ifPresent(v -> values.put(file, v));
            }
        }
        return Optional.of(new Cgroup(address, path, layout.version(), values));
    }

    /**
     * The value of {@code file}, or empty when there is no such file. One open instead of a stat and an open:
     * observing 1200 cgroups reads some 7000 files, and the stats alone cost a fifth of a second.
     */
    private Optional<String> readIfPresent(Path file) {
        try {
            String s = tree.read(file);
            return Optional.of(s.endsWith("\n") ? s.substring(0, s.length() - 1) : s);
        } catch (OsException e) {
            if (e.errno() == ENOENT) {
                return Optional.empty();
            }
            throw wrap("read", file, e);
        }
    }

    /**
     * Reads every limit file qfence manages that exists in {@code path}, and on v2 its {@code cgroup.subtree_control}
     * when it enables anything (qfence's parents have one; its leaves do not).
     */
    public Optional<Cgroup> observe(String address, String path) {
        Set<String> files = new TreeSet<>(layout.version() == CgroupVersion.V2 ? LIMIT_FILES_V2 : LIMIT_FILES_V1);
        Optional<Cgroup> c = read(address, path, files);
        if (c.isEmpty() || layout.version() == CgroupVersion.V1) {
            return c;
        }
        String control = readValue(dirOf(path).resolve(SUBTREE_CONTROL));
        if (control.isEmpty()) {
            return c;
        }
        SortedMap<String, String> values = new TreeMap<>(c.get().files());
        values.put(SUBTREE_CONTROL, control);
        return Optional.of(new Cgroup(address, path, layout.version(), values));
    }

    /**
     * The hard limits the kernel enforces on {@code path} (memory, CPU bandwidth, pids), whatever this host's cgroup
     * version calls their files; empty if the cgroup exists in no hierarchy.
     */
    public Optional<CgroupLimits> limits(String path) {
        return read("limits", path, new TreeSet<>(CgroupLimitsFormat.files(layout.version()))).map(CgroupLimitsFormat::parse);
    }

    /** Whether {@code path} exists in any of qfence's hierarchies. */
    public boolean exists(String path) {
        return directories(path).stream().anyMatch(tree::isDirectory);
    }

    /** Every cgroup below {@code parent} (not {@code parent} itself), parents before children, across hierarchies. */
    public List<String> list(String parent) {
        return list(parent, Integer.MAX_VALUE);
    }

    /**
     * The cgroups at most {@code depth} levels below {@code parent}, parents before children, across hierarchies.
     * Observation needs two levels (groups and their VMs): not descending into each VM's directory saves one
     * directory read per VM and hierarchy (4000 of 4800 at 1000 VMs on v1).
     */
    @Override
    public List<String> list(String parent, int depth) {
        return CgroupPortEdge.call(CgroupPortEdge.object(parent), () -> listBelow(parent, depth));
    }

    private List<String> listBelow(String parent, int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be at least 1, got " + depth);
        }
        // sorted by name, a parent (a prefix) comes before its children
        Set<String> paths = new TreeSet<>();
        for (Path hierarchy : hierarchies()) {
            Path start = hierarchy.resolve(parent);
            if (tree.isDirectory(start)) {
                collect(hierarchy, start, paths, depth);
            }
        }
        return List.copyOf(paths);
    }

    private void collect(Path hierarchy, Path dir, Set<String> out, int depth) {
        for (Path child : tree.children(dir)) {
            out.add(hierarchy.relativize(child).toString());
            if (depth > 1) {
                collect(hierarchy, child, out, depth - 1);
            }
        }
    }

    /** The pids in {@code path} (the union over v1 hierarchies), sorted. */
    @Override
    public List<Long> pids(String path) {
        return CgroupPortEdge.call(CgroupPortEdge.object(path), () -> pidsIn(path));
    }

    private List<Long> pidsIn(String path) {
        Set<Long> pids = new TreeSet<>();
        for (Path dir : directories(path)) {
            if (tree.isDirectory(dir)) {
                for (String line : readValue(dir.resolve(PROCS)).split("\n")) {
                    if (!line.isBlank()) {
                        pids.add(Long.parseLong(line.trim()));
                    }
                }
            }
        }
        return List.copyOf(pids);
    }

    /**
     * How many processes the kernel's OOM killer has killed in {@code path}: {@code oom_kill} of {@code memory.events}
     * (v2) or {@code memory.oom_control} (v1). Empty when the memory controller is missing or the kernel does not
     * report the count.
     */
    @Override
    public OptionalLong oomKills(String path) {
        Path memory = layout.hierarchies().get("memory");
        if (memory == null) {
            return OptionalLong.empty();
        }
        // v2's memory.events counts the cgroup and its descendants (a VM cgroup is a leaf, so the two agree); v1 has
        // the count in memory.oom_control since Linux 4.13
        Path file = memory.resolve(path).resolve(layout.version() == CgroupVersion.V2 ? "memory.events" : "memory.oom_control");
        return readIfPresent(file).map(CgroupFs::parseOomKills).orElse(OptionalLong.empty());
    }

    /**
     * The {@code oom_kill N} line of {@code memory.events} (v2) or {@code memory.oom_control} (v1); empty when there is
     * none (a v1 kernel before 4.13) or its value is not a count.
     */
    static OptionalLong parseOomKills(String content) {
        for (String line : content.split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals("oom_kill")) {
                try {
                    long n = Long.parseLong(kv[1]);
                    return n >= 0 ? OptionalLong.of(n) : OptionalLong.empty();
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    // ------------------------------------------------------------------------------------------------ processes and removal

    /**
     * The cgroup process {@code pid} is in, relative to the root ({@code ""} for the root itself), from
     * {@code /proc/PID/cgroup}: on v2 its unified entry, on v1 its memory hierarchy's (or the first needed controller
     * that is mounted). For example, a daemon under systemd learns its unit's cgroup this way, to move itself into a
     * leaf below it before creating VM cgroups (v2 forbids processes in a cgroup that enables controllers).
     */
    public Optional<String> cgroupOf(long pid) {
        String content;
        try {
            content = io.qfence.platform.os.KernelFiles.read(Path.of("/proc", Long.toString(pid), "cgroup"));
        } catch (OsException e) {
            throw wrap("read", Path.of("/proc", Long.toString(pid), "cgroup"), e);
        }
        return parseProcCgroup(content, layout);
    }

    /** Parses proc(5)'s {@code /proc/PID/cgroup}: {@code ID:CONTROLLERS:PATH} lines, {@code 0::PATH} for v2. */
    static Optional<String> parseProcCgroup(String content, CgroupLayout layout) {
        List<String> preference = new ArrayList<>(List.of("memory"));
        preference.addAll(layout.controllers());
        for (String wanted : layout.version() == CgroupVersion.V2 ? List.of("") : preference) {
            for (String line : content.split("\n")) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && (layout.version() == CgroupVersion.V2 ? f[0].equals("0") && f[1].isEmpty()
                        : Set.of(f[1].split(",")).contains(wanted) && layout.hierarchies().containsKey(wanted))) {
                    return Optional.of(f[2].startsWith("/") ? f[2].substring(1) : f[2]);
                }
            }
        }
        return Optional.empty();
    }

    /** Moves process {@code pid} into {@code path}: its {@code cgroup.procs} in every hierarchy (v1) or the one (v2). */
    public void movePid(String path, long pid) {
        for (Path dir : directories(path)) {
            write(dir.resolve(PROCS), Long.toString(pid));
        }
    }

    /**
     * Removes {@code path} and everything below it, children first, in every hierarchy. Missing directories are
     * fine (idempotent). A cgroup that still has processes cannot be removed: {@code EBUSY}.
     */
    public void remove(String path) {
        for (Path dir : directories(path)) {
            if (tree.isDirectory(dir)) {
                removeTree(dir);
            }
        }
    }

    private void removeTree(Path dir) {
        for (Path child : tree.children(dir)) {
            removeTree(child);
        }
        try {
            tree.rmdir(dir);
        } catch (OsException e) {
            if (tree.isDirectory(dir)) {
                throw wrap("rmdir", dir, e);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ paths

    /** The directories of cgroup {@code path}: one per v1 hierarchy, or the one v2 directory. */
    @Override
    public List<Path> directories(String path) {
        return hierarchies().stream().map(h -> h.resolve(path)).toList();
    }

    private List<Path> hierarchies() {
        return List.copyOf(new LinkedHashSet<>(layout.hierarchies().values()));
    }

    private Path dirOf(String path) {
        return layout.root().resolve(path);
    }

    /** v2 {@code memory.max} is in the cgroup's directory; v1 {@code memory/memory.limit_in_bytes} in the memory hierarchy's. */
    public Path fileOf(String path, String file) {
        if (layout.version() == CgroupVersion.V2) {
            return dirOf(path).resolve(file);
        }
        int slash = file.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("a v1 cgroup file is 'hierarchy/file', got '" + file + "'");
        }
        Path hierarchy = layout.hierarchies().get(file.substring(0, slash));
        return hierarchy == null ? null : hierarchy.resolve(path).resolve(file.substring(slash + 1));
    }

    /** v2: the controller a file belongs to ({@code memory.max} → memory); none for {@code cgroup.*} files. */
    static Set<String> controllersOf(Set<String> files) {
        Set<String> controllers = new TreeSet<>();
        for (String f : files) {
            String name = f.substring(f.indexOf('/') + 1);
            String prefix = name.substring(0, Math.max(0, name.indexOf('.')));
            if (!prefix.isEmpty() && !prefix.equals("cgroup")) {
                controllers.add(prefix);
            }
        }
        return controllers;
    }

    private void requireVersion(Cgroup c) {
        if (c.version() != layout.version()) {
            throw new IllegalArgumentException("cgroup " + c.path() + " is realized for " + c.version() + " but this host has " + layout.version());
        }
    }

    private static Set<String> words(String s) {
        Set<String> w = new TreeSet<>();
        for (String part : s.trim().split("\\s+")) {
            if (!part.isEmpty()) {
                w.add(part);
            }
        }
        return w;
    }

    private String readValue(Path file) {
        try {
            String s = tree.read(file);
            return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        } catch (OsException e) {
            throw wrap("read", file, e);
        }
    }

    private void write(Path file, String value) {
        try {
            tree.write(file, value);
        } catch (OsException e) {
            throw wrap("write '" + value + "' to", file, e);
        }
    }

    private static CgroupException wrap(String operation, Path path, OsException e) {
        return new CgroupException(operation, path, e.errno(), e.description());
    }
}
