package io.qfence.plan;

import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.ObservedHost;
import io.qfence.model.host.Sysctl;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A host in memory that executes plans one change at a time and behaves like the kernel where ordering matters: a
 * deleted bridge detaches its ports, a cgroup with children or processes cannot be removed, a port needs its master.
 * It also refuses what qfence promises never to do: deleting a running guest's tap or cgroup, starting a guest
 * before its tap, cgroup, host settings and final firewall are in place, and any change whose {@code before} is not
 * what the host has at that moment.
 */
final class InMemoryHost {

    private final List<HostObject> objects = new ArrayList<>();
    private final List<HostObject> desired;
    private final Set<String> managedCgroupPaths = new HashSet<>();

    InMemoryHost(List<HostObject> observed, List<HostObject> desired) {
        objects.addAll(observed);
        this.desired = List.copyOf(desired);
        for (HostObject o : observed) {
            if (o instanceof Cgroup c) {
                managedCgroupPaths.add(c.path());
            }
        }
        for (HostObject o : desired) {
            if (o instanceof Cgroup c) {
                managedCgroupPaths.add(c.path());
            }
        }
    }

    ObservedHost observe() {
        return new ObservedHost("test", HostFacts.TYPICAL, objects, List.of(), List.of(), List.of());
    }

    List<HostObject> objects() {
        return List.copyOf(objects);
    }

    void apply(Plan plan) {
        for (Change c : plan.changes()) {
            try {
                apply(c);
            } catch (IllegalStateException e) {
                throw new IllegalStateException("step " + plan.stepOf(c) + " (" + c.action() + " " + c.address() + "): " + e.getMessage(), e);
            }
        }
    }

    /** One step of a plan, as apply runs it (a property walks a plan's prefixes with it). */
    void applyStep(Change c) {
        apply(c);
    }

    private void apply(Change c) {
        switch (c.action()) {
            case CREATE -> create(c.after().orElseThrow());
            case DELETE -> delete(c.before().orElseThrow());
            case UPDATE -> update(c.before().orElseThrow(), c.after().orElseThrow());
            case REPLACE_DELETE_BEFORE_CREATE -> {
                if (c.kind() == ObjectKind.GUEST) {
                    stop((Guest) c.before().orElseThrow());
                    start(Optional.of(((Guest) c.before().orElseThrow()).withState(GuestState.STOPPED)), (Guest) c.after().orElseThrow());
                } else {
                    delete(c.before().orElseThrow());
                    create(c.after().orElseThrow());
                }
            }
            case REPLACE_CREATE_BEFORE_DELETE -> {
                create(c.after().orElseThrow());
                delete(c.before().orElseThrow());
            }
            case START -> start(c.before().map(Guest.class::cast), (Guest) c.after().orElseThrow());
            case STOP -> stop((Guest) c.before().orElseThrow());
        }
    }

    private Optional<HostObject> current(HostObject like) {
        return objects.stream().filter(o -> o.address().equals(like.address()) && Digests.withoutRuntime(o).equals(Digests.withoutRuntime(like)))
                .findFirst();
    }

    private HostObject require(HostObject before) {
        return current(before).orElseThrow(() -> new IllegalStateException("the host does not have " + before.address()
                + " as the change expects; it has " + objects.stream().filter(o -> o.address().equals(before.address())).toList()));
    }

    private Optional<Link> link(String name) {
        return objects.stream().filter(o -> o instanceof Link l && l.name().equals(name)).map(Link.class::cast).findFirst();
    }

    private Optional<Cgroup> cgroup(String path) {
        return objects.stream().filter(o -> o instanceof Cgroup c && c.path().equals(path)).map(Cgroup.class::cast).findFirst();
    }

    private List<Guest> liveGuests() {
        return objects.stream().filter(o -> o instanceof Guest g && (g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED))
                .map(Guest.class::cast).toList();
    }

    private void create(HostObject o) {
        if (o instanceof Sysctl) {
            objects.removeIf(x -> x.address().equals(o.address()));
        } else if (objects.stream().anyMatch(x -> x.address().equals(o.address()) && !(x instanceof Link) && !(x instanceof Cgroup))) {
            throw new IllegalStateException(o.address() + " already exists");
        }
        if (o instanceof Link l) {
            if (link(l.name()).isPresent()) {
                throw new IllegalStateException("a link named " + l.name() + " already exists");
            }
            requireMaster(l);
        }
        if (o instanceof Cgroup c) {
            if (cgroup(c.path()).isPresent()) {
                throw new IllegalStateException("cgroup " + c.path() + " already exists");
            }
            for (int slash = c.path().lastIndexOf('/'); slash > 0; slash = c.path().lastIndexOf('/', slash - 1)) {
                String parent = c.path().substring(0, slash);
                if (managedCgroupPaths.contains(parent) && cgroup(parent).isEmpty()) {
                    throw new IllegalStateException("cgroup " + c.path() + " created before its parent " + parent);
                }
            }
        }
        objects.add(o);
    }

    private void requireMaster(Link l) {
        if (l.master().isPresent() && link(l.master().get()).isEmpty()) {
            throw new IllegalStateException(l.name() + " attached to missing master " + l.master().get());
        }
    }

    private void delete(HostObject before) {
        HostObject o = require(before);
        if (o instanceof Link l) {
            for (Guest g : liveGuests()) {
                if (g.launch().tap().equals(Optional.of(l.name()))) {
                    throw new IllegalStateException("deleted tap " + l.name() + " under running guest " + g.address());
                }
            }
            // the kernel detaches the ports of a deleted bridge
            for (int i = 0; i < objects.size(); i++) {
                if (objects.get(i) instanceof Link port && port.master().equals(Optional.of(l.name()))) {
                    objects.set(i, port.withMaster(Optional.empty()));
                }
            }
        }
        if (o instanceof Cgroup c) {
            if (objects.stream().anyMatch(x -> x instanceof Cgroup child && child.path().startsWith(c.path() + "/"))) {
                throw new IllegalStateException("cgroup " + c.path() + " still has children");
            }
            for (Guest g : liveGuests()) {
                if (g.launch().cgroupPath().equals(c.path())) {
                    throw new IllegalStateException("cgroup " + c.path() + " still holds running guest " + g.address());
                }
            }
        }
        objects.remove(o);
    }

    private void update(HostObject before, HostObject after) {
        HostObject o = require(before);
        if (after instanceof Link l) {
            requireMaster(l);
        }
        objects.set(objects.indexOf(o), after);
    }

    private void stop(Guest before) {
        Guest g = (Guest) require(before);
        if (g.state() == GuestState.STOPPED) {
            throw new IllegalStateException("stopping a guest that is stopped");
        }
        // a crashed guest's stop only removes its record
        objects.set(objects.indexOf(g), g.withState(GuestState.STOPPED).withRuntime(io.qfence.model.host.GuestRuntime.NONE));
    }

    private void start(Optional<Guest> before, Guest after) {
        before.ifPresentOrElse(b -> {
            Guest g = (Guest) require(b);
            if (g.state() == GuestState.RUNNING) {
                throw new IllegalStateException("starting a guest that already runs");
            }
            objects.remove(g);
        }, () -> {
            if (objects.stream().anyMatch(x -> x.address().equals(after.address()))) {
                throw new IllegalStateException("the change does not know the host's " + after.address());
            }
        });
        // fail-closed: everything the guest depends on is exactly as desired before it runs
        for (HostObject d : desired) {
            boolean needed = d instanceof Firewall || d instanceof Sysctl
                    || d instanceof Link l && after.launch().tap().equals(Optional.of(l.name()))
                    || d instanceof Cgroup c && c.path().equals(after.launch().cgroupPath());
            if (needed && current(d).isEmpty()) {
                throw new IllegalStateException("guest started before " + d.address() + " is in place");
            }
        }
        if (after.launch().tap().isPresent() && link(after.launch().tap().get()).isEmpty()) {
            throw new IllegalStateException("guest started without its tap");
        }
        if (cgroup(after.launch().cgroupPath()).isEmpty()) {
            throw new IllegalStateException("guest started without its cgroup");
        }
        objects.add(after.withState(GuestState.RUNNING));
        if (!objects.stream().anyMatch(x -> x.address().equals(Addresses.FIREWALL)) && desired.stream().anyMatch(Firewall.class::isInstance)) {
            throw new IllegalStateException("guest started without a firewall");
        }
    }
}
