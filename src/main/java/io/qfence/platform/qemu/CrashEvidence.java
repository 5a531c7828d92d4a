package io.qfence.platform.qemu;

import io.qfence.platform.os.SecureFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Why a guest ended when nobody was there to see it. While qfence runs, it reaps the guests it started and knows
 * their exit status ({@link GuestProcess#exitStatus()}). A guest started by an earlier qfence is PID 1's child, and
 * its status is lost; what remains is evidence: the OOM-kill count of its memory cgroup, QEMU's own last words in
 * {@code qemu.log} (e.g. {@code terminating on signal 15 from pid 1234}), and the guest's last console lines in
 * {@code serial.log} (a kernel panic). Everything read from the run directory was written by the guest's uid and is
 * shortened and stripped of control characters.
 */
public final class CrashEvidence {

    private static final int MAX_TAIL_BYTES = 4096;

    private CrashEvidence() {}

    /**
     * QEMU's own line when it ends on a signal it handles (SIGTERM, SIGINT, SIGHUP):
     * {@code qemu-system-x86_64: terminating on signal 15 from pid 1234 (<comm>)}.
     */
    private static final java.util.regex.Pattern QEMU_SIGNAL = java.util.regex.Pattern.compile("terminating on signal (\\d+)(?: from pid (\\d+))?");

    /**
     * Console lines worth quoting as a cause: what a kernel or init says when it dies or powers off. Anything else (the
     * shell's banner {@code sh: can't access tty; job control turned off}, prompts, a probe's markers) says nothing
     * about why the guest ended, and quoting it misleads.
     */
    private static final java.util.regex.Pattern MEANINGFUL_CONSOLE = java.util.regex.Pattern.compile(
            "(?i).*(kernel panic|panic:|oops|bug:|out of memory|killed process|segfault|general protection|call trace|"
                    + "reboot:|power down|halted|fatal|unable to mount|no working init|attempted to kill init).*");

    /**
     * A one-line cause, e.g. {@code QEMU terminated by SIGTERM from pid 1234; 1 OOM kill in its cgroup; serial.log:
     * Kernel panic ...}, from the run directory's logs (or their {@code .prev} copies, after a restart has rotated
     * them). Without a signal in QEMU's log and without an exit status (the qfence that started the guest is gone),
     * it says that the status is unknown rather than guess. {@code oomKills} is the VM cgroup's count as the cgroup
     * adapter read it ({@link io.qfence.host.CgroupProcesses#oomKills}): cgroup files are parsed only there.
     */
    public static String describe(Path runDir, OptionalLong oomKills) {
        return describe(runDir, oomKills, false);
    }

    /** As {@link #describe(Path, OptionalLong)}; {@code statusKnown} when the caller already named the exit status. */
    public static String describe(Path runDir, OptionalLong oomKills, boolean statusKnown) {
        List<String> parts = new ArrayList<>();
        Path qemuLog = existing(runDir, GuestLauncher.QEMU_LOG);
        String qemuTail = tail(qemuLog, 2);
        java.util.regex.Matcher signal = QEMU_SIGNAL.matcher(qemuTail);
        if (signal.find()) {
            parts.add("QEMU terminated by " + io.qfence.platform.os.Signal.describe(Integer.parseInt(signal.group(1)))
                    + (signal.group(2) != null ? " from pid " + signal.group(2) : ""));
        } else if (!statusKnown) {
            parts.add("exit status unknown (started by an earlier qfence; QEMU logged no signal, as after SIGKILL or a crash)");
        }
        long kills = oomKills.orElse(0);
        if (kills > 0) {
            parts.add(kills + " OOM kill" + (kills == 1 ? "" : "s") + " in its cgroup");
        }
        if (!qemuTail.isEmpty() && !signal.find(0)) {
            parts.add(qemuLog.getFileName() + ": " + qemuTail);
        }
        Path serial = existing(runDir, "serial.log");
        String console = meaningfulTail(serial, 2);
        if (!console.isEmpty()) {
            parts.add(serial.getFileName() + ": " + console);
        }
        return String.join("; ", parts);
    }

    private static Path existing(Path runDir, String log) {
        Path file = runDir.resolve(log);
        return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? file : runDir.resolve(log + ".prev");
    }

    /** The last {@code lines} console lines that say why a guest ended ({@link #MEANINGFUL_CONSOLE}), or empty. */
    static String meaningfulTail(Path file, int lines) {
        String all = tail(file, 40);
        List<String> kept = new ArrayList<>();
        for (String line : all.isEmpty() ? new String[0] : all.split(" \\| ")) {
            if (MEANINGFUL_CONSOLE.matcher(line).matches()) {
                kept.add(line);
            }
        }
        return String.join(" | ", kept.subList(Math.max(0, kept.size() - lines), kept.size()));
    }

    /** The last {@code lines} non-empty lines of {@code file}, joined with " | ", sanitized; empty if none. */
    static String tail(Path file, int lines) {
        // the run directory is the guest uid's: opened once, never following a link nor blocking on a FIFO put there
        try (FileChannel f = SecureFiles.openRegularForReading(file).orElse(null)) {
            if (f == null) {
                return "";
            }
            long length = f.size();
            int size = (int) Math.min(MAX_TAIL_BYTES, length);
            ByteBuffer buffer = ByteBuffer.allocate(size);
            f.position(length - size);
            int n;
            do {
                n = f.read(buffer); // a log that shrank meanwhile gives what is there
            } while (n > 0 && buffer.hasRemaining());
            byte[] bytes = java.util.Arrays.copyOf(buffer.array(), buffer.position());
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
