package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresHost
class GuestFilesTest {

    @TempDir
    Path dir;
    Path images;
    Path outside;

    @BeforeEach
    void layout() throws Exception {
        images = Files.createDirectories(dir.resolve("images/disks"));
        images = dir.resolve("images");
        outside = Files.writeString(dir.resolve("secret.qcow2"), "someone else's disk");
        Files.writeString(images.resolve("disks/web.qcow2"), "disk");
    }

    @Test
    void aDiskIsClaimedForItsVmOnly() throws Exception {
        Path real = GuestFiles.claimDisk(images, images.resolve("disks/web.qcow2"), 200123, 200124);

        assertThat(Files.getAttribute(real, "unix:uid")).isEqualTo(200123);
        assertThat(Files.getAttribute(real, "unix:gid")).isEqualTo(200124);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real))).isEqualTo("rw-------");
    }

    @Test
    void aSymlinkInAnyComponentIsRefusedEvenIfItPointsInside() throws Exception {
        Files.createSymbolicLink(images.resolve("escape.qcow2"), outside);
        Files.createSymbolicLink(images.resolve("linkdir"), dir);
        Files.createSymbolicLink(images.resolve("inside.qcow2"), images.resolve("disks/web.qcow2"));

        assertThatThrownBy(() -> GuestFiles.claimDisk(images, images.resolve("escape.qcow2"), 200123, 200123))
                .hasMessageContaining("is a symlink; images must not contain symlinks");
        assertThatThrownBy(() -> GuestFiles.claimDisk(images, images.resolve("linkdir/secret.qcow2"), 200123, 200123))
                .hasMessageContaining(images.resolve("linkdir") + " is a symlink");
        assertThatThrownBy(() -> GuestFiles.resolveImage(images, images.resolve("inside.qcow2"))).hasMessageContaining("is a symlink");
        assertThat(Files.getAttribute(outside, "unix:uid")).as("untouched").isEqualTo(0);
    }

    @Test
    void pathsOutsideImagesRootOrNotNormalizedAreRefused() {
        assertThatThrownBy(() -> GuestFiles.resolveImage(images, outside)).hasMessageContaining("is not under imagesRoot");
        assertThatThrownBy(() -> GuestFiles.resolveImage(images, Path.of(images + "/disks/../../secret.qcow2")))
                .hasMessageContaining("must be absolute and normalized");
        assertThatThrownBy(() -> GuestFiles.resolveImage(images, images.resolve("disks"))).hasMessageContaining("is not a regular file");
    }

    @Test
    void aSharedBootFileIsOwnedByRootAndReadableByAll() throws Exception {
        Path kernel = Files.writeString(Files.createDirectories(images.resolve("kernels")).resolve("vmlinuz"), "k");
        Files.setPosixFilePermissions(kernel, PosixFilePermissions.fromString("rw-rw-rw-"));
        GuestFiles.shareBootFile(images, kernel);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kernel))).isEqualTo("rw-r--r--");
    }

    @Test
    void theRunDirectoryIsPrivateToTheVmAndForgetsThePreviousRunsSocketsButKeepsItsLogs() throws Exception {
        Path run = dir.resolve("run/web");
        Files.createDirectories(run);
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(run.resolve("qemu.pid"), "123");
        Files.writeString(run.resolve("qemu.log"), "terminating on signal 15");
        Files.createSymbolicLink(run.resolve("qmp.sock"), outside); // planted by the guest's uid

        GuestFiles.prepareRunDir(run, 200123, 200123);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(run, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rwx------");
        assertThat(Files.getAttribute(run, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(200123);
        assertThat(run.resolve("qemu.pid")).doesNotExist();
        assertThat(Files.exists(run.resolve("qmp.sock"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(outside).hasContent("someone else's disk");
        assertThat(run.resolve("qemu.log.prev")).hasContent("terminating on signal 15");
    }

    @Test
    void aRunDirectoryThatIsASymlinkIsRefused() throws Exception {
        Files.createDirectories(dir.resolve("run"));
        Files.createSymbolicLink(dir.resolve("run/web"), dir);
        assertThatThrownBy(() -> GuestFiles.prepareRunDir(dir.resolve("run/web"), 200123, 200123)).hasMessageContaining("is a symlink");
        assertThat(Files.getAttribute(dir, "unix:uid")).isEqualTo(0);
    }
}
