package io.qfence.apply;

import io.qfence.testing.ChildJvm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.qfence.model.errors.LockHeldException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateLockTest {

    @TempDir
    Path stateDir;

    @Test
    void anotherProcessCannotTakeTheLockAndLearnsWhoHoldsIt() throws Exception {
        Process holder = startHolder("qfence daemon");
        try (BufferedReader out = reader(holder)) {
            assertThat(out.readLine()).isEqualTo("LOCKED " + holder.pid());

            LockHeldException held = catchThrowableOfType(LockHeldException.class,
                    () -> StateLock.acquire(stateDir, "qfence apply"));

            assertThat(held).isNotNull();
            assertThat(held.holder()).get().satisfies(h -> {
                assertThat(h.pid()).isEqualTo(holder.pid());
                assertThat(h.command()).isEqualTo("qfence daemon");
                assertThat(h.since()).isBefore(Instant.now().plusSeconds(1));
            });
            assertThat(held).hasMessageMatching(java.util.regex.Pattern.quote(stateDir.resolve("qfence.lock").toString())
                    + " is locked by pid " + holder.pid() + " \\(qfence daemon\\) since \\S+; nothing was changed");

            holder.getOutputStream().close();
            assertThat(out.readLine()).isEqualTo("RELEASED");
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            holder.destroyForcibly();
        }
        try (StateLock lock = StateLock.acquire(stateDir, "qfence apply")) {
            assertThat(lock.holder().pid()).isEqualTo(ProcessHandle.current().pid());
        }
    }

    @Test
    void theLockDiesWithItsHolder() throws Exception {
        Process holder = startHolder("qfence apply");
        try (BufferedReader out = reader(holder)) {
            assertThat(out.readLine()).startsWith("LOCKED ");
            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        try (StateLock lock = StateLock.acquire(stateDir, "qfence daemon")) {
            assertThat(lock.file()).hasContent("pid=" + ProcessHandle.current().pid() + "\ncommand=qfence daemon\nsince="
                    + lock.holder().since());
        }
    }

    @Test
    void aSecondOwnerInTheSameProcessIsRefusedToo() throws Exception {
        try (StateLock first = StateLock.acquire(stateDir, "qfence daemon")) {
            assertThatThrownBy(() -> StateLock.acquire(stateDir, "qfence apply"))
                    .isInstanceOf(LockHeldException.class)
                    .hasMessageContaining("(qfence daemon)");
        }
        try (StateLock again = StateLock.acquire(stateDir, "qfence apply")) {
            assertThat(again.holder().command()).isEqualTo("qfence apply");
        }
    }

    /**
     * fcntl locks belong to the process and closing any descriptor of the file drops them all: refusing a second
     * owner in this process must not open (and close) the lock file, or the first owner would silently lose its lock.
     */
    @Test
    void refusingASecondOwnerInTheSameProcessKeepsTheFirstOwnersLock() throws Exception {
        try (StateLock first = StateLock.acquire(stateDir, "qfence daemon")) {
            assertThatThrownBy(() -> StateLock.acquire(stateDir, "qfence apply")).isInstanceOf(LockHeldException.class);

            Process other = startHolder("qfence apply");
            try (BufferedReader out = reader(other)) {
                assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(other.exitValue()).isNotZero();
                assertThat(out.readLine()).isNull();
            } finally {
                other.destroyForcibly();
            }
        }
    }

    @Test
    void aLockFileWithoutAHolderStillRefusesWithAPlainMessage() {
        assertThat(new LockHeldException(Path.of("/var/lib/qfence/qfence.lock"), Optional.empty()))
                .hasMessage("/var/lib/qfence/qfence.lock is locked by another process (it has not said who yet); "
                        + "nothing was changed");
    }

    private Process startHolder(String command) throws Exception {
        List<String> holder = new ArrayList<>(ChildJvm.command(StateLockHolder.class.getName()));
        holder.addAll(List.of(stateDir.toString(), command));
        return new ProcessBuilder(holder)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static BufferedReader reader(Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }
}
