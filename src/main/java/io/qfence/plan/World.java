package io.qfence.plan;

import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.Sysctl;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One side of a comparison (the desired objects, or the observed ones) indexed the ways the planner needs: by
 * address, links by kernel name, cgroups by path. Dependencies between objects come from the objects themselves:
 * a port's master, a cgroup's parent directory, a guest's tap, cgroup, firewall and host settings.
 */
final class World {

    final SortedMap<String, HostObject> byAddress;
    private final Map<String, String> linkByName = new HashMap<>();
    private final TreeMap<String, String> cgroupByPath = new TreeMap<>();
    private final List<String> sysctls = new ArrayList<>();

    private World(SortedMap<String, HostObject> byAddress) {
        this.byAddress = Collections.unmodifiableSortedMap(byAddress);
    }

    static World of(List<? extends HostObject> objects, String side) {
        SortedMap<String, HostObject> map = new TreeMap<>();
        for (HostObject o : objects) {
            if (map.put(o.address(), o) != null) {
                throw new IllegalArgumentException("the " + side + " objects contain " + o.address() + " twice");
            }
        }
        World w = new World(map);
        for (HostObject o : map.values()) {
            if (o instanceof Link l && w.linkByName.put(l.name(), l.address()) != null) {
                throw new IllegalArgumentException("the " + side + " objects contain two links named " + l.name());
            }
            if (o instanceof Cgroup c && w.cgroupByPath.put(c.path(), c.address()) != null) {
                throw new IllegalArgumentException("the " + side + " objects contain two cgroups at " + c.path());
            }
            if (o instanceof Sysctl) {
                w.sysctls.add(o.address());
            }
        }
        return w;
    }

    HostObject get(String address) {
        return byAddress.get(address);
    }

    Optional<String> linkNamed(String name) {
        return Optional.ofNullable(linkByName.get(name));
    }

    Optional<String> cgroupAt(String path) {
        return Optional.ofNullable(cgroupByPath.get(path));
    }

    /** The master a link is attached to, when it is one of this side's links. */
    Optional<String> masterOf(Link link) {
        return link.master().flatMap(this::linkNamed).filter(a -> !a.equals(link.address()));
    }

    /** The nearest cgroup of this side that contains {@code c}'s directory. */
    Optional<String> parentOf(Cgroup c) {
        String path = c.path();
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            Optional<String> parent = cgroupAt(path.substring(0, slash));
            if (parent.isPresent()) {
                return parent;
            }
        }
        return Optional.empty();
    }

    /** The guest's tap (by name) and cgroup (by path) on this side. */
    List<String> placementOf(Guest g) {
        List<String> deps = new ArrayList<>();
        g.launch().tap().flatMap(this::linkNamed).ifPresent(deps::add);
        cgroupAt(g.launch().cgroupPath()).ifPresent(deps::add);
        return deps;
    }

    /**
     * What must be in place before {@code o} can be (and may only go after {@code o} is gone). A guest needs its
     * isolation (firewall), its placement (tap, cgroup) and the host settings before it runs.
     */
    List<String> dependenciesOf(HostObject o) {
        List<String> deps = new ArrayList<>();
        if (o instanceof Link l) {
            masterOf(l).ifPresent(deps::add);
        } else if (o instanceof Cgroup c) {
            parentOf(c).ifPresent(deps::add);
        } else if (o instanceof Guest g) {
            deps.addAll(placementOf(g));
            if (byAddress.containsKey(Addresses.FIREWALL)) {
                deps.add(Addresses.FIREWALL);
            }
            deps.addAll(sysctls);
        }
        return deps;
    }
}
