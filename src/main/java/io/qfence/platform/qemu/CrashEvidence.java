package io.qfence.platform.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Why a guest ended when nobody was there to see it. While qfence runs, it reaps the guests it started and knows
 * their exit status ({@link GuestProcess#exitStatus()}). A guest started by an earlier qfence is PID 1's child, and
 * its status is lost; what remains is evidence: the OOM-kill counter of its memory cgroup, QEMU's own last words in
 * {@code qemu.log} (e.g. {@code terminating on signal 15 from pid 1234}), and the guest's last console lines in
 * {@code serial.log} (a kernel panic). Everything read from the run directory was written by the guest's uid and is
 * shortened and stripped of control characters.
 */
public final class CrashEvidence {

    private static final int MAX_TAIL_BYTES = 4096;

    private CrashEvidence() {}

    /**
     * A one-line cause, e.g. {@code 1 OOM kill in its cgroup; qemu.log: ...; serial.log: Kernel panic ...}, from the
     * run directory's logs (or their {@code .prev} copies, after a restart has rotated them).
     */
    public static String describe(Path runDir, List<Path> cgroupDirs) {
        List<String> parts = new ArrayList<>();
        long oomKills = cgroupDirs.stream().map(CrashEvidence::oomKills).flatMap(Optional::stream).mapToLong(Long::longValue).sum();
        if (oomKills > 0) {
            parts.add(oomKills + " OOM kill" + (oomKills == 1 ? "" : "s") + " in its cgroup");
        }
        for (String log : List.of(GuestLauncher.QEMU_LOG, "serial.log")) {
            Path file = runDir.resolve(log);
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                file = runDir.resolve(log + ".prev");
            }
            String tail = tail(file, 2);
            if (!tail.isEmpty()) {
                parts.add(file.getFileName() + ": " + tail);
            }
        }
        return parts.isEmpty() ? "no evidence left" : String.join("; ", parts);
    }

    /** The OOM-kill count of one cgroup: {@code oom_kill} in v1's memory.oom_control or v2's memory.events. */
    static Optional<Long> oomKills(Path cgroupDir) {
        for (String file : List.of("memory.oom_control", "memory.events")) {
            try {
                for (String line : Files.readAllLines(cgroupDir.resolve(file))) {
                    if (line.startsWith("oom_kill ")) {
                        return Optional.of(Long.parseLong(line.substring(9).strip()));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // not a memory cgroup, or gone
            }
        }
        return Optional.empty();
    }

    /** The last {@code lines} non-empty lines of {@code file}, joined with " | ", sanitized; empty if none. */
    static String tail(Path file, int lines) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            int size = (int) Math.min(MAX_TAIL_BYTES, length);
            byte[] bytes = new byte[size];
            f.seek(length - size);
            f.readFully(bytes);
            String[] all = new String(bytes, StandardCharsets.UTF_8).split("\r?\n");
            List<String> kept = new ArrayList<>();
            for (int i = all.length - 1; i >= 0 && kept.size() < lines; i--) {
                String clean = QmpClient.abbreviate(all[i].strip());
                if (!clean.isEmpty()) {
                    kept.add(0, clean);
                }
            }
            return String.join(" | ", kept);
        } catch (IOException e) {
            return "";
        }
    }
}
