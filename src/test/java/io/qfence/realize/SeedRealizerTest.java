package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.GroupAccess;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.SshPublicKey;
import io.qfence.model.host.CloudInitSeed;
import io.qfence.model.host.Guest;
import io.qfence.platform.qemu.QemuArgvPolicy;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import io.qfence.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disks from base images and the cloud-init seed (DESIGN.md §17), realized from {@code src/test/resources/guests-seed}
 * through the real loader: the -blockdev graph and the three seed texts are golden files.
 */
class SeedRealizerTest {

    static final Path DIR = Path.of("src/test/resources/guests-seed");

    static DesiredState state() {
        LoadResult result = DesiredStateLoader.loadDirectory(DIR, BundledDesiredStateTest.CLOCK);
        assertThat(result.errors()).as("the fixture loads").isEmpty();
        return result.state().orElseThrow();
    }

    static Guest guest(DesiredState state, String vm) {
        return Realizer.realize(state, "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY).objects(Guest.class).stream()
                .filter(g -> g.vm().equals(vm)).findFirst().orElseThrow();
    }

    static String seedText(CloudInitSeed seed) {
        return "# meta-data\n" + seed.metaData() + "# network-config\n" + seed.networkConfig() + "# user-data\n" + seed.userData();
    }

    static String blockdevs(Guest g) {
        StringBuilder b = new StringBuilder();
        List<String> argv = g.argv();
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals("-blockdev") || (argv.get(i).equals("-device") && argv.get(i + 1).startsWith("virtio-blk"))) {
                b.append(argv.get(i)).append(' ').append(argv.get(i + 1)).append('\n');
            }
        }
        return b.toString();
    }

    @Test
    void theSeedsOfTheBastionAndTheAppServerAreAsTheGoldenFilesSay() {
        DesiredState state = state();
        for (String vm : List.of("shop-bastion", "shop-app")) {
            Golden.assertMatches("seed/" + vm + ".txt", seedText(guest(state, vm).launch().seed().orElseThrow()));
        }
    }

    @Test
    void anOverlayIsBackedByAnExplicitReadOnlyBaseNodeAndTheSeedIsAReadOnlyRawDrive() {
        DesiredState state = state();
        Golden.assertMatches("seed/blockdev-shop-app.txt", blockdevs(guest(state, "shop-app")));
        Golden.assertMatches("seed/blockdev-shop-raw.txt", blockdevs(guest(state, "shop-raw")));
        Guest app = guest(state, "shop-app");
        assertThat(app.launch().overlay()).hasValueSatisfying(o -> {
            assertThat(o.path()).isEqualTo("/var/lib/qfence/images/overlays/shop-app.qcow2");
            assertThat(o.base()).isEqualTo("/var/lib/qfence/images/bases/debian-12.qcow2");
        });
        assertThat(app.launch().sharedImages()).containsExactly("/var/lib/qfence/images/bases/debian-12.qcow2");
        assertThat(QemuArgvPolicy.violations(app.argv(), app.launch())).isEmpty();
    }

    @Test
    void theBastionGetsEveryUserAndAVmOnlyThoseWhoMayReachIt() {
        DesiredState state = state();
        assertThat(guest(state, "shop-bastion").launch().seed().orElseThrow().userData()).contains("- name: alice", "- name: bob");
        assertThat(guest(state, "shop-app").launch().seed().orElseThrow().userData()).contains("- name: alice")
                .doesNotContain("bob");
        assertThat(guest(state, "shop-raw").launch().seed()).as("no cloudInit, no seed").isEmpty();
    }

    @Test
    void dnsIsConfiguredOnlyWhereAnExceptionAllowsItAndTheGatewayOnlyOnARoutedBridge() {
        DesiredState state = state();
        assertThat(guest(state, "shop-app").launch().seed().orElseThrow().networkConfig())
                .contains("nameservers:\n      addresses: [10.30.0.1]", "via: 10.30.0.1");
        assertThat(guest(state, "shop-bastion").launch().seed().orElseThrow().networkConfig())
                .doesNotContain("nameservers").contains("via: 10.30.0.1");
    }

    @Test
    void theInstanceIdIsStableAndChangesWithTheKeysAndThePlanNamesWhatChanged() {
        DesiredState state = state();
        Guest before = guest(state, "shop-app");
        assertThat(guest(state(), "shop-app").launch().seed().orElseThrow().instanceId())
                .isEqualTo(before.launch().seed().orElseThrow().instanceId());
        Guest after = guest(withAliceKey(state, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@new"),
                "shop-app");
        CloudInitSeed b = before.launch().seed().orElseThrow();
        CloudInitSeed a = after.launch().seed().orElseThrow();
        assertThat(a.instanceId()).isNotEqualTo(b.instanceId());
        assertThat(after.configDigest()).as("the instance-id is the seed drive's serial: a restart").isNotEqualTo(before.configDigest());
        assertThat(a.parts().get("sshKeys")).isNotEqualTo(b.parts().get("sshKeys"));
        assertThat(a.parts().get("users")).isEqualTo(b.parts().get("users"));
        assertThat(a.parts().get("network")).isEqualTo(b.parts().get("network"));
        assertThat(a.metaData()).isEqualTo("instance-id: " + a.instanceId() + "\nlocal-hostname: shop-app\n");
    }

    @Test
    void aBaseImageWithBootLoadsThatKernelWithTheOverlayAsItsRoot(@TempDir Path dir) throws Exception {
        for (String f : List.of("hosts/hv1.yaml", "groups/shop.yaml")) {
            Files.createDirectories(dir.resolve(f).getParent());
            Files.copy(DIR.resolve(f), dir.resolve(f));
        }
        Path group = dir.resolve("groups/shop.yaml");
        // the real guest image of bin/build-guest-image: a partitionless root, no boot loader, the host's kernel
        Files.writeString(group, Files.readString(group).replace("""
                      disk: {base: bases/debian-12.qcow2, format: qcow2}
                      cloudInit: {}
                """, """
                      disk: {base: bases/debian-12.qcow2, format: qcow2}
                      boot: {kernel: kernels/guest.vmlinuz, initrd: initrds/guest.img, cmdline: "root=LABEL=qfguest-root rw console=ttyS0"}
                      cloudInit: {}
                """));
        LoadResult loaded = DesiredStateLoader.loadDirectory(dir, BundledDesiredStateTest.CLOCK);
        assertThat(loaded.errors()).as("disk and boot together are one boot source").isEmpty();
        DesiredState state = loaded.state().orElseThrow();
        assertThat(state.groups().get(0).vms().get(0).boot()).isEqualTo(new BootSource.BaseImage("bases/debian-12.qcow2",
                BootSource.DiskFormat.QCOW2, Optional.of(new BootSource.Kernel("kernels/guest.vmlinuz", Optional.of("initrds/guest.img"),
                        "root=LABEL=qfguest-root rw console=ttyS0"))));

        Guest bastion = guest(state, "shop-bastion");
        String images = "/var/lib/qfence/images/";
        assertThat(String.join(" ", bastion.argv())).contains(" -kernel " + images + "kernels/guest.vmlinuz -initrd "
                + images + "initrds/guest.img -append root=LABEL=qfguest-root rw console=ttyS0 ");
        assertThat(bastion.argv()).as("the firmware boots the kernel, not the disk").contains("virtio-blk-pci,drive=disk0")
                .doesNotContain("virtio-blk-pci,drive=disk0,bootindex=1");
        assertThat(bastion.launch().overlay()).isPresent();
        assertThat(bastion.launch().images()).containsExactly(images + "bases/debian-12.qcow2", images + "overlays/shop-bastion.qcow2",
                images + "kernels/guest.vmlinuz", images + "initrds/guest.img");
        assertThat(bastion.config()).containsEntry("kernel", images + "kernels/guest.vmlinuz").containsKey("disk").containsKey("seed");
        assertThat(QemuArgvPolicy.violations(bastion.argv(), bastion.launch())).isEmpty();
        assertThat(guest(state, "shop-app").argv()).as("a base without boot: the firmware boots the disk")
                .contains("virtio-blk-pci,drive=disk0,bootindex=1").doesNotContain("-kernel");
    }

    @Test
    void aValueFromGitCannotStartANewYamlKey() {
        assertThat(SeedRealizer.quote("x\nusers: []")).isEqualTo("\"x\\nusers: []\"");
    }

    static DesiredState withAliceKey(DesiredState state, String key) {
        List<Group> groups = state.groups().stream().map(g -> {
            List<GroupAccess.User> users = g.access().users().stream()
                    .map(u -> u.name().equals("alice") ? new GroupAccess.User(u.name(), List.of(SshPublicKey.parse(key)), u.vms()) : u).toList();
            return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), g.limits(), g.bastion(),
                    g.allow(), g.vms(), new GroupAccess(users), g.origin());
        }).toList();
        return new DesiredState(state.revision(), state.hosts(), groups);
    }
}
