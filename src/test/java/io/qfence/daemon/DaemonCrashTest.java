package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.apply.StateLock;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.model.errors.LockHeldException;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the daemon in the middle of an apply, then a restart: the lock dies with the process, the last
 * applied revision still names the old one (it is written only after a complete apply), and the restarted daemon
 * applies the new revision again and converges. The host is a pretend one ({@link FakeHostDaemon}); the same crash on
 * the real host is the engine's to test.
 */
@RequiresHost(tools = "git")
class DaemonCrashTest {

    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aDaemonKilledInTheMiddleOfAnApplyConvergesAfterARestart() throws Exception {
        DesiredRepo repo = DesiredRepo.create(tmp.resolve("origin"));
        Path hostDir = Files.createDirectories(tmp.resolve("host"));
        Path stateDir = tmp.resolve("state");
        String first = repo.head();

        Process daemon = start(repo, hostDir, stateDir, "first.log");
        await(() -> first.equals(lastApplied(stateDir)));
        assertThat(Files.readString(hostDir.resolve("state"))).isEqualTo(first);

        Files.createFile(hostDir.resolve("hold"));
        String second = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");
        await(() -> Files.exists(hostDir.resolve("applying"))
                && Files.readString(hostDir.resolve("applying")).equals(second));
        assertThatThrownBy(() -> StateLock.acquire(stateDir, "qfence apply"))
                .as("the daemon holds the state lock while it applies").isInstanceOf(LockHeldException.class)
                .hasMessageContaining("(qfence reconcile)");

        daemon.destroyForcibly();
        assertThat(daemon.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(daemon.exitValue()).as("killed by SIGKILL").isEqualTo(137);
        assertThat(lastApplied(stateDir)).as("not recorded: the apply did not finish").isEqualTo(first);
        try (StateLock free = StateLock.acquire(stateDir, "qfence apply")) {
            assertThat(free.holder().command()).isEqualTo("qfence apply");
        }

        Files.delete(hostDir.resolve("hold"));
        start(repo, hostDir, stateDir, "second.log");
        await(() -> second.equals(lastApplied(stateDir)));
        // the journal is appended just after the last-applied file is replaced
        await(() -> Journal.read(stateDir).records().stream().anyMatch(r -> r.revision().equals(Optional.of(second))));

        assertThat(Files.readString(hostDir.resolve("state"))).isEqualTo(second);
        assertThat(Files.exists(hostDir.resolve("applying"))).isFalse();
        List<CycleRecord> records = Journal.read(stateDir).records();
        assertThat(records).last().satisfies(r -> {
            assertThat(r.trigger()).isEqualTo("startup");
            assertThat(r.revision()).contains(second);
        });
    }

    private Process start(DesiredRepo repo, Path hostDir, Path stateDir, String log) throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(FakeHostDaemon.class.getName()));
        command.addAll(List.of(hostDir.toString(), "reconcile", "--repo", repo.git.dir().toString(),
                "--host", "hv1", "--state-dir", stateDir.toString(), "--interval", "300ms", "--drift-interval", "1h",
                "--listen", "none"));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(tmp.resolve(log).toFile());
        pb.environment().put("QFENCE_LOG_LEVEL", "INFO");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static String lastApplied(Path stateDir) throws Exception {
        return LastApplied.read(stateDir).map(l -> l.revision().hex()).orElse("");
    }

    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    private void await(Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!check.holds()) {
            for (Process p : processes) {
                if (!p.isAlive() && p.exitValue() != 137) {
                    throw new AssertionError("the daemon exited " + p.exitValue() + ": " + logs());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within " + WAIT_SECONDS + " s: " + logs());
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private String logs() throws Exception {
        StringBuilder s = new StringBuilder();
        try (var files = Files.list(tmp)) {
            for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".log"))::iterator) {
                s.append("\n--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
            }
        }
        return s.toString();
    }
}
