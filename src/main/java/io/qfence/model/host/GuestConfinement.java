package io.qfence.model.host;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The confinement a guest's QEMU really has, as the kernel shows it in {@code /proc/PID} (DESIGN.md §9, "The
 * confinement report"): never taken from the configuration. Observation attaches it to a running or paused guest
 * ({@link GuestRuntime#confinement()}); {@code state} prints it, {@code verify} judges it ({@link ConfinementLayers}).
 *
 * @param uids           real, effective, saved and filesystem uid
 * @param gids           the same four gids
 * @param groups         supplementary groups
 * @param capabilities   the effective, permitted and bounding sets, as the kernel prints them (16 hex digits)
 * @param noNewPrivs     {@code NoNewPrivs: 1}
 * @param seccompMode    0 none, 1 strict, 2 filter
 * @param seccompFilters how many filters are attached ({@code Seccomp_filters}, Linux 5.9 and later); empty where the
 *                       kernel does not say
 * @param apparmor       the AppArmor label, {@code unconfined} where AppArmor is off or absent
 * @param namespaces     by kind ({@code mnt}, {@code pid}, {@code ipc}, {@code uts}, {@code net}, {@code cgroup}): its
 *                       inode and whom it is shared with
 * @param root           what its {@code /} is
 * @param cgroups        the lines of {@code /proc/PID/cgroup}
 * @param descriptors    its open file descriptors, by kind
 */
public record GuestConfinement(List<Long> uids, List<Long> gids, List<Long> groups, Capabilities capabilities, boolean noNewPrivs,
                               int seccompMode, OptionalInt seccompFilters, String apparmor, SortedMap<String, Namespace> namespaces,
                               Root root, List<String> cgroups, Descriptors descriptors) {

    /** The label {@code /proc} shows, or implies, for a process AppArmor does not confine. */
    public static final String UNCONFINED = "unconfined";

    public GuestConfinement {
        uids = ids("uids", uids, 4);
        gids = ids("gids", gids, 4);
        groups = ids("groups", groups, -1);
        Objects.requireNonNull(capabilities, "capabilities");
        if (seccompMode < 0 || seccompMode > 2) {
            throw new IllegalArgumentException("seccomp mode must be 0, 1 or 2, got " + seccompMode);
        }
        Objects.requireNonNull(seccompFilters, "seccompFilters");
        if (seccompFilters.isPresent() && seccompFilters.getAsInt() < 0) {
            throw new IllegalArgumentException("seccomp filters must not be negative, got " + seccompFilters.getAsInt());
        }
        Objects.requireNonNull(apparmor, "apparmor");
        if (apparmor.isBlank()) {
            throw new IllegalArgumentException("an AppArmor label must not be blank (say " + UNCONFINED + ")");
        }
        namespaces = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(namespaces, "namespaces")));
        Objects.requireNonNull(root, "root");
        cgroups = List.copyOf(cgroups);
        Objects.requireNonNull(descriptors, "descriptors");
    }

    private static List<Long> ids(String what, List<Long> ids, int count) {
        List<Long> copy = List.copyOf(Objects.requireNonNull(ids, what));
        if (count >= 0 && copy.size() != count) {
            throw new IllegalArgumentException(what + " must list " + count + " ids, got " + copy);
        }
        if (copy.stream().anyMatch(i -> i < 0)) {
            throw new IllegalArgumentException(what + " must not be negative, got " + copy);
        }
        return copy;
    }

    /** The same report with the namespaces' sharing as found across every guest ({@link ConfinementLayers#shared}). */
    public GuestConfinement withNamespaces(SortedMap<String, Namespace> shared) {
        return new GuestConfinement(uids, gids, groups, capabilities, noNewPrivs, seccompMode, seccompFilters, apparmor, shared, root,
                cgroups, descriptors);
    }

    /** Capability sets as {@code /proc/PID/status} prints them. */
    public record Capabilities(String effective, String permitted, String bounding) {
        private static final Pattern HEX = Pattern.compile("[0-9a-f]{16}");

        public Capabilities {
            for (String set : new String[] {effective, permitted, bounding}) {
                if (set == null || !HEX.matcher(set).matches()) {
                    throw new IllegalArgumentException("a capability set is 16 lower-case hex digits, got " + set);
                }
            }
        }

        public boolean none() {
            return Long.parseUnsignedLong(effective, 16) == 0 && Long.parseUnsignedLong(permitted, 16) == 0
                    && Long.parseUnsignedLong(bounding, 16) == 0;
        }
    }

    /**
     * One namespace of the process.
     *
     * @param inode      its inode ({@code /proc/PID/ns/KIND -> KIND:[INODE]})
     * @param host       the same as qfence's own (the host's)
     * @param sharedWith the other guests (by VM name) in the same namespace
     */
    public record Namespace(long inode, boolean host, List<String> sharedWith) {
        public Namespace {
            if (inode <= 0) {
                throw new IllegalArgumentException("a namespace inode must be positive, got " + inode);
            }
            sharedWith = List.copyOf(new java.util.TreeSet<>(sharedWith));
        }

        /** Neither the host's nor any other guest's. */
        public boolean own() {
            return !host && sharedWith.isEmpty();
        }
    }

    /**
     * The process's root.
     *
     * @param jail      a root of its own: its own mount namespace, a {@code tmpfs} at {@code /}, the host's root not
     *                  mounted in it
     * @param fsType    the file system type of the mount at {@code /}, as its {@code mountinfo} shows it
     * @param mounts    how many mounts its mount namespace has
     * @param hostRoot  the host's root is still reachable inside ({@code /.qfence-host-root} mounted)
     */
    public record Root(boolean jail, String fsType, int mounts, boolean hostRoot) {
        public Root {
            Objects.requireNonNull(fsType, "fsType");
            if (mounts < 0) {
                throw new IllegalArgumentException("mounts must not be negative, got " + mounts);
            }
        }
    }

    /**
     * Open file descriptors.
     *
     * @param count   how many
     * @param kinds   how many of each kind: {@code tap}, {@code socket}, {@code pipe}, {@code anon_inode},
     *                {@code memfd}, {@code device}, {@code file}, {@code other}
     * @param outside the files open outside the VM's run directory, its images and its devices: suspicious
     */
    public record Descriptors(int count, SortedMap<String, Integer> kinds, List<String> outside) {
        public static final Set<String> KINDS = Set.of("tap", "socket", "pipe", "anon_inode", "memfd", "device", "file", "other");

        public Descriptors {
            kinds = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(kinds, "kinds")));
            outside = List.copyOf(outside);
            for (var e : kinds.entrySet()) {
                if (!KINDS.contains(e.getKey()) || e.getValue() <= 0) {
                    throw new IllegalArgumentException("descriptor kind " + e.getKey() + "=" + e.getValue() + " is not one of " + new java.util.TreeSet<>(KINDS)
                            + " with a positive count");
                }
            }
            if (kinds.values().stream().mapToInt(Integer::intValue).sum() != count) {
                throw new IllegalArgumentException("descriptor kinds " + kinds + " do not add up to " + count);
            }
        }
    }
}
