package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Guest;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a live plan learns before it changes anything: the reasons a guest start would fail for certain, each found
 * on a real file system, and nothing when all is in place. (A new user's first apply met each of these only after
 * the firewall, cgroups and links were in place.)
 */
class GuestPreflightTest {

    @TempDir
    Path tmp;

    private Path images;
    private Path run;

    @BeforeEach
    void openAndFill() throws IOException {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        images = Files.createDirectories(tmp.resolve("images"));
        Files.createDirectories(images.resolve("kernels"));
        Files.createDirectories(images.resolve("initrds"));
        Files.writeString(images.resolve("kernels/vmlinuz"), "k");
        Files.writeString(images.resolve("initrds/probe.img"), "i");
        run = tmp.resolve("run");
    }

    private List<String> preflight(Guest... guests) {
        return new QemuGuests(QemuGuests.Settings.of(images, tmp.resolve("state"), new CgroupFs(CgroupLayout.detect())))
                .preflight(List.of(guests));
    }

    private Guest guest(String vm) {
        return ProbeHost.guest(run, images, "10.9.9.", "test", ProbeHost.Probe.bridged(vm, 201000, 11));
    }

    @Test
    void nothingWhenTheBinaryImagesAndAPlaceForTheRunDirectoryAreThere() {
        assertThat(preflight(guest("a"), guest("b"))).isEmpty();
    }

    @Test
    void aMissingImagesRootIsOneProblemForAllGuests() throws IOException {
        images = tmp.resolve("absent");

        assertThat(preflight(guest("a"), guest("b"))).containsExactly("imagesRoot " + images
                + " is not a directory (it does not exist); the guests to start boot from it");
    }

    @Test
    void aMissingImageIsNamedWithItsGuest() throws IOException {
        Files.delete(images.resolve("initrds/probe.img"));

        assertThat(preflight(guest("a"))).containsExactly("image " + images.resolve("initrds/probe.img")
                + " of a is not a file (it does not exist)");
    }

    @Test
    void aMissingQemuBinaryIsNamed() {
        Guest g = guest("a");
        List<String> argv = new ArrayList<>(g.argv());
        argv.set(0, tmp.resolve("no-qemu").toString());
        Guest without = new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), argv, g.configDigest(), g.config(), g.state(),
                g.launch(), g.runtime());

        assertThat(preflight(without)).containsExactly("the QEMU binary " + tmp.resolve("no-qemu")
                + " is not an executable file (it does not exist)");
    }

    @Test
    void aRunDirectoryOrImagesRootBelowADirectoryOthersCannotPassThroughIsRefused() throws IOException {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));

        assertThat(preflight(guest("a"))).containsExactly(
                "runDir " + run + " is below " + tmp + " (mode 0700), which the VMs' uids cannot pass through; QEMU could not create its files",
                "imagesRoot " + images + " is below " + tmp + " (mode 0700), which the VMs' uids cannot pass through; QEMU could not open its images");
    }

    @Test
    void aRunDirectoryThatCannotBeCreatedIsRefused() throws IOException {
        Files.writeString(tmp.resolve("file"), "");
        run = tmp.resolve("file/run");

        assertThat(preflight(guest("a"))).containsExactly("runDir " + run + " cannot be created: " + tmp.resolve("file") + " is not a directory");
    }
}
