package io.qfence.plan;

import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.Sysctl;
import io.qfence.plan.Intent.FirewallRole;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides, object by object, what must happen and why. Ordering is {@link ExecutionOrder}'s job.
 *
 * <h2>What forces a replacement</h2>
 * <ul>
 *   <li>Links: {@code kind}, tap ownership ({@code owner_uid}, {@code owner_gid}: TUNSETOWNER only works on a tap no
 *       one has attached) and VLAN identity ({@code vlan_id}, {@code vlan_parent}) cannot change in place: the link is
 *       deleted and created again under the same name. A new {@code name} is created next to the old link, which is
 *       deleted afterwards, so the ports can move over first. Everything else (master, mtu, mac, up, addresses, port
 *       flags) is updated in place.</li>
 *   <li>Cgroups: a new {@code path} is created next to the old one; a new {@code version} replaces it in place.
 *       Limit files are updated in place, and never restart a guest.</li>
 *   <li>Guests: any change of configuration (digest, uid, gid) restarts a running guest; a stopped one picks the new
 *       configuration up when it is next started.</li>
 *   <li>Host settings (sysctls) are set, never reset: when qfence no longer wants one, another tool may still rely
 *       on it, so the plan leaves it alone.</li>
 * </ul>
 *
 * <h2>Drift or desired change</h2>
 * A change is drift when it only undoes something done outside qfence. With a record of the last apply that is
 * decidable: the desired object equals what was last applied, yet the host differs. Without one, the planner cannot
 * tell "the YAML changed" from "someone changed the host", and calls the difference {@link Reason.Differs} (not
 * drift): a reviewer of a desired-state change, who plans against a snapshot in CI, must not see their own change
 * reported as tampering. Only what qfence never does itself is drift without history: a crashed or paused guest.
 * What an interrupted apply left behind (a link under a temporary name) is neither: it is removed as
 * {@link Reason.Interrupted}.
 */
final class Differ {

    private static final Set<String> LINK_FORCING = Set.of("kind", "name", "owner_uid", "owner_gid", "vlan_id", "vlan_parent");
    private static final Set<String> CGROUP_FORCING = Set.of("path", "version");

    private final World want;
    private final World have;
    private final Optional<Map<String, HostObject>> last;
    private final FirewallSteps.Effects effects;
    private final SortedMap<String, List<Intent>> intents = new TreeMap<>();

    Differ(World want, World have, Optional<Map<String, HostObject>> last) {
        this.want = want;
        this.have = have;
        this.last = last;
        // Observed rules do not say whether they grant; the realization's labels do, for every rule it wrote.
        List<Firewall> labelled = new ArrayList<>();
        if (want.get(Addresses.FIREWALL) instanceof Firewall f) {
            labelled.add(f);
        }
        last.map(m -> m.get(Addresses.FIREWALL)).filter(Firewall.class::isInstance)
                .map(Firewall.class::cast).ifPresent(labelled::add);
        this.effects = new FirewallSteps.Effects(labelled);
    }

    List<Intent> intents() {
        TreeSet<String> addresses = new TreeSet<>(want.byAddress.keySet());
        addresses.addAll(have.byAddress.keySet());
        for (String address : addresses) {
            HostObject d = want.get(address);
            HostObject o = have.get(address);
            if (d != null && o != null && ObjectKind.of(d) != ObjectKind.of(o)) {
                throw new IllegalArgumentException(address + " is a " + ObjectKind.of(d).jsonName() + " in the desired state but a "
                        + ObjectKind.of(o).jsonName() + " on the host");
            }
            switch (ObjectKind.of(d != null ? d : o)) {
                case SYSCTL -> diffSysctl(address, (Sysctl) d, (Sysctl) o);
                case LINK -> diffReplaceable(address, d, o, LINK_FORCING, "name");
                case CGROUP -> diffReplaceable(address, d, o, CGROUP_FORCING, "path");
                case FIREWALL -> diffFirewall(address, (Firewall) d, (Firewall) o);
                case GUEST -> diffGuest(address, (Guest) d, (Guest) o);
            }
        }
        reattachPortsOfReplacedMasters();
        replaceCgroupsUnderReplacedParents();
        restartGuestsWhosePlacementGoes();
        return intents.values().stream().flatMap(List::stream).toList();
    }

    // ---- classification

    private record Why(Reason reason, boolean drift) {}

    private static boolean same(HostObject a, HostObject b) {
        return a.equals(b) || a.attributes().equals(b.attributes());
    }

    /** See the class comment. {@code d} or {@code o} may be null, not both. */
    private Why classify(String address, HostObject d, HostObject o) {
        if (d == null && Addresses.isLeftover(address)) {
            return new Why(Reason.INTERRUPTED, false);
        }
        if (last.isEmpty()) {
            if (d == null) {
                return new Why(Reason.REMOVED, false);
            }
            return new Why(o == null ? Reason.NEW : Reason.DIFFERS, false);
        }
        HostObject l = last.get().get(address);
        if (d == null) {
            return l != null ? new Why(Reason.REMOVED, false) : new Why(Reason.drift(Reason.Drifted.CREATED_OUTSIDE), true);
        }
        if (l != null && same(l, d)) {
            return new Why(Reason.drift(o == null ? Reason.Drifted.DELETED_OUTSIDE : Reason.Drifted.CHANGED_OUTSIDE), true);
        }
        if (o == null && l == null) {
            return new Why(Reason.NEW, false);
        }
        return new Why(Reason.DESIRED_CHANGE, false);
    }

    private void put(Intent i) {
        intents.computeIfAbsent(i.address(), a -> new ArrayList<>()).add(i);
    }

    private void replaceIntent(Intent i) {
        intents.put(i.address(), new ArrayList<>(List.of(i)));
    }

    private Optional<Intent> single(String address) {
        List<Intent> l = intents.get(address);
        return l == null || l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    private boolean removes(String address) {
        return single(address).map(Intent::removes).orElse(false);
    }

    private static Intent intent(String address, Action action, HostObject before, HostObject after, Why why, SortedSet<String> forces,
            FirewallRole role) {
        HostObject any = before != null ? before : after;
        return new Intent(address, ObjectKind.of(any), action, Optional.ofNullable(before), Optional.ofNullable(after), why.reason(),
                why.drift(), forces, role);
    }

    private static Intent intent(String address, Action action, HostObject before, HostObject after, Why why) {
        return intent(address, action, before, after, why, Collections.emptySortedSet(), FirewallRole.NONE);
    }

    // ---- per kind

    private void diffSysctl(String address, Sysctl d, Sysctl o) {
        if (d == null) {
            return; // never reset: see the class comment
        }
        if (o == null) {
            put(intent(address, Action.CREATE, null, d, classify(address, d, null)));
        } else if (!same(d, o)) {
            put(intent(address, Action.UPDATE, o, d, classify(address, d, o)));
        }
    }

    private void diffReplaceable(String address, HostObject d, HostObject o, Set<String> forcing, String sideBySideKey) {
        if (o == null) {
            put(intent(address, Action.CREATE, null, d, classify(address, d, null)));
        } else if (d == null) {
            put(intent(address, Action.DELETE, o, null, classify(address, null, o)));
        } else if (!same(d, o)) {
            SortedMap<String, String> da = d.attributes();
            SortedMap<String, String> oa = o.attributes();
            SortedSet<String> forces = new TreeSet<>();
            for (String k : forcing) {
                if (!Objects.equals(da.get(k), oa.get(k))) {
                    forces.add(k);
                }
            }
            Action action = forces.isEmpty() ? Action.UPDATE
                    : forces.contains(sideBySideKey) ? Action.REPLACE_CREATE_BEFORE_DELETE : Action.REPLACE_DELETE_BEFORE_CREATE;
            put(intent(address, action, o, d, classify(address, d, o), forces, FirewallRole.NONE));
        }
    }

    private void diffFirewall(String address, Firewall d, Firewall o) {
        if (o == null) {
            // From nothing, the ruleset can only narrow what qfence's links may do: it goes first.
            put(intent(address, Action.CREATE, null, d, classify(address, d, null), Collections.emptySortedSet(), FirewallRole.FIRST));
            return;
        }
        if (d == null) {
            put(intent(address, Action.DELETE, o, null, classify(address, null, o), Collections.emptySortedSet(), FirewallRole.LAST));
            return;
        }
        if (d.equals(o)) {
            return;
        }
        Why why = classify(address, d, o);
        Firewall middle = FirewallSteps.intermediate(o, d, effects);
        if (FirewallSteps.sameAccess(middle, d)) {
            put(intent(address, Action.UPDATE, o, d, why, Collections.emptySortedSet(), FirewallRole.FIRST));
        } else if (FirewallSteps.sameAccess(middle, o)) {
            put(intent(address, Action.UPDATE, o, d, why, Collections.emptySortedSet(), FirewallRole.WIDEN));
        } else {
            put(intent(address, Action.UPDATE, o, middle, new Why(Reason.NARROWING_FIRST, why.drift()), Collections.emptySortedSet(),
                    FirewallRole.FIRST));
            put(intent(address, Action.UPDATE, middle, d, why, Collections.emptySortedSet(), FirewallRole.WIDEN));
        }
    }

    private static boolean live(Guest g) {
        return g != null && (g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED);
    }

    /** Configuration only: everything but the lifecycle state. */
    private static SortedMap<String, String> config(Guest g) {
        SortedMap<String, String> a = new TreeMap<>(g.attributes());
        a.remove("state");
        return a;
    }

    /** {@code (pid 1908)}, when observation knows it. */
    private static String pid(Guest o) {
        return o.runtime().pid().isPresent() ? " (pid " + o.runtime().pid().getAsLong() + ")" : "";
    }

    /**
     * See DESIGN.md §9 "Interrupted starts". A guest whose start an apply did not finish is never drift: a paused
     * leftover is stopped and started again (the checks of a fresh start need the spawning process: its pid from
     * posix_spawn rather than the VM-writable pidfile, its exit status; and a QEMU at {@code -S} has run no guest code,
     * so nothing is lost); a running one without a record is adopted (recorded, not restarted) when it runs the desired
     * configuration, else restarted; one no longer wanted is stopped.
     */
    private void diffGuest(String address, Guest d, Guest o) {
        Optional<Guest> l = last.map(m -> m.get(address)).filter(Guest.class::isInstance).map(Guest.class::cast);
        if (d != null && d.state() != GuestState.RUNNING && d.state() != GuestState.STOPPED) {
            throw new IllegalArgumentException(address + ": a desired guest is running or stopped, not " + d.state());
        }
        boolean unrecorded = o != null && o.runtime().unrecorded();
        boolean leftPaused = o != null && o.state() == GuestState.PAUSED && o.runtime().prelaunch();
        if (d == null || d.state() == GuestState.STOPPED) {
            if (live(o)) {
                Why why = unrecorded || leftPaused
                        ? new Why(new Reason.InterruptedStart((leftPaused ? "left paused at -S" : "running") + pid(o)
                                + (unrecorded ? " without qfence's record" : "") + "; not wanted, so stopped"), false)
                        : d == null ? classify(address, null, o)
                        : l.filter(x -> x.state() == GuestState.STOPPED).isPresent() ? new Why(Reason.drift("started outside qfence"), true)
                        : last.isPresent() ? new Why(Reason.DESIRED_CHANGE, false) : new Why(Reason.DIFFERS, false);
                put(intent(address, Action.STOP, o, o.withState(GuestState.STOPPED), why));
            } else if (o != null && o.state() == GuestState.CRASHED) {
                // It ended without qfence (on its own, or while an apply stopping it was killed): nothing runs, but
                // its record is still there. The stop is a no-op on the process and removes the record.
                put(intent(address, Action.STOP, o, o.withState(GuestState.STOPPED), new Why(Reason.drift("guest ended without qfence"
                        + o.runtime().exitCause().map(c -> " (" + c + ")").orElse("") + "; its record is removed"), true)));
            }
            return;
        }
        if (!live(o)) {
            Why why;
            if (o != null && o.state() == GuestState.CRASHED) {
                why = new Why(Reason.drift("guest crashed" + o.runtime().exitCause().map(c -> ": " + c).orElse("")), true);
            } else if (l.filter(x -> x.state() == GuestState.RUNNING).isPresent()) {
                why = new Why(Reason.drift("stopped outside qfence"), true);
            } else if (o == null && l.isEmpty()) {
                why = new Why(Reason.NEW, false);
            } else {
                why = new Why(last.isPresent() ? Reason.DESIRED_CHANGE : Reason.DIFFERS, false);
            }
            put(intent(address, Action.START, o, d, why));
            return;
        }
        if (config(d).equals(config(o))) {
            if (leftPaused) {
                put(intent(address, Action.REPLACE_DELETE_BEFORE_CREATE, o, d, new Why(new Reason.InterruptedStart("left paused at -S" + pid(o)
                        + (unrecorded ? " without qfence's record" : "") + "; stopped and started again, with every check of a fresh start"), false)));
            } else if (o.state() == GuestState.PAUSED) {
                put(intent(address, Action.REPLACE_DELETE_BEFORE_CREATE, o, d, new Why(Reason.drift("paused outside qfence; restarted"), true)));
            } else if (unrecorded) {
                put(intent(address, Action.START, o, d, new Why(new Reason.InterruptedStart("running" + pid(o)
                        + " without qfence's record; adopted (recorded), not restarted"), false)));
            }
            return;
        }
        if (unrecorded || leftPaused) {
            put(intent(address, Action.REPLACE_DELETE_BEFORE_CREATE, o, d, new Why(new Reason.InterruptedStart((leftPaused ? "left paused at -S" : "running")
                    + pid(o) + (unrecorded ? " without qfence's record" : "") + " with another configuration; restarted"), false)));
            return;
        }
        boolean drift = l.filter(x -> config(x).equals(config(d))).isPresent();
        put(intent(address, Action.REPLACE_DELETE_BEFORE_CREATE, o, d, new Why(restartReason(o, d), drift)));
    }

    /** {@code config change requires restart: memory 64Mi -> 96Mi, cpus 1 -> 2}. */
    private static Reason restartReason(Guest o, Guest d) {
        SortedMap<String, String> before = config(o);
        SortedMap<String, String> after = config(d);
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        keys.remove("config_digest");
        List<String> fields = new ArrayList<>();
        List<String> seedParts = new ArrayList<>();
        for (String k : keys) {
            String b = before.get(k);
            String a = after.get(k);
            if (!Objects.equals(a, b)) {
                String name = k.startsWith("config.") ? k.substring("config.".length()) : k;
                if (name.startsWith("seed.")) {
                    // the seed's parts are digests: name what changed, not two hashes (DESIGN.md §17)
                    seedParts.add(name.substring("seed.".length()));
                } else if (!name.equals("seed") || b == null || a == null) {
                    fields.add(name + " " + (b == null ? "(none)" : b) + " -> " + (a == null ? "(none)" : a));
                }
            }
        }
        if (!seedParts.isEmpty() && before.containsKey("config.seed") && after.containsKey("config.seed")) {
            fields.add("seed changed: " + String.join(", ", seedParts)); // (a seed added or removed shows as config.seed)
        }
        if (fields.isEmpty()) {
            fields.add("qemu command line");
        }
        return new Reason.RequiresRestart(fields);
    }

    // ---- cascades: objects that do not change themselves but must follow a dependency that goes away

    /**
     * Deleting a bridge detaches its ports. A port that stays, and whose master is recreated under the same name,
     * must be attached again after it: its change starts from the detached state.
     */
    private void reattachPortsOfReplacedMasters() {
        for (HostObject obj : have.byAddress.values()) {
            if (!(obj instanceof Link port) || port.master().isEmpty()) {
                continue;
            }
            Optional<String> master = have.masterOf(port);
            if (master.isEmpty() || single(master.get()).filter(i -> i.action() == Action.REPLACE_DELETE_BEFORE_CREATE).isEmpty()) {
                continue;
            }
            Optional<Intent> own = single(port.address());
            if (own.filter(Intent::removes).isPresent() || !(want.get(port.address()) instanceof Link desired)
                    || !desired.master().equals(port.master())) {
                continue;
            }
            Why why = own.map(i -> new Why(i.reason(), i.drift()))
                    .orElse(new Why(new Reason.Cascade(master.get() + " is replaced"), false));
            replaceIntent(intent(port.address(), Action.UPDATE, port.withMaster(Optional.empty()), desired, why));
        }
    }

    /**
     * A cgroup directory cannot be removed while it has children: a child that stays is removed first and created
     * again after its parent. Parents are visited first, so that grandchildren follow their replaced parent too.
     */
    private void replaceCgroupsUnderReplacedParents() {
        List<Cgroup> cgroups = have.byAddress.values().stream().filter(Cgroup.class::isInstance).map(Cgroup.class::cast)
                .sorted(Comparator.comparingInt((Cgroup c) -> c.path().length()).thenComparing(Cgroup::path)).toList();
        for (Cgroup c : cgroups) {
            Optional<String> parent = have.parentOf(c);
            if (parent.isEmpty() || !removes(parent.get()) || removes(c.address()) || want.get(c.address()) == null) {
                continue;
            }
            Optional<Intent> own = single(c.address());
            Why why = own.map(i -> new Why(i.reason(), i.drift())).orElse(new Why(new Reason.Cascade(parent.get() + " is replaced"), false));
            replaceIntent(intent(c.address(), Action.REPLACE_DELETE_BEFORE_CREATE, c, want.get(c.address()), why));
        }
    }

    /** A running guest whose tap or cgroup is removed (to be recreated) must stop before and start after. */
    private void restartGuestsWhosePlacementGoes() {
        for (HostObject obj : have.byAddress.values()) {
            if (!(obj instanceof Guest g) || !live(g) || !(want.get(g.address()) instanceof Guest d) || d.state() != GuestState.RUNNING) {
                continue;
            }
            Optional<Intent> own = single(g.address());
            if (own.filter(i -> i.action() != Action.START).isPresent()) {
                continue;
            }
            for (String dep : have.placementOf(g)) {
                Optional<Intent> depIntent = single(dep);
                if (depIntent.filter(Intent::removes).isPresent()) {
                    String how = depIntent.get().action() == Action.DELETE ? " is deleted" : " is replaced";
                    replaceIntent(intent(g.address(), Action.REPLACE_DELETE_BEFORE_CREATE, g, d,
                            new Why(new Reason.Cascade(dep + how), false)));
                    break;
                }
            }
        }
    }
}
