package io.qfence.cli;

import io.qfence.model.host.ConfinementLayers;
import io.qfence.model.host.ConfinementLayersFixture;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestConfinement;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.testing.Golden;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code qfence state --format confinement}: one line per guest, what its QEMU has and which required layers it lacks,
 * as {@code verify} judges them.
 */
class ConfinementTableTest {

    private static final String NONE = "0000000000000000";

    private static Guest guest(String vm, long uid, String apparmor, String namespaces, Optional<GuestConfinement> found) {
        TreeMap<String, String> config = new TreeMap<>(Map.of("apparmor", apparmor, "namespaces", namespaces));
        String run = "/run/qfence/" + vm;
        Guest g = new Guest("guest/" + vm, vm, "web", uid, uid, List.of("/usr/bin/qemu-system-x86_64"), "d", config,
                found.isPresent() ? GuestState.RUNNING : GuestState.STOPPED,
                new GuestLaunch(run, run + "/qmp.sock", run + "/serial.sock", run + "/serial.log", run + "/qemu.pid", List.of(),
                        "qfence/web/" + vm, Optional.empty(), Duration.ofSeconds(30)),
                GuestRuntime.NONE);
        return g.withRuntime(GuestRuntime.NONE.withConfinement(found));
    }

    private static GuestConfinement confinement(long uid, boolean jail, String apparmor, String caps, boolean nnp, int seccomp, String cgroup) {
        GuestConfinement base = ConfinementLayersFixture.confined();
        TreeMap<String, GuestConfinement.Namespace> ns = new TreeMap<>();
        long inode = 4026532800L + uid % 100 * 10;
        for (String kind : List.of("mnt", "pid", "ipc", "uts")) {
            ns.put(kind, new GuestConfinement.Namespace(jail ? inode++ : 4026531840L, !jail, List.of()));
        }
        List<Long> ids = List.of(uid, uid, uid, uid);
        return new GuestConfinement(ids, ids, List.of(), new GuestConfinement.Capabilities(caps, caps, caps), nnp, seccomp,
                OptionalInt.of(seccomp == 2 ? 1 : 0), apparmor, ns,
                jail ? new GuestConfinement.Root(true, "tmpfs", 24, false) : new GuestConfinement.Root(false, "ext4", 31, false),
                List.of("4:memory:/qfence/web/" + cgroup), base.descriptors());
    }

    @Test
    void oneLinePerGuestWithTheLayersItLacks() {
        List<Guest> guests = List.of(
                guest("web-01", 300001, "enforce", "jail",
                        Optional.of(confinement(300001, true, "qfence.web.web-01 (enforce)", NONE, true, 2, "web-01"))),
                guest("db-01", 300002, "off", "jail", Optional.of(confinement(300002, false, "unconfined", NONE, true, 2, "db-01"))),
                guest("build-01", 300003, "off", "off",
                        Optional.of(confinement(300003, false, "unconfined", "000001ffffffffff", false, 0, "build-01"))),
                guest("old-01", 300004, "off", "jail", Optional.empty()));
        List<ConfinementLayers.MissingLayer> missing = new ArrayList<>();
        guests.stream().filter(g -> g.runtime().confinement().isPresent())
                .forEach(g -> missing.addAll(ConfinementLayers.missing(g, g.runtime().confinement())));
        List<HostObject> observed = new ArrayList<>(guests);
        Golden.assertMatches("cli/state-confinement.txt", String.join("\n", ConfinementTable.lines(observed, missing)) + "\n");
    }
}
