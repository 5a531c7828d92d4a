package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.Capability;
import io.qfence.model.host.HostFacts;
import io.qfence.testing.BundledState;
import io.qfence.testing.Golden;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AppArmorProfilesTest {

    private static final Guest BRIDGED = ProbeHost.guest(Path.of("/run/qfence"), Path.of("/srv/qfence/images"), "10.0.0.", "qf",
            ProbeHost.Probe.bridged("web-01", 200123, 11));

    private static Guest userMode() {
        GuestLaunch l = BRIDGED.launch();
        GuestLaunch launch = new GuestLaunch(l.runDir(), l.qmpSocket(), l.serialSocket(), l.serialLog(), l.pidFile(),
                java.util.List.of("/srv/qfence/images/kernels/vmlinuz", "/srv/qfence/images/initrds/probe.img", "/srv/qfence/images/disks/web-01.qcow2"),
                "qf/web-01", Optional.empty(), Duration.ofSeconds(5));
        return new Guest(BRIDGED.address(), "web-01", "test", 200123, 200123, BRIDGED.argv(), BRIDGED.configDigest(), BRIDGED.config(),
                BRIDGED.state(), launch, BRIDGED.runtime());
    }

    @Test
    void theBridgedProfileMatchesItsGoldenFile() throws IOException {
        Golden.assertMatches("apparmor/bridged.profile", AppArmorProfiles.render(BRIDGED, false).text());
    }

    @Test
    void theUserModeProfileMatchesItsGoldenFile() throws IOException {
        Golden.assertMatches("apparmor/user-mode.profile", AppArmorProfiles.render(userMode(), false).text());
    }

    @Test
    @RequiresHost(tools = "apparmor_parser")
    void generatedProfilesCompile() {
        AppArmorProfiles.compileCheck(AppArmorProfiles.render(BRIDGED, false));
        AppArmorProfiles.compileCheck(AppArmorProfiles.render(userMode(), true));
    }

    @Test
    @RequiresHost(tools = "apparmor_parser")
    void theProfileOfEveryGuestOfTheBundledDesiredStateCompiles() {
        EnumSet<Capability> capabilities = EnumSet.copyOf(HostFacts.TYPICAL.capabilities());
        capabilities.add(Capability.APPARMOR);
        HostFacts withAppArmor = new HostFacts(HostFacts.TYPICAL.cgroupVersion(), capabilities);
        java.util.List<Guest> guests = BundledState.realize(withAppArmor, HostOverrides.NONE).objects(Guest.class);
        assertThat(guests).hasSizeGreaterThan(5).allMatch(g -> "enforce".equals(g.config().get("apparmor")));
        for (Guest g : guests) {
            AppArmorProfiles.compileCheck(AppArmorProfiles.render(g, false));
        }
    }

    @Test
    @RequiresHost(tools = "apparmor_parser")
    void aJailedGuestsProfileAlsoNamesTheDescriptorsItInheritsThroughTheHostsRootAndCompiles() {
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(BRIDGED.config());
        config.put(GuestJail.CONFIG_KEY, GuestJail.CONFIG_JAILED);
        Guest jailed = new Guest(BRIDGED.address(), BRIDGED.vm(), BRIDGED.group(), BRIDGED.uid(), BRIDGED.gid(), BRIDGED.argv(),
                BRIDGED.configDigest(), config, BRIDGED.state(), BRIDGED.launch(), BRIDGED.runtime());
        AppArmorProfiles.Profile profile = AppArmorProfiles.render(jailed, false);
        assertThat(profile.text()).contains("  /.qfence-host-root/run/qfence/web-01/qemu.log w,\n", "  /.qfence-host-root/dev/net/tun rw,\n");
        assertThat(AppArmorProfiles.render(BRIDGED, false).text()).doesNotContain("qfence-host-root");
        AppArmorProfiles.compileCheck(profile);
    }

    @Test
    @RequiresHost(tools = "apparmor_parser")
    void theCompileCheckCanFail() {
        AppArmorProfiles.Profile broken = new AppArmorProfiles.Profile("qfence.x.y", "profile qfence.x.y {\n  /etc/shadow rw\n}\n");
        assertThatThrownBy(() -> AppArmorProfiles.compileCheck(broken)).hasMessageContaining("apparmor_parser exited");
    }

    @Test
    void pathsThatAppArmorWouldReadAsGlobsAreRefused() {
        GuestLaunch l = BRIDGED.launch();
        GuestLaunch launch = new GuestLaunch(l.runDir(), l.qmpSocket(), l.serialSocket(), l.serialLog(), l.pidFile(),
                java.util.List.of("/srv/qfence/images/disks/*.qcow2"), "qf/web-01", l.tap(), Duration.ofSeconds(5));
        Guest globbing = new Guest(BRIDGED.address(), "web-01", "test", 200123, 200123, BRIDGED.argv(), BRIDGED.configDigest(),
                BRIDGED.config(), BRIDGED.state(), launch, BRIDGED.runtime());
        assertThatThrownBy(() -> AppArmorProfiles.render(globbing, false))
                .hasMessage("path /srv/qfence/images/disks/*.qcow2 cannot go into an AppArmor profile: use only [A-Za-z0-9._+/-]");
    }
}
