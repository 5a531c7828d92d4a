package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.platform.qemu.QmpClient;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Disks from base images and the cloud-init seed (DESIGN.md §17) through the real CLI and a real, jailed QEMU in a
 * private sandbox: {@code apply} creates the VM's overlay (its uid, 0600) over a base it never writes (root's, 0444,
 * same checksum), writes the seed volume (root's, 0444, labelled cidata), and QEMU's own block graph
 * ({@code query-named-block-nodes}) shows the overlay backed by the explicitly named read-only base node and the seed
 * as a read-only raw node. The jail binds the base read-only and the overlay read-write. A second apply changes
 * nothing and keeps the overlay; a base touched under the running guest is drift; a key changed in Git is a planned
 * restart that says {@code seed changed: sshKeys}.
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "qemu-img", "xorriso", "isoinfo", "setpriv"})
class ApplyBaseImageTest {

    static final Path DESIRED = Path.of("src/test/resources/apply-base-image");

    LiveSandbox sandbox;
    Path desired;
    Path images;

    @BeforeEach
    void createSandbox() throws IOException {
        sandbox = LiveSandbox.create();
        desired = sandbox.forGuests(DESIRED);
        LiveSandbox.privateUidRange(desired);
        images = sandbox.dir.resolve("images");
    }

    @AfterEach
    void removeSandbox() throws Exception {
        try {
            GuestKills.killAll(sandbox);
        } finally {
            sandbox.close();
            ApplyGuestsTest.assertNothingLeftOf(sandbox);
        }
    }

    @Test
    void applyMakesAnOverlayOverAnUnchangedBaseAndAReadOnlySeedAndQemuSeesExactlyThatGraph() throws Exception {
        Path base = images.resolve("bases/tiny.raw");
        Files.createDirectories(base.getParent());
        byte[] bytes = new byte[1 << 20];
        new Random(17).nextBytes(bytes);
        Files.write(base, bytes);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rw-r--r--"));
        String checksum = sha256(base);
        Files.write(images.resolve("bases/old.raw"), new byte[4096]); // a base no VM names: reported, never deleted

        CliRun apply = cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
        long pid = GuestKills.recordedPids(sandbox).get("b-1");
        long uid = uidOf(pid);

        Path overlay = images.resolve("overlays/b-1.qcow2");
        assertThat((Integer) Files.getAttribute(overlay, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as("overlay owned by the VM's uid")
                .isEqualTo((int) uid);
        assertThat(mode(overlay)).isEqualTo("rw-------");
        assertThat(sha256(base)).as("the base's bytes are unchanged").isEqualTo(checksum);
        assertThat((Integer) Files.getAttribute(base, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isZero();
        assertThat(mode(base)).as("a base is made root's and read-only").isEqualTo("r--r--r--");

        Path seed = sandbox.dir.resolve("run/b-1/cidata.iso");
        assertThat((Integer) Files.getAttribute(seed, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isZero();
        assertThat(mode(seed)).isEqualTo("r--r--r--");
        assertThat(Witness.run("isoinfo", "-d", "-i", seed.toString())).contains("Volume id: cidata", "Rock Ridge signatures", "Joliet");
        assertThat(Witness.run("isoinfo", "-R", "-i", seed.toString(), "-x", "/user-data"))
                .startsWith("#cloud-config\n").contains("ssh_pwauth: false", "- name: alice", "alice@laptop");
        assertThat(Witness.run("isoinfo", "-R", "-i", seed.toString(), "-x", "/meta-data")).contains("local-hostname: b-1");

        JsonNode nodes;
        try (QmpClient qmp = QmpClient.connect(sandbox.dir.resolve("run/b-1/qmp.sock"), Duration.ofSeconds(10), uid)) {
            nodes = qmp.execute("query-named-block-nodes", Duration.ofSeconds(10));
        }
        JsonNode disk = node(nodes, "disk0");
        assertThat(disk.path("drv").asText()).isEqualTo("qcow2");
        assertThat(disk.path("ro").asBoolean()).as("the overlay is writable").isFalse();
        assertThat(disk.path("file").asText()).isEqualTo(overlay.toString());
        assertThat(disk.path("backing_file_depth").asInt()).isEqualTo(1);
        assertThat(disk.path("image").path("backing-image").path("filename").asText()).as("backed by the base").isEqualTo(base.toString());
        JsonNode baseNode = node(nodes, "base0");
        assertThat(baseNode.path("drv").asText()).isEqualTo("raw");
        assertThat(baseNode.path("ro").asBoolean()).as("the base node is read-only").isTrue();
        assertThat(node(nodes, "base0-file").path("ro").asBoolean()).isTrue();
        JsonNode seedNode = node(nodes, "seed0");
        assertThat(seedNode.path("drv").asText()).isEqualTo("raw");
        assertThat(seedNode.path("ro").asBoolean()).as("the seed is read-only").isTrue();
        assertThat(seedNode.path("file").asText()).isEqualTo(seed.toString());
        assertThat(StreamSupport.stream(nodes.spliterator(), false).map(n -> n.path("node-name").asText()))
                .as("no node QEMU opened on its own (an image header's backing file would add one)")
                .containsExactlyInAnyOrder("disk0", "disk0-file", "base0", "base0-file", "seed0", "seed0-file");

        // The jail (DESIGN.md §9): the base bound read-only, the overlay read-write
        List<String> mounts = Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo"));
        assertThat(mountOptions(mounts, base.toString())).as("base in the jail").startsWith("ro,");
        assertThat(mountOptions(mounts, overlay.toString())).as("overlay in the jail").startsWith("rw,");

        // Idempotent: nothing to do, and the overlay is the same file
        Object inode = Files.getAttribute(overlay, "unix:ino");
        CliRun plan = cli("plan");
        assertThat(plan.exitCode()).as(plan.out() + plan.err()).isZero();
        assertThat(plan.out() + plan.err()).contains("bases/old.raw", "no VM of the desired state uses it").doesNotContain("bases/tiny.raw");
        assertThat(images.resolve("bases/old.raw")).exists();
        CliRun again = cli("apply", "--auto-approve");
        assertThat(again.exitCode()).as(again.out() + again.err()).isZero();
        assertThat(GuestKills.recordedPids(sandbox).get("b-1")).isEqualTo(pid);
        assertThat(Files.getAttribute(overlay, "unix:ino")).isEqualTo(inode);

        // A key changed in Git: a planned restart that names the seed's part
        Path group = desired.resolve("groups/b1.yaml");
        Files.writeString(group, Files.readString(group).replace("AAAAIJAItmaSrDTx44hTyqzHbLCbcAcNe/oKEBwlOOK+WiA+",
                "AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"));
        CliRun keys = cli("plan");
        assertThat(keys.exitCode()).as(keys.out() + keys.err()).isEqualTo(2);
        assertThat(keys.out()).contains("group.b1/vm.b-1", "seed changed: sshKeys").doesNotContain("users");
        CliRun restart = cli("apply", "--auto-approve");
        assertThat(restart.exitCode()).as(restart.out() + restart.err()).isZero();
        assertThat(GuestKills.recordedPids(sandbox).get("b-1")).as("restarted with the new seed").isNotEqualTo(pid);
        assertThat(Witness.run("isoinfo", "-R", "-i", seed.toString(), "-x", "/user-data"))
                .contains("AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl").doesNotContain("AAAAIJAItmaSrDTx44hTyqzHbLCbcAcNe");
        assertThat(Files.getAttribute(overlay, "unix:ino")).as("the overlay survives the restart").isEqualTo(inode);
        assertThat(sha256(base)).isEqualTo(checksum);

        // A base changed in place under the running guest: drift
        Files.setLastModifiedTime(base, FileTime.fromMillis(Files.getLastModifiedTime(base).toMillis() - 60_000));
        CliRun drift = cli("plan");
        assertThat(drift.exitCode()).as(drift.out() + drift.err()).isEqualTo(2);
        assertThat(drift.out()).contains("group.b1/vm.b-1", "base image changed under the running guest", "drift");
    }

    static JsonNode node(JsonNode nodes, String name) {
        for (JsonNode n : nodes) {
            if (n.path("node-name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no block node " + name + " in " + nodes);
    }

    /** The per-mount options (field 6) of the mount at {@code mountPoint} in a mountinfo. */
    static String mountOptions(List<String> mountinfo, String mountPoint) {
        List<String> found = new ArrayList<>();
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            if (f[4].equals(mountPoint)) {
                found.add(f[5]);
            }
        }
        assertThat(found).as("one mount at " + mountPoint + " in " + mountinfo).hasSize(1);
        return found.get(0);
    }

    static long uidOf(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().filter(l -> l.startsWith("Uid:"))
                .map(l -> Long.parseLong(l.split("\\s+")[1])).findFirst().orElseThrow();
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir",
                sandbox.dir.resolve("run").toString(), "--images-root", images.toString(), "--cgroup-parent", sandbox.cgroupParent,
                "--dir", desired.toString()));
        return CliRun.onHost(io.qfence.app.Main.liveHost(), "", args.toArray(String[]::new));
    }
}
