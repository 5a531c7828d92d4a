package io.qfence.model.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.ConfinementLayers.Layer;
import io.qfence.model.host.ConfinementLayers.MissingLayer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which layers a guest's host settings require, and how each one missing is named (verify fails on any). */
class ConfinementLayersTest {

    static final String NONE = "0000000000000000";

    static Guest guest(String apparmor, String namespaces) {
        TreeMap<String, String> config = new TreeMap<>(Map.of("apparmor", apparmor, "namespaces", namespaces));
        return new Guest("guest/web-01", "web-01", "web", 20001, 20001, List.of("/usr/bin/qemu-system-x86_64"), "d", config, GuestState.RUNNING,
                new GuestLaunch("/run/qfence/web-01", "/run/qfence/web-01/qmp.sock", "/run/qfence/web-01/serial.sock", "/run/qfence/web-01/serial.log",
                        "/run/qfence/web-01/qemu.pid", List.of(), "qfence/web/web-01", Optional.empty(), Duration.ofSeconds(30)),
                GuestRuntime.NONE);
    }

    /** A jailed guest with every layer. */
    static GuestConfinement confined() {
        TreeMap<String, GuestConfinement.Namespace> ns = new TreeMap<>();
        ns.put("mnt", new GuestConfinement.Namespace(4026532801L, false, List.of()));
        ns.put("pid", new GuestConfinement.Namespace(4026532803L, false, List.of()));
        ns.put("ipc", new GuestConfinement.Namespace(4026532802L, false, List.of()));
        ns.put("uts", new GuestConfinement.Namespace(4026532800L, false, List.of()));
        ns.put("net", new GuestConfinement.Namespace(4026532001L, true, List.of()));
        return new GuestConfinement(List.of(20001L, 20001L, 20001L, 20001L), List.of(20001L, 20001L, 20001L, 20001L), List.of(),
                new GuestConfinement.Capabilities(NONE, NONE, NONE), true, 2, OptionalInt.of(1), "unconfined", ns,
                new GuestConfinement.Root(true, "tmpfs", 20, false), List.of("4:memory:/qfence/web/web-01", "1:name=systemd:/"),
                new GuestConfinement.Descriptors(3, new TreeMap<>(Map.of("device", 1, "tap", 1, "file", 1)), List.of()));
    }

    static GuestConfinement with(GuestConfinement c, java.util.function.UnaryOperator<Object[]> change) {
        Object[] f = {c.uids(), c.gids(), c.groups(), c.capabilities(), c.noNewPrivs(), c.seccompMode(), c.seccompFilters(), c.apparmor(),
                c.namespaces(), c.root(), c.cgroups(), c.descriptors()};
        f = change.apply(f);
        @SuppressWarnings("unchecked")
        GuestConfinement changed = new GuestConfinement((List<Long>) f[0], (List<Long>) f[1], (List<Long>) f[2], (GuestConfinement.Capabilities) f[3],
                (boolean) f[4], (int) f[5], (OptionalInt) f[6], (String) f[7], (java.util.SortedMap<String, GuestConfinement.Namespace>) f[8],
                (GuestConfinement.Root) f[9], (List<String>) f[10], (GuestConfinement.Descriptors) f[11]);
        return changed;
    }

    private static List<MissingLayer> missing(Guest g, GuestConfinement c) {
        return ConfinementLayers.missing(g, Optional.of(c));
    }

    @Test
    void aJailedGuestWithEveryLayerLacksNothing() {
        assertThat(missing(guest("off", "jail"), confined())).isEmpty();
    }

    @Test
    void eachMissingLayerIsNamedWithWhatWasFoundAndWhatIsRequired() {
        Guest g = guest("off", "jail");
        assertThat(missing(g, with(confined(), f -> { f[5] = 0; f[6] = OptionalInt.of(0); return f; })))
                .containsExactly(new MissingLayer("web-01", Layer.SECCOMP, "Seccomp 0 with 0 filter(s)", "Seccomp 2 (filter, QEMU's -sandbox)"));
        assertThat(missing(g, with(confined(), f -> { f[4] = false; return f; }))).extracting(MissingLayer::layer).containsExactly(Layer.NO_NEW_PRIVS);
        assertThat(missing(g, with(confined(), f -> { f[0] = List.of(0L, 0L, 0L, 0L); return f; }))).extracting(MissingLayer::layer)
                .containsExactly(Layer.UID);
        assertThat(missing(g, with(confined(), f -> { f[2] = List.of(27L); return f; }))).extracting(MissingLayer::layer).containsExactly(Layer.GROUPS);
        assertThat(missing(g, with(confined(), f -> { f[3] = new GuestConfinement.Capabilities(NONE, NONE, "000001ffffffffff"); return f; })))
                .extracting(MissingLayer::layer).containsExactly(Layer.CAPABILITIES);
        assertThat(missing(g, with(confined(), f -> { f[10] = List.of("4:memory:/qfence/web/web-02"); return f; })))
                .extracting(MissingLayer::layer).containsExactly(Layer.CGROUPS);
        assertThat(missing(g, with(confined(), f -> {
            f[11] = new GuestConfinement.Descriptors(1, new TreeMap<>(Map.of("file", 1)), List.of("9 -> /etc/shadow"));
            return f;
        }))).singleElement().satisfies(m -> assertThat(m.message())
                .isEqualTo("web-01 lacks descriptors: found open outside its run directory, images and devices: [9 -> /etc/shadow]; required no such file open"));
    }

    @Test
    void aGuestThatSharesTheHostsMountNamespaceAndRootLacksItsJailWhenTheHostRequiresIt() {
        GuestConfinement unjailed = with(confined(), f -> {
            TreeMap<String, GuestConfinement.Namespace> ns = new TreeMap<>(confined().namespaces());
            ns.put("mnt", new GuestConfinement.Namespace(4026531832L, true, List.of()));
            f[8] = ns;
            f[9] = new GuestConfinement.Root(false, "ext4", 31, false);
            return f;
        });
        assertThat(missing(guest("off", "jail"), unjailed)).extracting(MissingLayer::message).containsExactly(
                "web-01 lacks namespaces: found mnt:[4026531832] shared with the host; required mount, PID, IPC and UTS namespaces of its own (confinement.namespaces)",
                "web-01 lacks root: found ext4 at / with 31 mounts; required its jail: a tmpfs root of its own without the host's (confinement.namespaces)");
        assertThat(missing(guest("off", "off"), unjailed)).as("confinement.namespaces off (or preferred where unavailable)").isEmpty();
    }

    /**
     * A report that holds a cgroup namespace was read on a kernel that has them, where the jail makes one of its own
     * (DESIGN.md §9): the host's there is a missing layer; a report without one (an older kernel) requires the four.
     */
    @Test
    void whereTheKernelHasCgroupNamespacesAJailedGuestMustHaveItsOwn() {
        GuestConfinement hostCgroup = with(confined(), f -> {
            TreeMap<String, GuestConfinement.Namespace> ns = new TreeMap<>(confined().namespaces());
            ns.put("cgroup", new GuestConfinement.Namespace(4026531835L, true, List.of()));
            f[8] = ns;
            return f;
        });
        assertThat(missing(guest("off", "jail"), hostCgroup)).extracting(MissingLayer::message).containsExactly(
                "web-01 lacks namespaces: found cgroup:[4026531835] shared with the host; required mount, PID, IPC, UTS and cgroup namespaces"
                        + " of its own (confinement.namespaces)");
        GuestConfinement ownCgroup = with(confined(), f -> {
            TreeMap<String, GuestConfinement.Namespace> ns = new TreeMap<>(confined().namespaces());
            ns.put("cgroup", new GuestConfinement.Namespace(4026532804L, false, List.of()));
            f[8] = ns;
            return f;
        });
        assertThat(missing(guest("off", "jail"), ownCgroup)).isEmpty();
        assertThat(missing(guest("off", "off"), hostCgroup)).as("not jailed: nothing required of its namespaces").isEmpty();
    }

    @Test
    void appArmorIsRequiredOnlyWhereTheGuestWasRealizedToEnforceIt() {
        assertThat(missing(guest("enforce", "jail"), confined())).singleElement().satisfies(m -> {
            assertThat(m.layer()).isEqualTo(Layer.APPARMOR);
            assertThat(m.found()).isEqualTo("label unconfined");
            assertThat(m.required()).isEqualTo("label qfence.web.web-01 (enforce) (confinement.apparmor)");
        });
        assertThat(missing(guest("enforce", "jail"), with(confined(), f -> { f[7] = "qfence.web.web-01 (enforce)"; return f; }))).isEmpty();
        assertThat(missing(guest("enforce", "jail"), with(confined(), f -> { f[7] = "qfence.web.web-01 (complain)"; return f; })))
                .extracting(MissingLayer::layer).containsExactly(Layer.APPARMOR);
    }

    @Test
    void aGuestWithoutARunningProcessLacksEveryLayerAtOnce() {
        assertThat(ConfinementLayers.missing(guest("off", "jail"), Optional.empty())).extracting(MissingLayer::layer).containsExactly(Layer.PROCESS);
    }

    @Test
    void twoGuestsInOneNamespaceNameEachOtherAndNeitherHasItsJail() {
        GuestConfinement a = confined();
        GuestConfinement b = with(confined(), f -> {
            TreeMap<String, GuestConfinement.Namespace> ns = new TreeMap<>(confined().namespaces());
            ns.put("ipc", new GuestConfinement.Namespace(4026532999L, false, List.of()));
            f[8] = ns;
            return f;
        });
        Map<String, GuestConfinement> shared = ConfinementLayers.shared(Map.of("web-01", a, "web-02", b));
        assertThat(shared.get("web-01").namespaces().get("mnt").sharedWith()).containsExactly("web-02");
        assertThat(shared.get("web-01").namespaces().get("ipc").sharedWith()).isEmpty();
        assertThat(shared.get("web-02").namespaces().get("net").sharedWith()).containsExactly("web-01");
        assertThat(missing(guest("off", "jail"), shared.get("web-01"))).singleElement().satisfies(m -> assertThat(m.found())
                .isEqualTo("mnt:[4026532801] shared with web-02; pid:[4026532803] shared with web-02; uts:[4026532800] shared with web-02"));
    }

    @Test
    void theReportIsValidated() {
        assertThatThrownBy(() -> with(confined(), f -> { f[5] = 3; return f; })).hasMessage("seccomp mode must be 0, 1 or 2, got 3");
        assertThatThrownBy(() -> with(confined(), f -> { f[0] = List.of(1L); return f; })).hasMessage("uids must list 4 ids, got [1]");
        assertThatThrownBy(() -> new GuestConfinement.Capabilities("ff", NONE, NONE)).hasMessage("a capability set is 16 lower-case hex digits, got ff");
        assertThatThrownBy(() -> new GuestConfinement.Descriptors(2, new TreeMap<>(Map.of("file", 1)), List.of()))
                .hasMessage("descriptor kinds {file=1} do not add up to 2");
        assertThatThrownBy(() -> new GuestConfinement.Descriptors(1, new TreeMap<>(Map.of("disk", 1)), List.of()))
                .hasMessageStartingWith("descriptor kind disk=1 is not one of");
        assertThatThrownBy(() -> with(confined(), f -> { f[7] = " "; return f; })).hasMessage("an AppArmor label must not be blank (say unconfined)");
    }
}
