package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A crash cause names the signal or says the status is unknown, and quotes the console only when it says why. */
class CrashEvidenceTest {

    @TempDir
    Path run;

    @Test
    void aGuestKilledWhileNoQfenceWatchedHasAnUnknownStatusAndItsShellBannerIsNotQuoted() throws IOException {
        Files.writeString(run.resolve("serial.log"), "QF-PROBE-READY\nsh: can't access tty; job control turned off\n~ # \n");

        assertThat(CrashEvidence.describe(run, OptionalLong.empty()))
                .isEqualTo("exit status unknown (started by an earlier qfence; QEMU logged no signal, as after SIGKILL or a crash)");
    }

    @Test
    void aSignalQemuLoggedIsNamedWithItsSender() throws IOException {
        Files.writeString(run.resolve("qemu.log"), "qemu-system-x86_64: terminating on signal 15 from pid 4242 (kill)\n");

        assertThat(CrashEvidence.describe(run, OptionalLong.empty())).isEqualTo("QEMU terminated by SIGTERM from pid 4242");
    }

    @Test
    void aKernelPanicOnTheConsoleIsQuotedAndTheLinesAroundItAreNot() throws IOException {
        Files.writeString(run.resolve("serial.log.prev"), "Run /init as init process\n"
                + "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n~ # \n");

        assertThat(CrashEvidence.describe(run, OptionalLong.empty(), true))
                .isEqualTo("serial.log.prev: Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100");
    }

    @Test
    void withAKnownExitStatusNothingIsGuessed() {
        assertThat(CrashEvidence.describe(run, OptionalLong.empty(), true)).isEmpty();
    }

    @Test
    void theOomKillsTheCgroupAdapterCountedAreNamedWithTheSignal() throws IOException {
        Files.writeString(run.resolve("qemu.log"), "qemu-system-x86_64: terminating on signal 15 from pid 4242 (kill)\n");

        assertThat(CrashEvidence.describe(run, OptionalLong.of(1))).isEqualTo("QEMU terminated by SIGTERM from pid 4242; 1 OOM kill in its cgroup");
        assertThat(CrashEvidence.describe(run, OptionalLong.of(2), true)).isEqualTo("QEMU terminated by SIGTERM from pid 4242; 2 OOM kills in its cgroup");
        assertThat(CrashEvidence.describe(run, OptionalLong.of(0), true)).as("no kill, nothing said").isEqualTo("QEMU terminated by SIGTERM from pid 4242");
    }
}
