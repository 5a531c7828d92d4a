package io.qfence.host;

import io.qfence.model.desired.Names;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.ObservedHost;
import io.qfence.model.host.Sysctl;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Builds the whole {@link ObservedHost} from the ports: qfence's objects, the look-alikes it leaves alone, the nft
 * counters and the namespaces. The realization says where to look and what to read (which host settings, which
 * cgroup files, which guests); it never decides what is found.
 *
 * <ul>
 *   <li>Host settings: the keys the realization names (qfence never resets a setting, so it never looks at others).</li>
 *   <li>Links: see {@link LinkPort#observe()}. When two links claim one address (a replacement was interrupted
 *       between creating the new link and deleting the old one), the one with the realized name keeps the address and
 *       the others are leftovers, which the plan removes.</li>
 *   <li>Firewall: the owned tables; tables of other families named {@code qfence}, or whose name starts with
 *       {@code qf}, are reported as look-alikes. Other tables are not mentioned.</li>
 *   <li>cgroups: the directories under {@code cgroupParent} named after a group ({@code PARENT/GROUP}) and a VM
 *       ({@code PARENT/GROUP/VM}) are qfence's; each is read with exactly the files its realization manages, an
 *       orphan with every file qfence manages. Deeper directories belong to their parent (removed with it); a
 *       directory whose name is not a DNS label is reported as a look-alike.</li>
 *   <li>Guests: as {@link GuestPort#observe} reports them.</li>
 * </ul>
 */
public final class HostObserver {

    private final HostPorts ports;

    public HostObserver(HostPorts ports) {
        this.ports = Objects.requireNonNull(ports, "ports");
    }

    /**
     * @param realized     the host's realization (already re-rooted by any {@code HostOverrides})
     * @param cgroupParent the host's {@code cgroupParent}, where qfence's cgroups live
     */
    public ObservedHost observe(String host, HostFacts facts, List<HostObject> realized, String cgroupParent, Scope scope) {
        List<HostObject> objects = new ArrayList<>();
        List<ForeignObject> foreign = new ArrayList<>();
        List<CounterSample> counters = new ArrayList<>();
        // The firewall listing (libnftables, on the namespace's thread) and the cgroup reads (this thread) are
        // independent: they run at the same time, and the firewall's result is added in its usual place.
        CompletableFuture<ObservedFirewall> firewall = scope.includes(Scope.Part.FIREWALL)
                ? CompletableFuture.supplyAsync(() -> ports.firewall().observe(), HostObserver::inOwnThread)
                : null;
        if (scope.includes(Scope.Part.NETWORK)) {
            objects.addAll(sysctls(realized));
            LinkObservation links = ports.links().observe();
            objects.addAll(resolveClaims(links.links(), realized));
            foreign.addAll(links.foreign());
        }
        if (scope.includes(Scope.Part.FIREWALL)) {
            ObservedFirewall fw = join(firewall);
            fw.firewall().ifPresent(objects::add);
            counters.addAll(fw.counters());
            for (String table : fw.foreignTables()) {
                String name = table.substring(table.indexOf(' ') + 1);
                if (name.startsWith("qf")) {
                    foreign.add(new ForeignObject("nft table", table, name.equals("qfence")
                            ? "qfence owns only inet qfence and bridge qfence" : "a qf-named table qfence did not make"));
                }
            }
        }
        if (scope.includes(Scope.Part.CGROUPS)) {
            cgroups(realized, cgroupParent, objects, foreign);
        }
        if (scope.includes(Scope.Part.GUESTS)) {
            List<Guest> guests = ports.guests().observe(realized.stream().filter(Guest.class::isInstance).map(Guest.class::cast).toList());
            objects.addAll(guests);
            foreign.addAll(ports.guests().unowned(guests));
            foreign.addAll(ports.guests().unusedImages(realized.stream().filter(Guest.class::isInstance).map(Guest.class::cast).toList()));
        }
        return new ObservedHost(host, facts, objects, foreign, counters, ports.facts().namespaces());
    }

    private static void inOwnThread(Runnable work) {
        Thread t = new Thread(work, "qfence-observe-firewall");
        t.setDaemon(true);
        t.start();
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private List<HostObject> sysctls(List<HostObject> realized) {
        List<HostObject> found = new ArrayList<>();
        for (HostObject o : realized) {
            if (o instanceof Sysctl s) {
                ports.sysctls().read(s.key()).ifPresent(v -> found.add(new Sysctl(s.address(), s.key(), v)));
            }
        }
        return found;
    }

    /** One link per address: the realized name wins, then the lowest name; the others become leftovers. */
    static List<Link> resolveClaims(List<Link> links, List<HostObject> realized) {
        Map<String, String> realizedName = new HashMap<>();
        realized.stream().filter(Link.class::isInstance).map(Link.class::cast).forEach(l -> realizedName.put(l.address(), l.name()));
        Map<String, List<Link>> byAddress = new LinkedHashMap<>();
        for (Link l : links) {
            byAddress.computeIfAbsent(l.address(), a -> new ArrayList<>()).add(l);
        }
        List<Link> out = new ArrayList<>();
        for (Map.Entry<String, List<Link>> e : byAddress.entrySet()) {
            List<Link> claims = new ArrayList<>(e.getValue());
            if (claims.size() == 1) {
                out.add(claims.get(0));
                continue;
            }
            String wanted = realizedName.get(e.getKey());
            claims.sort(Comparator.comparing((Link l) -> !l.name().equals(wanted)).thenComparing(Link::name));
            out.add(claims.get(0));
            for (Link extra : claims.subList(1, claims.size())) {
                out.add(asLeftover(extra));
            }
        }
        return out;
    }

    static Link asLeftover(Link l) {
        return new Link(Addresses.leftoverLink(l.name()), l.kind(), l.name(), l.master(), l.mac(), l.mtu(), l.up(), l.addresses(),
                l.ownerUid(), l.ownerGid(), l.vlanId(), l.vlanParent(), l.portFlags());
    }

    private void cgroups(List<HostObject> realized, String parent, List<HostObject> objects, List<ForeignObject> foreign) {
        Map<String, Cgroup> realizedByPath = new HashMap<>();
        realized.stream().filter(Cgroup.class::isInstance).map(Cgroup.class::cast).forEach(c -> realizedByPath.put(c.path(), c));
        // deeper cgroups are skipped below, so they are not listed at all
        for (String path : ports.cgroups().list(parent, 2)) {
            String[] below = path.substring(parent.length() + 1).split("/");
            if (below.length > 2) {
                continue; // inside a VM's cgroup: part of it, removed with it
            }
            if (!Names.isDnsLabel(below[0]) || (below.length == 2 && !Names.isDnsLabel(below[1]))) {
                foreign.add(new ForeignObject("cgroup", path, "not named after a group or VM, so not qfence's"));
                continue;
            }
            String address = below.length == 1 ? Addresses.groupCgroup(below[0]) : Addresses.vmCgroup(below[0], below[1]);
            Cgroup wanted = realizedByPath.get(path);
            Optional<Cgroup> seen = wanted != null && wanted.address().equals(address)
                    ? ports.cgroups().read(address, path, wanted.files().keySet())
                    : ports.cgroups().readAll(address, path);
            seen.ifPresent(objects::add);
        }
    }
}
