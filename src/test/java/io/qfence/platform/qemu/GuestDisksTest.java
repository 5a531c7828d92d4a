package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.CloudInitSeed;
import io.qfence.model.host.Overlay;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files behind real guests (DESIGN.md §17): bases, overlays and the seed volume, on the real file system. */
@RequiresHost(tools = {"qemu-img", "xorriso", "isoinfo"})
class GuestDisksTest {

    static final Path QEMU_IMG = Path.of("/usr/bin/qemu-img");

    @TempDir
    Path dir;
    Path images;
    Path base;

    @BeforeEach
    void layout() throws Exception {
        images = dir.resolve("images");
        base = Files.createDirectories(images.resolve("bases")).resolve("b.raw");
        Files.write(base, new byte[65536]);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    Overlay overlay() {
        return new Overlay(images.resolve("overlays/vm1.qcow2").toString(), base.toString(), "raw");
    }

    @Test
    void anOverlayIsCreatedOnceForItsVmAndItsBaseIsMadeRootsAndReadOnly() throws Exception {
        assertThat(GuestDisks.ensureOverlay(images, overlay(), QEMU_IMG, 200123, 200124)).isTrue();

        Path o = Path.of(overlay().path());
        assertThat(Files.getAttribute(o, "unix:uid")).isEqualTo(200123);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(o))).isEqualTo("rw-------");
        assertThat(Witness.run("qemu-img", "info", "--output=json", "-U", o.toString())).contains("\"format\": \"qcow2\"",
                "\"backing-filename-format\": \"raw\"", base.toString());
        assertThat(Files.getAttribute(base, "unix:uid")).isEqualTo(0);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(base))).isEqualTo("r--r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(o.getParent()))).isEqualTo("rwxr-xr-x");
        try (var left = Files.list(o.getParent())) {
            assertThat(left).as("no temporary file left").containsExactly(o);
        }
    }

    @Test
    void anExistingOverlayIsNeverReCreated() throws Exception {
        Path o = Files.createDirectories(images.resolve("overlays")).resolve("vm1.qcow2");
        Files.writeString(o, "the VM's writes");

        assertThat(GuestDisks.ensureOverlay(images, overlay(), QEMU_IMG, 200123, 200124)).isFalse();

        assertThat(Files.readString(o)).isEqualTo("the VM's writes");
        assertThat(Files.getAttribute(o, "unix:uid")).isEqualTo(200123);
    }

    @Test
    void anOverlayOrBaseBehindASymlinkIsRefused() throws Exception {
        Path o = Files.createDirectories(images.resolve("overlays")).resolve("vm1.qcow2");
        Files.createSymbolicLink(o, dir.resolve("elsewhere.qcow2"));
        assertThatThrownBy(() -> GuestDisks.ensureOverlay(images, overlay(), QEMU_IMG, 200123, 200124)).hasMessageContaining("symlink");
        assertThat(dir.resolve("elsewhere.qcow2")).doesNotExist();

        Path linked = images.resolve("bases/link.raw");
        Files.createSymbolicLink(linked, base);
        assertThatThrownBy(() -> GuestDisks.shareBase(images, linked)).hasMessageContaining("symlink");
    }

    @Test
    void theSeedIsAnIsoLabelledCidataWithTheThreeFilesRootsAndReadOnly() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run/vm1"));
        Path stale = run.resolve(CloudInitSeed.FILE_NAME);
        Files.createSymbolicLink(stale, dir.resolve("target-of-a-planted-link"));
        CloudInitSeed seed = new CloudInitSeed(stale.toString(), "qf-0123456789abcdef", "instance-id: qf-0123456789abcdef\n",
                "version: 2\n", "#cloud-config\nhostname: vm1\n", new TreeMap<>(Map.of("users", "abc")));

        GuestDisks.writeSeed(seed, GuestDisks.XORRISO);

        assertThat(Files.isSymbolicLink(stale)).as("a planted symlink is replaced, never followed").isFalse();
        assertThat(dir.resolve("target-of-a-planted-link")).doesNotExist();
        assertThat(Files.getAttribute(stale, "unix:uid")).isEqualTo(0);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stale))).isEqualTo("r--r--r--");
        assertThat(Witness.run("isoinfo", "-d", "-i", stale.toString())).contains("Volume id: cidata");
        assertThat(Witness.run("isoinfo", "-R", "-i", stale.toString(), "-x", "/meta-data")).isEqualTo(seed.metaData());
        assertThat(Witness.run("isoinfo", "-R", "-i", stale.toString(), "-x", "/network-config")).isEqualTo(seed.networkConfig());
        assertThat(Witness.run("isoinfo", "-R", "-i", stale.toString(), "-x", "/user-data")).isEqualTo(seed.userData());
    }
}
