package io.qfence.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** What the lab's systemd tests ({@link SystemdDaemonLabTest}, {@link PackageInstallLabTest}) do alike. */
final class SystemdLab {
    static final ObjectMapper JSON = new ObjectMapper();

    private SystemdLab() {}

    /** The daemon's journal records in {@code stateDir}, oldest first; none before the first cycle. */
    static List<JsonNode> journal(Path stateDir) {
        Path file = stateDir.resolve("journal.jsonl");
        List<JsonNode> out = new ArrayList<>();
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank()) {
                        out.add(JSON.readTree(line));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Whether {@code pid} is a live process (neither gone nor a zombie). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException e) {
            return false;
        }
    }

    static void git(Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
        argv.addAll(List.of(args));
        run(argv.toArray(String[]::new));
    }

    /** Runs {@code argv}, asserts it exits 0, and returns its stdout and stderr. */
    static String run(String... argv) {
        Witness.Result r = Witness.tryRun(argv);
        assertThat(r.exitCode()).as("%s:\n%s%s", String.join(" ", argv), r.stdout(), r.stderr()).isZero();
        return r.stdout() + r.stderr();
    }

    /** Waits for {@code condition}; on timeout fails with the units' journal, which says why. */
    static void await(Duration timeout, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + timeout + "; systemctl status and the journal:\n"
                        + Witness.tryRun("systemctl", "status", "--no-pager", "qfence", "qfence-guests").stdout()
                        + Witness.tryRun("journalctl", "--no-pager", "-n", "60", "-u", "qfence", "-u", "qfence-guests").stdout());
            }
            pause(Duration.ofSeconds(1));
        }
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
