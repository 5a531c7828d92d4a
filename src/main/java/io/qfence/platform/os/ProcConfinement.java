package io.qfence.platform.os;

import io.qfence.host.ConfinementPort;
import io.qfence.model.host.GuestConfinement;
import io.qfence.model.host.GuestLaunch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@link ConfinementPort} over {@code /proc}: the only place that parses what the report shows. {@code proc} is
 * {@code /proc} on a live host and a directory of fixtures in tests; the host's namespaces are qfence's own
 * ({@code proc/self/ns}), the same reference the jail's checks before {@code cont} use.
 */
public final class ProcConfinement implements ConfinementPort {

    /** The namespaces the report shows: the jail's four, and the network and cgroup namespaces for information. */
    public static final List<String> NAMESPACES = List.of("mnt", "pid", "ipc", "uts", "net", "cgroup");
    /** Where the launch chain reaches the host's root inside a jail until it is detached (platform.os.Jail). */
    static final String HOST_ROOT = Jail.HOST_ROOT.toString();
    /** The device nodes a guest may hold open (its jail has these and, with {@code -accel kvm}, {@code /dev/kvm}). */
    static final List<String> DEVICES = List.of("/dev/null", "/dev/zero", "/dev/urandom", "/dev/kvm");
    static final String TUN = "/dev/net/tun";

    public static final ProcConfinement LIVE = new ProcConfinement(Path.of("/proc"));

    private final Path proc;

    public ProcConfinement(Path proc) {
        this.proc = Objects.requireNonNull(proc, "proc");
    }

    @Override
    public Optional<GuestConfinement> read(long pid, GuestLaunch launch) {
        Path dir = proc.resolve(Long.toString(pid));
        try {
            List<String> status = Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8);
            GuestConfinement.Capabilities caps = new GuestConfinement.Capabilities(field(status, "CapEff"), field(status, "CapPrm"),
                    field(status, "CapBnd"));
            OptionalInt filters = optionalField(status, "Seccomp_filters").map(v -> OptionalInt.of(Integer.parseInt(v))).orElse(OptionalInt.empty());
            return Optional.of(new GuestConfinement(ids(field(status, "Uid")), ids(field(status, "Gid")), ids(field(status, "Groups")), caps,
                    "1".equals(field(status, "NoNewPrivs")), Integer.parseInt(field(status, "Seccomp")), filters, apparmor(dir),
                    namespaces(dir), root(dir), Files.readAllLines(dir.resolve("cgroup"), StandardCharsets.UTF_8), descriptors(dir, launch)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (!Files.exists(dir)) {
                return Optional.empty(); // ended while it was read
            }
            throw new OsException("read " + dir, 5, io.qfence.model.errors.IoMessages.describe(e));
        }
    }

    /** {@code attr/apparmor/current} (Linux 5.8 and later, with stacking) or {@code attr/current}; unconfined without AppArmor. */
    static String apparmor(Path dir) {
        for (Path p : List.of(dir.resolve("attr/apparmor/current"), dir.resolve("attr/current"))) {
            try {
                String label = Files.readString(p, StandardCharsets.UTF_8).replace("\0", "").strip();
                if (!label.isEmpty()) {
                    return label;
                }
            } catch (IOException | RuntimeException e) {
                // EINVAL without an LSM that answers, or no such file: nothing confines it there
            }
        }
        return GuestConfinement.UNCONFINED;
    }

    private SortedMap<String, GuestConfinement.Namespace> namespaces(Path dir) throws IOException {
        SortedMap<String, GuestConfinement.Namespace> namespaces = new TreeMap<>();
        for (String kind : NAMESPACES) {
            Path link = dir.resolve("ns").resolve(kind);
            if (!Files.isSymbolicLink(link)) {
                continue; // a kernel without this kind of namespace
            }
            long inode = inode(kind, Files.readSymbolicLink(link).toString());
            Path own = proc.resolve("self/ns").resolve(kind);
            boolean host = Files.isSymbolicLink(own) && inode(kind, Files.readSymbolicLink(own).toString()) == inode;
            namespaces.put(kind, new GuestConfinement.Namespace(inode, host, List.of()));
        }
        return namespaces;
    }

    /** {@code mnt:[4026531832]} to 4026531832. */
    static long inode(String kind, String link) {
        if (!link.startsWith(kind + ":[") || !link.endsWith("]")) {
            throw new IllegalStateException("namespace link " + link + " is not " + kind + ":[INODE]");
        }
        return Long.parseLong(link.substring(kind.length() + 2, link.length() - 1));
    }

    /**
     * The process's {@code /} from its {@code mountinfo}: the file system mounted last at {@code /}, the number of
     * mounts, whether the host's root is still mounted. A jail is a tmpfs root in a mount namespace of its own
     * without the host's root.
     */
    private GuestConfinement.Root root(Path dir) throws IOException {
        List<String> mountinfo = Files.readAllLines(dir.resolve("mountinfo"), StandardCharsets.UTF_8);
        String fsType = "none";
        boolean hostRoot = false;
        for (String line : mountinfo) {
            String[] fields = line.split(" ");
            int separator = Arrays.asList(fields).indexOf("-");
            if (fields.length < 5 || separator < 0 || separator + 1 >= fields.length) {
                throw new IllegalStateException("malformed mountinfo line: " + line);
            }
            if (fields[4].equals("/")) {
                fsType = fields[separator + 1];
            }
            hostRoot |= fields[4].equals(HOST_ROOT);
        }
        Path mnt = dir.resolve("ns/mnt");
        Path own = proc.resolve("self/ns/mnt");
        boolean ownNamespace = Files.isSymbolicLink(mnt) && Files.isSymbolicLink(own)
                && !Files.readSymbolicLink(mnt).equals(Files.readSymbolicLink(own));
        return new GuestConfinement.Root(ownNamespace && fsType.equals("tmpfs") && !hostRoot, fsType, mountinfo.size(), hostRoot);
    }

    private static GuestConfinement.Descriptors descriptors(Path dir, GuestLaunch launch) throws IOException {
        SortedMap<String, Integer> kinds = new TreeMap<>();
        List<String> outside = new ArrayList<>();
        int count = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir.resolve("fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (NoSuchFileException closed) {
                    continue; // closed while we listed
                }
                String kind = kind(target);
                kinds.merge(kind, 1, Integer::sum);
                count++;
                if ((kind.equals("file") || kind.equals("device")) && !allowed(target, launch)) {
                    outside.add(fd.getFileName() + " -> " + target);
                }
            }
        }
        outside.sort(java.util.Comparator.comparingInt(s -> Integer.parseInt(s.substring(0, s.indexOf(' ')))));
        return new GuestConfinement.Descriptors(count, kinds, outside);
    }

    /** Pure: the kind of an open descriptor from its {@code /proc/PID/fd/N} link. */
    static String kind(String target) {
        if (target.startsWith("socket:[")) {
            return "socket";
        }
        if (target.startsWith("pipe:[")) {
            return "pipe";
        }
        if (target.startsWith("anon_inode:")) {
            return "anon_inode";
        }
        if (target.startsWith("/memfd:")) {
            return "memfd";
        }
        if (target.equals(TUN)) {
            return "tap"; // a bridged guest's tap, opened by root and passed as fd 3
        }
        if (target.startsWith("/dev/")) {
            return "device";
        }
        return target.startsWith("/") ? "file" : "other";
    }

    /** Pure: a file or device the guest may hold open: under its run directory, one of its images, or a jail device. */
    static boolean allowed(String target, GuestLaunch launch) {
        String path = target.endsWith(" (deleted)") ? target.substring(0, target.length() - " (deleted)".length()) : target;
        if (DEVICES.contains(path) || launch.images().contains(path)) {
            return true;
        }
        String runDir = launch.runDir().endsWith("/") ? launch.runDir() : launch.runDir() + "/";
        return path.startsWith(runDir) && !path.contains("/../");
    }

    private static String field(List<String> status, String name) {
        return optionalField(status, name).orElseThrow(() -> new IllegalStateException("/proc status has no " + name + " line"));
    }

    private static Optional<String> optionalField(List<String> status, String name) {
        String prefix = name + ":";
        return status.stream().filter(l -> l.startsWith(prefix)).findFirst().map(l -> l.substring(prefix.length()).strip());
    }

    private static List<Long> ids(String field) {
        return field.isBlank() ? List.of() : Arrays.stream(field.split("\\s+")).map(Long::parseLong).toList();
    }
}
