package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pidfile is written by the VM's uid: only one plain number is taken from it, and nothing is followed. */
class GuestPidFilesTest {

    @TempDir
    Path dir;

    @Test
    void aPlainPidWithANewlineIsRead() throws Exception {
        assertThat(GuestPidFiles.readPid(Files.writeString(dir.resolve("qemu.pid"), "4242\n"))).contains(4242L);
    }

    @Test
    void anythingElseIsNotAPid() throws Exception {
        for (String content : new String[] {"", "1", "0", "-5", "42 43", "4242x", "99999999999", "4242\n".repeat(10), "\u0664\u0662"}) {
            assertThat(GuestPidFiles.readPid(Files.writeString(dir.resolve("qemu.pid"), content))).as(content).isEqualTo(Optional.empty());
        }
    }

    @Test
    void aSymlinkedPidfileIsNotFollowed() throws Exception {
        Path target = Files.writeString(dir.resolve("elsewhere"), "4242\n");
        Path link = Files.createSymbolicLink(dir.resolve("qemu.pid"), target);
        assertThat(GuestPidFiles.readPid(link)).isEmpty();
    }

    @Test
    void aMissingPidfileIsReportedAsMissing() {
        assertThatThrownBy(() -> GuestPidFiles.readPid(dir.resolve("qemu.pid"))).isInstanceOf(NoSuchFileException.class);
    }
}
