package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

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
