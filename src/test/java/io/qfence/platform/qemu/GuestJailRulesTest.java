package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Guest;
import io.qfence.platform.os.JailLayout;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jail's computed contents and its checks, as pure rules (the real jail is in {@link GuestJailTest}). */
class GuestJailRulesTest {

    @Test
    void aQ35GuestBootingAKernelWithAVirtioNicGetsTheFirmwareStraceShowedAndTheMultibootLoader() {
        List<String> argv = List.of("/usr/bin/qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,tb-size=16",
                "-device", "virtio-net-pci,netdev=net0,mac=0e:00:00:00:00:01", "-kernel", "/images/k", "-initrd", "/images/i");
        assertThat(GuestJail.firmwareNames(argv)).containsExactly("bios-256k.bin", "kvmvapic.bin", "linuxboot_dma.bin", "multiboot_dma.bin", "efi-virtio.rom");
    }

    @Test
    void aDiskBootedGuestNeedsNoLinuxbootAndAnExplicitRomfileWins() {
        List<String> argv = List.of("/usr/bin/qemu-system-x86_64", "-machine", "pc", "-device", "e1000,romfile=", "-device", "virtio-blk-pci");
        assertThat(GuestJail.firmwareNames(argv)).containsExactly("bios-256k.bin", "kvmvapic.bin");
    }

    @Test
    void kvmIsInTheJailOnlyForAKvmGuestAndNeverAsABindOfTheHostsNode() {
        assertThat(GuestJail.DEVICES).as("the host's nodes bound into every jail").extracting(Path::toString)
                .containsExactly("/dev/null", "/dev/zero", "/dev/urandom");
        assertThat(GuestJail.kvm(List.of("/q", "-accel", "kvm"))).isTrue();
        assertThat(GuestJail.kvm(List.of("/q", "-accel", "tcg,tb-size=16"))).isFalse();
        assertThat(GuestJail.kvm(List.of("/q"))).isFalse();
    }

    @Test
    @RequiresHost(tools = "qemu-system-x86_64")
    void aKvmGuestsJailMakesItsOwnKvmNodeForTheVmUidOnADeviceDirectoryOfItsOwn(@TempDir Path tmp) throws IOException {
        Guest tcg = probeGuest(tmp);
        List<String> argv = new java.util.ArrayList<>(tcg.argv());
        argv.set(argv.indexOf("-accel") + 1, "kvm");
        Guest kvm = new Guest(tcg.address(), tcg.vm(), tcg.group(), tcg.uid(), tcg.gid(), argv, tcg.configDigest(), tcg.config(),
                tcg.state(), tcg.launch(), tcg.runtime());

        JailLayout layout = GuestJail.layout(kvm);
        assertThat(layout.entries()).filteredOn(e -> e.path().equals(Path.of("/dev/kvm")))
                .containsExactly(new JailLayout.DeviceNode(Path.of("/dev/kvm"), 200001, 200001, 0600));
        assertThat(layout.deviceDirectories()).containsExactly(Path.of("/dev"));
        assertThat(GuestJail.expectedMountPoints(layout)).contains("/dev").doesNotContain("/dev/kvm");
        JailLayout plain = GuestJail.layout(tcg);
        assertThat(plain.paths()).as("tcg: no /dev/kvm at all").doesNotContain(Path.of("/dev/kvm"));
        assertThat(plain.deviceDirectories()).isEmpty();
        assertThat(GuestJail.expectedMountPoints(plain)).doesNotContain("/dev");
    }

    private static Guest probeGuest(Path tmp) throws IOException {
        for (String file : List.of("images/kernels/vmlinuz", "images/initrds/probe.img")) {
            Files.createDirectories(tmp.resolve(file).getParent());
            Files.writeString(tmp.resolve(file), "boot file");
        }
        Files.createDirectories(tmp.resolve("run/web"));
        return ProbeHost.guest(tmp.resolve("run"), tmp.resolve("images"), "10.0.0.", "t", ProbeHost.Probe.bridged("web", 200001, 5));
    }

    private static final JailLayout LAYOUT = new JailLayout(List.of(
            new JailLayout.Directory(Path.of("/usr")),
            new JailLayout.BindMount(Path.of("/usr/bin/qemu"), JailLayout.Access.EXECUTE, false),
            new JailLayout.BindMount(Path.of("/run/qfence/web"), JailLayout.Access.READ_WRITE, true)));
    private static final Map<String, String> HOST = Map.of("mnt", "mnt:[1]", "pid", "pid:[2]", "ipc", "ipc:[3]", "uts", "uts:[4]");
    private static final Map<String, String> OWN = Map.of("mnt", "mnt:[11]", "pid", "pid:[12]", "ipc", "ipc:[13]", "uts", "uts:[14]");

    @Test
    void aJailedQemuPassesWhenItsNamespacesAreItsOwnItIsPidOneAndItsMountsAreExactlyTheLayouts() {
        GuestJail.Observed ok = new GuestJail.Observed(OWN, 1, List.of("/", "/usr/bin/qemu", "/run/qfence/web", "/proc"));
        assertThat(GuestJail.violations(ok, HOST, LAYOUT)).isEmpty();
    }

    @Test
    void aGuestRealizedJailedButFoundInTheHostsNamespacesObservesAsNamespacesOffWhichIsDrift() {
        Guest base = ProbeHost.guest(Path.of("/run/qfence"), Path.of("/images"), "10.0.0.", "t", ProbeHost.Probe.bridged("web", 200001, 5));
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(base.config());
        config.put(GuestJail.CONFIG_KEY, GuestJail.CONFIG_JAILED);
        Guest jailed = new Guest(base.address(), base.vm(), base.group(), base.uid(), base.gid(), base.argv(), base.configDigest(), config,
                base.state(), base.launch(), base.runtime());
        // this JVM stands in for a QEMU started without its jail: it shares every namespace with qfence
        Guest seen = QemuGuests.withObservedJail(jailed, ProcessHandle.current().pid());
        assertThat(seen.config()).containsEntry("namespaces", "off (shares the host's mnt namespace)");
        assertThat(seen.attributes()).isNotEqualTo(jailed.attributes());
        assertThat(QemuGuests.withObservedJail(base, ProcessHandle.current().pid())).as("not realized jailed: nothing to check").isSameAs(base);
    }

    @Test
    void aQemuWhoseNamespaceAnotherGuestHasFailsNamingThatGuestAndItsPid() {
        GuestJail.Observed ok = new GuestJail.Observed(OWN, 1, List.of("/", "/usr/bin/qemu", "/run/qfence/web", "/proc"));
        Map<String, Map<String, String>> others = Map.of("guest db (pid 4242)", Map.of("mnt", "mnt:[21]", "pid", "pid:[22]", "ipc", "ipc:[13]", "uts", "uts:[24]"),
                "guest app (pid 4343)", Map.of("mnt", "mnt:[31]", "pid", "pid:[32]", "ipc", "ipc:[33]", "uts", "uts:[34]"));
        assertThat(GuestJail.violations(ok, HOST, others, LAYOUT)).containsExactly("shares its ipc namespace (ipc:[13]) with guest db (pid 4242)");
        assertThat(GuestJail.violations(ok, HOST, Map.of("guest app (pid 4343)", others.get("guest app (pid 4343)")), LAYOUT)).isEmpty();
    }

    /** Where the kernel has cgroup namespaces the jail has one of its own: the host's, or another guest's, fails. */
    @Test
    void aQemuWithACgroupNamespaceReadMustHaveItsOwnNeitherTheHostsNorAnotherGuests() {
        Map<String, String> host = new java.util.TreeMap<>(HOST);
        host.put("cgroup", "cgroup:[5]");
        Map<String, String> own = new java.util.TreeMap<>(OWN);
        own.put("cgroup", "cgroup:[15]");
        List<String> mounts = List.of("/", "/usr/bin/qemu", "/run/qfence/web", "/proc");
        assertThat(GuestJail.violations(new GuestJail.Observed(own, 1, mounts), host, LAYOUT)).isEmpty();
        own.put("cgroup", "cgroup:[5]");
        assertThat(GuestJail.violations(new GuestJail.Observed(own, 1, mounts), host, LAYOUT))
                .containsExactly("shares the host's cgroup namespace (cgroup:[5])");
        own.put("cgroup", "cgroup:[25]");
        assertThat(GuestJail.violations(new GuestJail.Observed(own, 1, mounts), host, Map.of("guest db (pid 4242)", Map.of("cgroup", "cgroup:[25]")), LAYOUT))
                .containsExactly("shares its cgroup namespace (cgroup:[25]) with guest db (pid 4242)");
    }

    /** Observation judges sharing across every running jailed guest: each of the two is named with the other. */
    @Test
    void observationNamesEveryJailedGuestThatSharesANamespaceWithAnotherAndIgnoresTheNetworkNamespace() {
        Map<String, Map<String, String>> read = new java.util.TreeMap<>();
        read.put("a", Map.of("mnt", "mnt:[1]", "pid", "pid:[2]", "ipc", "ipc:[3]", "uts", "uts:[4]", "cgroup", "cgroup:[5]", "net", "net:[9]"));
        read.put("b", Map.of("mnt", "mnt:[11]", "pid", "pid:[12]", "ipc", "ipc:[3]", "uts", "uts:[14]", "cgroup", "cgroup:[5]", "net", "net:[9]"));
        read.put("c", Map.of("mnt", "mnt:[21]", "pid", "pid:[22]", "ipc", "ipc:[23]", "uts", "uts:[24]", "cgroup", "cgroup:[25]", "net", "net:[9]"));
        assertThat(GuestJail.sharedWithOtherGuests(read)).containsExactly(
                Map.entry("a", "shares its ipc namespace with guest b; shares its cgroup namespace with guest b"),
                Map.entry("b", "shares its ipc namespace with guest a; shares its cgroup namespace with guest a"));
        read.remove("b");
        assertThat(GuestJail.sharedWithOtherGuests(read)).as("the managed network namespace is everyone's").isEmpty();
    }

    /**
     * Observation: two guests realized jailed whose reports show one namespace in common both observe as
     * {@code namespaces: off (...)}, naming the other (drift, so both restart into jails of their own); a third, and
     * a guest not realized jailed, are left as they are.
     */
    @Test
    void twoJailedGuestsFoundSharingANamespaceAreBothDriftNamingEachOther() {
        io.qfence.model.host.GuestConfinement a = io.qfence.model.host.ConfinementLayersFixture.confined();
        java.util.TreeMap<String, io.qfence.model.host.GuestConfinement.Namespace> other = new java.util.TreeMap<>();
        a.namespaces().forEach((kind, ns) -> other.put(kind, kind.equals("net") || kind.equals("ipc") ? ns
                : new io.qfence.model.host.GuestConfinement.Namespace(ns.inode() + 1000, false, List.of())));
        io.qfence.model.host.GuestConfinement b = a.withNamespaces(other);
        java.util.TreeMap<String, io.qfence.model.host.GuestConfinement.Namespace> third = new java.util.TreeMap<>();
        a.namespaces().forEach((kind, ns) -> third.put(kind, kind.equals("net") ? ns
                : new io.qfence.model.host.GuestConfinement.Namespace(ns.inode() + 2000, false, List.of())));
        List<Guest> found = QemuGuests.withSharedJails(List.of(jailedWith("a", a), jailedWith("b", b), jailedWith("c", a.withNamespaces(third))));
        assertThat(found).extracting(g -> g.config().get(GuestJail.CONFIG_KEY)).containsExactly(
                "off (shares its ipc namespace with guest b)", "off (shares its ipc namespace with guest a)", "jail");
        Guest plain = ProbeHost.guest(Path.of("/run/qfence"), Path.of("/images"), "10.0.0.", "t", ProbeHost.Probe.bridged("d", 200004, 8));
        plain = plain.withRuntime(plain.runtime().withConfinement(java.util.Optional.of(a)));
        List<Guest> unjailed = List.of(plain, jailedWith("e", a));
        assertThat(QemuGuests.withSharedJails(unjailed)).as("only jailed guests are judged").isEqualTo(unjailed);
    }

    private static Guest jailedWith(String vm, io.qfence.model.host.GuestConfinement c) {
        Guest base = ProbeHost.guest(Path.of("/run/qfence"), Path.of("/images"), "10.0.0.", "t", ProbeHost.Probe.bridged(vm, 200001, 5));
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(base.config());
        config.put(GuestJail.CONFIG_KEY, GuestJail.CONFIG_JAILED);
        return new Guest(base.address(), base.vm(), base.group(), base.uid(), base.gid(), base.argv(), base.configDigest(), config,
                base.state(), base.launch(), base.runtime().withConfinement(java.util.Optional.of(c)));
    }

    @Test
    void aQemuInTheHostsNamespacesOrWithAnExtraMountFailsNamingWhat() {
        GuestJail.Observed shared = new GuestJail.Observed(HOST, 4711, List.of("/", "/usr/bin/qemu", "/run/qfence/web", "/proc", "/etc"));
        assertThat(GuestJail.violations(shared, HOST, LAYOUT)).containsExactly(
                "shares the host's mnt namespace (mnt:[1])", "shares the host's pid namespace (pid:[2])",
                "shares the host's ipc namespace (ipc:[3])", "shares the host's uts namespace (uts:[4])",
                "is pid 4711 in its PID namespace, expected 1 (alone in it)",
                "its root is not its jail: mounts not in the jail [/etc]");
    }

    @Test
    @RequiresHost(tools = "qemu-system-x86_64")
    void aGuestUnderAppArmorFindsTheEmptyDirectorySetprivChecksAndNoOtherPartOfSys(@TempDir Path tmp)
            throws IOException {
        for (String file : List.of("images/kernels/vmlinuz", "images/initrds/probe.img")) {
            Files.createDirectories(tmp.resolve(file).getParent());
            Files.writeString(tmp.resolve(file), "boot file");
        }
        Files.createDirectories(tmp.resolve("run/web"));
        Guest base = ProbeHost.guest(tmp.resolve("run"), tmp.resolve("images"), "10.0.0.", "t", ProbeHost.Probe.bridged("web", 200001, 5));
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(base.config());
        config.put("apparmor", "enforce");
        Guest confined = new Guest(base.address(), base.vm(), base.group(), base.uid(), base.gid(), base.argv(), base.configDigest(), config,
                base.state(), base.launch(), base.runtime());

        // setpriv --apparmor-profile exits 127 ("AppArmor is not running") unless this path exists (lab, Debian 12)
        assertThat(GuestJail.layout(confined).entries()).filteredOn(e -> e.path().startsWith("/sys"))
                .containsExactly(new JailLayout.Directory(Path.of("/sys")), new JailLayout.Directory(Path.of("/sys/kernel")),
                        new JailLayout.Directory(Path.of("/sys/kernel/security")), new JailLayout.Directory(GuestJail.APPARMOR_MARKER));
        assertThat(GuestJail.layout(base).paths()).as("no AppArmor: no /sys at all").noneMatch(p -> p.startsWith("/sys"));
    }

    @Test
    void aGuestWhoseProcFilesCannotBeReadIsReportedWithTheErrnoTheFileAndTheCapabilityItTakes() {
        assertThat(GuestJail.unreadable(new java.nio.file.AccessDeniedException("/proc/4711/ns/mnt")))
                .isEqualTo("EACCES (permission denied) on /proc/4711/ns/mnt: reading the namespaces of a process of another uid"
                        + " needs CAP_SYS_PTRACE (ptrace read access)");
        assertThat(GuestJail.unreadable(new java.nio.file.NoSuchFileException("/proc/4711/status")))
                .isEqualTo("ENOENT on /proc/4711/status: the process is gone");
    }
}
