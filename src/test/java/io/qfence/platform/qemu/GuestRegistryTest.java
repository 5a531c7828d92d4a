package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestRegistryTest {

    @TempDir
    Path state;

    static Guest guest(String vm) {
        return ProbeHost.guest(Path.of("/run/qfence"), Path.of("/var/lib/qfence/images"), "10.9.9.", "test",
                ProbeHost.Probe.bridged(vm, 201000, 11));
    }

    @Test
    void aRecordHoldsTheGuestAsStartedItsPidAndStartTimeInAPrivateFile() throws Exception {
        GuestRegistry registry = new GuestRegistry(state);
        GuestRegistry.Entry entry = new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z"));

        registry.record(entry);

        assertThat(registry.find("web-01")).contains(entry);
        assertThat(registry.entries()).containsExactly(entry);
        Path file = state.resolve("guests/web-01.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(entry.guest().state()).isEqualTo(GuestState.RUNNING);
        registry.remove("web-01");
        assertThat(registry.find("web-01")).isEmpty();
        assertThat(registry.entries()).isEmpty();
    }

    @Test
    void anUnreadableRecordStopsObservationWithAMessageThatSaysWhatToDo() throws Exception {
        Files.createDirectories(state.resolve("guests"));
        Files.writeString(state.resolve("guests/web-01.json"), "{\"format\":1,\"guest\":");

        assertThatThrownBy(() -> new GuestRegistry(state).entries())
                .isInstanceOf(GuestFiles.GuestFileException.class)
                .hasMessageStartingWith("unreadable guest record " + state.resolve("guests/web-01.json"))
                .hasMessageEndingWith("check that no guest of it still runs, then remove the file");
    }

    @Test
    void aRecordUnderAnotherVmsNameIsRefused() throws Exception {
        GuestRegistry registry = new GuestRegistry(state);
        registry.record(new GuestRegistry.Entry(guest("web-01"), 4242, 1, Instant.EPOCH));
        Files.move(state.resolve("guests/web-01.json"), state.resolve("guests/web-02.json"));

        assertThatThrownBy(registry::entries).hasMessageContaining("holds guest web-01");
    }

    @Test
    void aRecordIsWrittenInTheRegistrysOwnFormatThree() throws Exception {
        GuestRegistry registry = new GuestRegistry(state);
        registry.record(new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z")));

        String written = Files.readString(state.resolve("guests/web-01.json"));

        assertThat(written).contains("\"format\" : 3").doesNotContain("format_version").doesNotContain("\"kind\"")
                .doesNotContain("runtime").contains("\"overlay\" : null", "\"seed\" : null", "\"base_identity\" : null");
    }

    /** DESIGN.md §17: a guest with an overlay and a cloud-init seed is recorded with both, and the base's identity. */
    @Test
    void aRecordKeepsTheOverlayTheSeedAndTheBaseIdentity() throws Exception {
        Guest plain = guest("web-01");
        io.qfence.model.host.GuestLaunch l = plain.launch();
        List<String> images = new java.util.ArrayList<>(l.images());
        images.add("/var/lib/qfence/images/bases/b.qcow2");
        images.add("/var/lib/qfence/images/overlays/web-01.qcow2");
        io.qfence.model.host.GuestLaunch launch = new io.qfence.model.host.GuestLaunch(l.runDir(), l.qmpSocket(), l.serialSocket(),
                l.serialLog(), l.pidFile(), images, l.cgroupPath(), l.tap(), l.stopTimeout(),
                java.util.Optional.of(new io.qfence.model.host.Overlay("/var/lib/qfence/images/overlays/web-01.qcow2",
                        "/var/lib/qfence/images/bases/b.qcow2", "qcow2")),
                java.util.Optional.of(new io.qfence.model.host.CloudInitSeed(l.runDir() + "/cidata.iso", "qf-0123456789abcdef",
                        "instance-id: qf-0123456789abcdef\n", "version: 2\n", "#cloud-config\n", new java.util.TreeMap<>(java.util.Map.of("sshKeys", "abc")))));
        Guest guest = new Guest(plain.address(), plain.vm(), plain.group(), plain.uid(), plain.gid(), plain.argv(), plain.configDigest(),
                plain.config(), plain.state(), launch, plain.runtime());
        GuestRegistry.Entry entry = new GuestRegistry.Entry(guest, 4242, 987654, Instant.parse("2026-03-01T10:00:00Z"),
                java.util.Optional.of("2049:77 4096 1700000000000000000"));
        GuestRegistry registry = new GuestRegistry(state);
        registry.record(entry);

        assertThat(registry.find("web-01")).contains(entry);
    }

    /** Records of the previous release (format 2, without overlay, seed and base identity) stay readable. */
    @Test
    void aFormatTwoRecordStaysReadableAfterAnUpgrade() throws Exception {
        GuestRegistry registry = new GuestRegistry(state);
        GuestRegistry.Entry entry = new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z"));
        registry.record(entry);
        Path file = state.resolve("guests/web-01.json");
        String formatTwo = Files.readString(file).replace("\"format\" : 3", "\"format\" : 2")
                .replaceAll(",\\s*\"overlay\" : null", "").replaceAll(",\\s*\"seed\" : null", "")
                .replaceAll(",\\s*\"base_identity\" : null", "");
        assertThat(formatTwo).doesNotContain("overlay").doesNotContain("seed").doesNotContain("base_identity");
        Files.writeString(file, formatTwo);

        assertThat(registry.find("web-01")).contains(entry);
    }

    /** The fixture is a record exactly as the previous release wrote it (format 1, the plan's object list inside). */
    @Test
    void aRecordWrittenByThePreviousReleaseStaysReadableAfterAnUpgrade() throws Exception {
        Files.createDirectories(state.resolve("guests"));
        Files.writeString(state.resolve("guests/web-01.json"), formatOneFixture());

        assertThat(new GuestRegistry(state).find("web-01"))
                .contains(new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z")));
    }

    @Test
    void aFormatOneRecordWrittenBeforeGuestsCarriedUnrecordedStaysReadable() throws Exception {
        // the record as qfence wrote it before runtime.unrecorded existed (up to 9904f36)
        String older = formatOneFixture().replaceAll(",\\s*\"unrecorded\"\\s*:\\s*false", "");
        assertThat(older).doesNotContain("unrecorded");
        Files.createDirectories(state.resolve("guests"));
        Files.writeString(state.resolve("guests/web-01.json"), older);

        assertThat(new GuestRegistry(state).find("web-01"))
                .contains(new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z")));
    }

    @Test
    void aRecordWithAFieldThisReleaseDoesNotKnowIsRefusedRatherThanMisread() throws Exception {
        GuestRegistry registry = new GuestRegistry(state);
        registry.record(new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z")));
        Path file = state.resolve("guests/web-01.json");
        Files.writeString(file, Files.readString(file).replace("\"cgroup_path\"", "\"cgroup_paths\""));

        assertThatThrownBy(() -> registry.find("web-01"))
                .hasMessageContaining("launch: missing cgroup_path unknown cgroup_paths");
    }

    @Test
    void aRecordOfAFormatFromALaterReleaseIsRefused() throws Exception {
        GuestRegistry registry = new GuestRegistry(state);
        registry.record(new GuestRegistry.Entry(guest("web-01"), 4242, 987654, Instant.parse("2026-03-01T10:00:00Z")));
        Path file = state.resolve("guests/web-01.json");
        Files.writeString(file, Files.readString(file).replace("\"format\" : 3", "\"format\" : 4"));

        assertThatThrownBy(() -> registry.find("web-01")).hasMessageContaining("unknown format 4");
    }

    private static String formatOneFixture() throws Exception {
        try (var in = GuestRegistryTest.class.getResourceAsStream("guest-record-format1.json")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
