package io.qfence.platform.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What {@code /proc/PID} says about a process: identity, privileges, confinement, and place in the process tree.
 * Read as root, so it also covers processes of other uids. Everything here is a snapshot; pair it with a
 * {@link PidFd} opened <em>before</em> reading to be sure later actions reach the same process.
 *
 * @param uids       real, effective, saved and filesystem uid
 * @param gids       real, effective, saved and filesystem gid
 * @param groups     supplementary groups
 * @param seccomp    0 none, 1 strict, 2 filter
 * @param capEff     and the other capability sets, as the kernel prints them (hex)
 * @param state      the state letter of {@code /proc/PID/stat}: R, S, D, T, t, Z, X, ...
 * @param startTime  start time in clock ticks since boot: with the pid, identifies a process across pid reuse
 * @param cmdline    the argv, split at NUL
 * @param cgroups    the lines of {@code /proc/PID/cgroup}, e.g. {@code 4:memory:/qfence/web/web-01}
 * @param apparmor   the AppArmor label from {@code /proc/PID/attr/current}, where AppArmor is enabled
 */
public record ProcessInfo(
        long pid,
        List<Long> uids,
        List<Long> gids,
        List<Long> groups,
        boolean noNewPrivs,
        int seccomp,
        String capInh,
        String capPrm,
        String capEff,
        String capBnd,
        String capAmb,
        char state,
        long ppid,
        long sessionId,
        long startTime,
        List<String> cmdline,
        List<String> cgroups,
        Optional<String> apparmor) {

    private static final long MAX_CMDLINE_BYTES = 1 << 20;

    public ProcessInfo {
        uids = List.copyOf(uids);
        gids = List.copyOf(gids);
        groups = List.copyOf(groups);
        cmdline = List.copyOf(cmdline);
        cgroups = List.copyOf(cgroups);
    }

    /** Reads {@code /proc/PID}; empty if there is no such process (or it vanished while being read). */
    public static Optional<ProcessInfo> read(long pid) {
        return read(Path.of("/proc"), pid);
    }

    static Optional<ProcessInfo> read(Path proc, long pid) {
        Path dir = proc.resolve(Long.toString(pid));
        try {
            List<String> status = Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8);
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
            byte[] cmdlineBytes = Files.readAllBytes(dir.resolve("cmdline"));
            List<String> cgroups = Files.readAllLines(dir.resolve("cgroup"), StandardCharsets.UTF_8);
            Optional<String> apparmor = readApparmor(dir);
            // comm (field 2) may contain spaces and parentheses: the fields after it start after the last ')'.
            String[] afterComm = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Optional.of(new ProcessInfo(
                    pid,
                    longs(field(status, "Uid")),
                    longs(field(status, "Gid")),
                    longs(field(status, "Groups")),
                    "1".equals(field(status, "NoNewPrivs")),
                    Integer.parseInt(field(status, "Seccomp")),
                    field(status, "CapInh"),
                    field(status, "CapPrm"),
                    field(status, "CapEff"),
                    field(status, "CapBnd"),
                    field(status, "CapAmb"),
                    afterComm[0].charAt(0),
                    Long.parseLong(afterComm[1]),
                    Long.parseLong(afterComm[3]),
                    Long.parseLong(afterComm[19]),
                    splitCmdline(cmdlineBytes),
                    cgroups,
                    apparmor));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (!Files.exists(dir)) {
                return Optional.empty();
            }
            throw new OsException("read " + dir, 5, io.qfence.model.errors.IoMessages.describe(e));
        }
    }

    /** A zombie (or dead) process has ended; it only waits for its parent (or PID 1) to reap it. */
    public boolean hasEnded() {
        return state == 'Z' || state == 'X';
    }

    /** All four uids equal {@code uid}. */
    public boolean runsAs(long uid, long gid) {
        return uids.stream().allMatch(u -> u == uid) && gids.stream().allMatch(g -> g == gid);
    }

    /** No capability in any set, the bounding set included. */
    public boolean hasNoCapabilities() {
        return List.of(capInh, capPrm, capEff, capBnd, capAmb).stream().allMatch(c -> c.chars().allMatch(ch -> ch == '0'));
    }

    private static Optional<String> readApparmor(Path dir) {
        for (Path p : List.of(dir.resolve("attr/apparmor/current"), dir.resolve("attr/current"))) {
            try {
                String label = Files.readString(p, StandardCharsets.UTF_8).replace("\0", "").strip();
                if (!label.isEmpty()) {
                    return Optional.of(label);
                }
            } catch (IOException | RuntimeException e) {
                // no AppArmor (EINVAL) or no such file: nothing to report
            }
        }
        return Optional.empty();
    }

    private static String field(List<String> status, String name) {
        String prefix = name + ":";
        return status.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> l.substring(prefix.length()).strip())
                .orElseThrow(() -> new IllegalStateException("/proc status has no " + name + " line"));
    }

    private static List<Long> longs(String field) {
        if (field.isBlank()) {
            return List.of();
        }
        return Arrays.stream(field.split("\\s+")).map(Long::parseLong).toList();
    }

    private static List<String> splitCmdline(byte[] bytes) {
        if (bytes.length > MAX_CMDLINE_BYTES) {
            throw new IllegalStateException("cmdline longer than " + MAX_CMDLINE_BYTES + " bytes");
        }
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                args.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < bytes.length) {
            args.add(new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8));
        }
        return args;
    }
}
