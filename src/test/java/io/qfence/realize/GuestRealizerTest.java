package io.qfence.realize;

import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static io.qfence.realize.Fixtures.userMode;
import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.ConfigDigest;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The QEMU command line and launch facts of each guest (issue 5's requirements on the command line). */
class GuestRealizerTest {

    static final List<Guest> GUESTS = Scenarios.all().stream().flatMap(r -> r.objects(Guest.class).stream()).toList();

    static Guest guest(String vm) {
        return Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY).objects(Guest.class).stream()
                .filter(g -> g.vm().equals(vm)).findFirst().orElseThrow();
    }

    static String after(List<String> argv, String option) {
        int i = argv.indexOf(option);
        assertThat(i).as("argv has %s", option).isNotNegative();
        return argv.get(i + 1);
    }

    @Test
    void everyGuestStartsPausedWithNoDefaultsAndTheFullSandbox() {
        assertThat(GUESTS).isNotEmpty().allSatisfy(g -> {
            assertThat(g.argv()).contains("-S", "-nodefaults", "-no-user-config");
            assertThat(after(g.argv(), "-display")).isEqualTo("none");
            assertThat(after(g.argv(), "-sandbox")).isEqualTo("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
            assertThat(g.argv()).doesNotContain("-daemonize", "-runas");
        });
    }

    @Test
    void everyGuestHasQmpOnlyOnAUnixSocketInItsRunDirectoryAndNeverTcp() {
        assertThat(GUESTS).allSatisfy(g -> {
            assertThat(g.argv().stream().filter(a -> a.equals("-qmp") || a.equals("-monitor") || a.equals("-mon"))).containsExactly("-qmp");
            assertThat(after(g.argv(), "-qmp")).isEqualTo("unix:" + g.launch().qmpSocket() + ",server=on,wait=off");
            assertThat(g.launch().qmpSocket()).isEqualTo(g.launch().runDir() + "/qmp.sock");
            assertThat(g.argv()).noneMatch(a -> a.contains("tcp:") || a.contains("telnet") || a.matches("(.*,)?host=.*") || a.contains("hostfwd"));
        });
    }

    @Test
    void theSerialConsoleIsOnASocketWithALogFile() {
        Guest g = guest("web-01");
        assertThat(after(g.argv(), "-chardev"))
                .isEqualTo("socket,id=serial0,path=/run/qfence/web-01/serial.sock,server=on,wait=off,logfile=/run/qfence/web-01/serial.log");
        assertThat(after(g.argv(), "-serial")).isEqualTo("chardev:serial0");
        assertThat(after(g.argv(), "-pidfile")).isEqualTo("/run/qfence/web-01/qemu.pid").isEqualTo(g.launch().pidFile());
        assertThat(g.launch().runDir()).isEqualTo("/run/qfence/web-01");
    }

    @Test
    void aBridgedGuestGetsItsTapAsDescriptorThreeAndNeverOpensTunItself() {
        Guest g = guest("web-01");
        assertThat(after(g.argv(), "-netdev")).isEqualTo("tap,id=net0,fd=3,vhost=off");
        assertThat(g.launch().tap()).hasValue("qft-web-01");
        assertThat(String.join(" ", g.argv())).doesNotContain("/dev/net/tun").doesNotContain("ifname=");
        assertThat(after(g.argv(), "-device")).startsWith("virtio-net-pci,netdev=net0,mac=0e:");
    }

    @Test
    void aUserModeGuestHasNoPortForwardsAndIsRestrictedWhenItMayReachNothing() {
        assertThat(after(guest("tools-01").argv(), "-netdev")).isEqualTo("user,id=net0");
        Group g = group("iso", 80, "10.80.0.0/24", Egress.NONE, IntraGroup.DENY, List.of(userMode("iso-u")));
        Guest iso = Realizer.realize(Fixtures.state(host("hv1", List.of("iso")), g), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY)
                .objects(Guest.class).get(0);
        assertThat(after(iso.argv(), "-netdev")).isEqualTo("user,id=net0,restrict=on");
        assertThat(iso.launch().tap()).isEmpty();
        assertThat(iso.state()).isEqualTo(GuestState.STOPPED);
    }

    @Test
    void diskImagesAreResolvedUnderImagesRootWithAnExplicitFormatAndNoBackingFile() {
        Guest g = guest("db-01");
        List<String> blockdevs = g.argv().stream().filter(a -> a.startsWith("{\"driver\"")).toList();
        assertThat(blockdevs).containsExactly(
                "{\"driver\":\"file\",\"node-name\":\"disk0-file\",\"filename\":\"/var/lib/qfence/images/disks/db-01.qcow2\"}",
                "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\",\"backing\":null}");
        assertThat(g.launch().images()).containsExactly("/var/lib/qfence/images/disks/db-01.qcow2");
        assertThat(g.argv()).noneMatch(a -> a.startsWith("-drive") || a.startsWith("-hda"));
        assertThat(guest("tools-01").argv()).contains("{\"driver\":\"raw\",\"node-name\":\"disk0\",\"file\":\"disk0-file\"}");
    }

    @Test
    void aKernelBootPassesKernelInitrdAndCommandLine() {
        Guest g = guest("web-01");
        assertThat(after(g.argv(), "-kernel")).isEqualTo("/var/lib/qfence/images/kernels/vmlinuz");
        assertThat(after(g.argv(), "-initrd")).isEqualTo("/var/lib/qfence/images/kernels/initrd.img");
        assertThat(after(g.argv(), "-append")).isEqualTo("console=ttyS0 quiet");
        assertThat(g.launch().images()).containsExactly("/var/lib/qfence/images/kernels/vmlinuz", "/var/lib/qfence/images/kernels/initrd.img");
    }

    @Test
    void machineAccelerationMemoryAndCpusComeFromTheHostAndTheVm() {
        Guest g = guest("db-01");
        assertThat(g.argv().get(0)).isEqualTo("/usr/bin/qemu-system-x86_64");
        assertThat(after(g.argv(), "-machine")).isEqualTo("pc");
        assertThat(after(g.argv(), "-accel")).isEqualTo("tcg,tb-size=16");
        assertThat(after(g.argv(), "-m")).isEqualTo("512M");
        assertThat(after(g.argv(), "-smp")).isEqualTo("2");
        assertThat(after(g.argv(), "-name")).isEqualTo("guest=db-01,process=qf-db-01,debug-threads=on");
    }

    @Test
    void eachGuestRunsAsItsOwnUnprivilegedUidAndGid() {
        List<Guest> guests = Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY).objects(Guest.class);
        assertThat(guests).extracting(Guest::uid).doesNotHaveDuplicates().allMatch(u -> u >= 200_000 && u <= 299_999);
        assertThat(guests).allSatisfy(g -> assertThat(g.gid()).isEqualTo(g.uid()));
    }

    @Test
    void theConfigDigestIsSha256OfTheNulJoinedArgvAndChangesWithTheConfiguration() throws Exception {
        Guest g = guest("web-01");
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(String.join("\0", g.argv()).getBytes(StandardCharsets.UTF_8));
        assertThat(g.configDigest()).isEqualTo(HexFormat.of().formatHex(expected)).isEqualTo(ConfigDigest.of(g.argv()));
        Group web = Fixtures.small().group("web").orElseThrow();
        io.qfence.model.desired.Vm bigger = web.vms().get(0);
        bigger = new io.qfence.model.desired.Vm(bigger.name(), bigger.cpus(), io.qfence.model.ByteSize.ofMebibytes(128), bigger.boot(),
                bigger.mac(), bigger.ip(), bigger.network(), bigger.state(), bigger.limits(), bigger.stopTimeout(), bigger.origin());
        Group changed = Fixtures.withVms(web, List.of(bigger, web.vms().get(1), web.vms().get(2)));
        DesiredState s = Fixtures.state(host("hv1", List.of("web", "db", "tools")), changed,
                Fixtures.small().group("db").orElseThrow(), Fixtures.small().group("tools").orElseThrow());
        Guest after = Realizer.realize(s, "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY).objects(Guest.class).stream()
                .filter(x -> x.vm().equals("web-01")).findFirst().orElseThrow();
        assertThat(after.configDigest()).isNotEqualTo(g.configDigest());
        assertThat(after.config()).containsEntry("memory", "128Mi");
        assertThat(g.config()).containsEntry("memory", "96Mi");
    }

    @Test
    void commasInPathsAreEscapedInsideQemuOptionsOnly() {
        Host h = Fixtures.host("hv1", List.of("lan"));
        h = new Host(h.name(), h.groups(), h.uplink(), "/srv/img,1/", "/run/q,f/", h.stateDir(), h.cgroupParent(), h.vmUidRange(), h.qemu(),
                h.confinement(), h.origin());
        Group g = group("lan", 60, "10.60.0.0/24", Egress.NONE, IntraGroup.ALLOW, List.of(bridged("lan-1", "10.60.0.11")));
        Guest guest = Realizer.realize(Fixtures.state(h, g), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY).objects(Guest.class).get(0);
        assertThat(after(guest.argv(), "-qmp")).isEqualTo("unix:/run/q,,f/lan-1/qmp.sock,server=on,wait=off");
        assertThat(after(guest.argv(), "-pidfile")).isEqualTo("/run/q,f/lan-1/qemu.pid");
        assertThat(after(guest.argv(), "-kernel")).isEqualTo("/srv/img,1/kernels/vmlinuz");
        assertThat(guest.launch().qmpSocket()).isEqualTo("/run/q,f/lan-1/qmp.sock");
    }
}
