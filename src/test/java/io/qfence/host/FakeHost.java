package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Capability;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.Sysctl;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A host in memory behind real ports, for tests of everything above the adapters (observer, applier, engine, CLI).
 * It keeps objects as the adapters would report them, logs every operation ({@link #calls()}), and can be told to
 * refuse an operation ({@link #refuse}) or to carry one out wrongly ({@link #distort}), so that failures and
 * post-conditions can be tested. Like a real adapter, it fails only as the ports declare: with a
 * {@link HostPortException}. Thread-safe enough for parallel guest starts.
 */
public final class FakeHost {

    public static final HostFacts FACTS = new HostFacts(CgroupVersion.V1, EnumSet.of(Capability.BRIDGE, Capability.TUN, Capability.VETH,
            Capability.BR_NETFILTER, Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP, Capability.CGROUP_IO_WEIGHT,
            Capability.NAMESPACES));

    private final Map<String, String> sysctls = new ConcurrentHashMap<>();
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final List<ForeignObject> foreignLinks = Collections.synchronizedList(new ArrayList<>());
    private volatile Optional<Firewall> firewall = Optional.empty();
    private final List<String> foreignTables = Collections.synchronizedList(new ArrayList<>());
    private final List<CounterSample> counters = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Cgroup> cgroups = new ConcurrentHashMap<>();
    private final Map<String, Guest> guests = new ConcurrentHashMap<>();
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, HostPortException> refusals = new ConcurrentHashMap<>();
    private final Map<String, UnaryOperator<HostObject>> distortions = new ConcurrentHashMap<>();
    private volatile GuestPort guestPort;
    private HostFacts facts = FACTS;

    public FakeHost() {
        guestPort = new FakeGuests();
    }

    /** A fake with exactly these objects on it. */
    public static FakeHost with(List<? extends HostObject> objects) {
        FakeHost h = new FakeHost();
        objects.forEach(h::put);
        return h;
    }

    public FakeHost put(HostObject o) {
        if (o instanceof Sysctl s) {
            sysctls.put(s.key(), s.value());
        } else if (o instanceof Link l) {
            links.put(l.name(), l);
        } else if (o instanceof Firewall f) {
            firewall = Optional.of(f);
        } else if (o instanceof Cgroup c) {
            cgroups.put(c.path(), c);
        } else if (o instanceof Guest g) {
            guests.put(g.address(), g);
        }
        return this;
    }

    public FakeHost remove(String address) {
        links.values().removeIf(l -> l.address().equals(address));
        cgroups.values().removeIf(c -> c.address().equals(address));
        guests.remove(address);
        if (firewall.filter(f -> f.address().equals(address)).isPresent()) {
            firewall = Optional.empty();
        }
        return this;
    }

    public FakeHost foreignLink(String name, String reason) {
        foreignLinks.add(new ForeignObject("link", name, reason));
        return this;
    }

    public FakeHost foreignTable(String qualifiedName) {
        foreignTables.add(qualifiedName);
        return this;
    }

    public FakeHost facts(HostFacts newFacts) {
        this.facts = newFacts;
        return this;
    }

    /**
     * The next operation named {@code operation} throws {@code failure}: a change as {@link #calls()} names it (e.g.
     * {@code create group.web/bridge}), or an observation, which is not logged: {@code facts}, {@code observe links},
     * {@code observe firewall}, {@code list cgroups PARENT}, {@code read sysctl KEY}, {@code observe guests}.
     */
    public FakeHost refuse(String operation, HostPortException failure) {
        refusals.put(operation, failure);
        return this;
    }

    /**
     * A failure as an adapter would report it, e.g.
     * {@code refusal(LINKS, "create bridge qfb-db", "link qfb-db", 17, "File exists (EEXIST, errno 17)")}.
     */
    public static HostPortException refusal(HostPortException.Port port, String operation, String object, int errno, String text) {
        return new HostPortException(port, operation, object, new HostPortException.Errno(errno, text));
    }

    /** A failure without an errno, e.g. libnftables' or QEMU's words. */
    public static HostPortException refusal(HostPortException.Port port, String operation, String object, String text) {
        return new HostPortException(port, operation, object, new HostPortException.Refusal(text));
    }

    /** Observation: fails when refused, never logged (the calls are the changes). */
    private void observing(String operation) {
        HostPortException failure = refusals.remove(operation);
        if (failure != null) {
            throw failure;
        }
    }

    /** Operation {@code operation} stores {@code how.apply(object)} instead of the object it was given. */
    public FakeHost distort(String operation, UnaryOperator<HostObject> how) {
        distortions.put(operation, how);
        return this;
    }

    public FakeHost guestPort(GuestPort port) {
        this.guestPort = port;
        return this;
    }

    /** Every operation so far, e.g. {@code create group.web/bridge}, {@code delete-all [a, b]}. */
    public List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** Every object of qfence's on the host, as observation would find it (guests included), sorted by address. */
    public List<HostObject> objects() {
        List<HostObject> all = new ArrayList<>();
        sysctls.forEach((k, v) -> all.add(Sysctl.of(k, v)));
        all.addAll(links.values());
        firewall.ifPresent(all::add);
        all.addAll(cgroups.values());
        all.addAll(guests.values());
        all.sort(java.util.Comparator.comparing(HostObject::address));
        return all;
    }

    private <T extends HostObject> T act(String operation, T object) {
        calls.add(operation);
        HostPortException failure = refusals.remove(operation);
        if (failure != null) {
            throw failure;
        }
        UnaryOperator<HostObject> d = distortions.get(operation);
        @SuppressWarnings("unchecked")
        T result = d == null ? object : (T) d.apply(object);
        return result;
    }

    private void act(String operation) {
        calls.add(operation);
        HostPortException failure = refusals.remove(operation);
        if (failure != null) {
            throw failure;
        }
    }

    public HostPorts ports() {
        return new HostPorts(new Facts(), new Links(), new Sysctls(), new Fw(), new Cgroups(), new ForwardingGuests(() -> guestPort));
    }

    private final class Facts implements HostFactsPort {
        @Override
        public HostFacts facts() {
            observing("facts");
            return facts;
        }

        @Override
        public List<String> namespaces() {
            return List.of();
        }
    }

    private final class Links implements LinkPort {
        @Override
        public LinkObservation observe() {
            observing("observe links");
            return new LinkObservation(List.copyOf(links.values()), List.copyOf(foreignLinks));
        }

        @Override
        public Optional<Link> find(String name) {
            return Optional.ofNullable(links.get(name));
        }

        @Override
        public void create(Link link) {
            Link stored = act("create " + link.address(), link);
            if (links.containsKey(link.name()) || foreignLinks.stream().anyMatch(f -> f.name().equals(link.name()))) {
                throw refusal(HostPortException.Port.LINKS, "create " + link.kind().name().toLowerCase(java.util.Locale.ROOT) + " "
                        + link.name(), "link " + link.name(), 17, "File exists (EEXIST, errno 17)");
            }
            links.put(stored.name(), stored);
        }

        @Override
        public void update(Link before, Link after) {
            Link stored = act("update " + after.address(), after);
            if (!links.containsKey(before.name())) {
                throw refusal(HostPortException.Port.LINKS, "update", "link " + before.name(), 19, "No such device (ENODEV, errno 19)");
            }
            links.put(stored.name(), stored);
        }

        @Override
        public void delete(Link link) {
            act("delete " + link.address());
            links.remove(link.name());
        }

        /** Records {@code create-all [addresses]}, then creates each link as {@link #create} does, every one attempted. */
        @Override
        public List<Optional<HostPortException>> createAll(List<Link> all) {
            act("create-all " + all.stream().map(Link::address).toList());
            return LinkPort.super.createAll(all);
        }

        @Override
        public void deleteAll(List<Link> all) {
            act("delete-all " + all.stream().map(Link::address).toList());
            all.forEach(l -> links.remove(l.name()));
        }
    }

    private final class Sysctls implements SysctlPort {
        @Override
        public Optional<String> read(String key) {
            observing("read sysctl " + key);
            return Optional.ofNullable(sysctls.get(key));
        }

        @Override
        public void write(String key, String value) {
            Sysctl s = act("write " + Sysctl.of(key, value).address(), Sysctl.of(key, value));
            sysctls.put(key, s.value());
        }
    }

    private final class Fw implements FirewallPort {
        @Override
        public ObservedFirewall observe() {
            observing("observe firewall");
            return new ObservedFirewall(firewall, List.copyOf(counters), List.copyOf(foreignTables));
        }

        @Override
        public void apply(Firewall f) {
            firewall = Optional.of(act("apply firewall", f));
        }

        @Override
        public void remove() {
            act("remove firewall");
            firewall = Optional.empty();
        }
    }

    private final class Cgroups implements CgroupPort {
        @Override
        public List<String> list(String parent) {
            observing("list cgroups " + parent);
            return cgroups.keySet().stream().filter(p -> p.startsWith(parent + "/")).sorted().toList();
        }

        @Override
        public Optional<Cgroup> read(String address, String path, Set<String> files) {
            Cgroup c = cgroups.get(path);
            if (c == null) {
                return Optional.empty();
            }
            SortedMap<String, String> subset = new TreeMap<>(c.files());
            subset.keySet().retainAll(files);
            return Optional.of(new Cgroup(address, path, c.version(), subset));
        }

        @Override
        public Optional<Cgroup> readAll(String address, String path) {
            return Optional.ofNullable(cgroups.get(path)).map(c -> new Cgroup(address, path, c.version(), c.files()));
        }

        @Override
        public Optional<CgroupLimits> limits(String path) {
            // The kernel's limit formats are platform.cgroup's to parse; no test reads limits through the fake.
            throw new UnsupportedOperationException("the fake host does not parse cgroup limit files");
        }

        @Override
        public void apply(Cgroup cgroup) {
            cgroups.put(cgroup.path(), act("apply " + cgroup.address(), cgroup));
        }

        @Override
        public void delete(Cgroup cgroup) {
            act("delete " + cgroup.address());
            cgroups.keySet().removeIf(p -> p.equals(cgroup.path()) || p.startsWith(cgroup.path() + "/"));
        }
    }

    /**
     * A guest port that passes every call to the port {@code to} gives at the time of the call; tests override the
     * calls they watch or slow down.
     */
    public static class ForwardingGuests implements GuestPort {
        private final Supplier<GuestPort> to;

        public ForwardingGuests(Supplier<GuestPort> to) {
            this.to = to;
        }

        @Override
        public List<Guest> observe(List<Guest> realized) {
            return to.get().observe(realized);
        }

        @Override
        public Optional<Guest> find(Guest realized) {
            return to.get().find(realized);
        }

        @Override
        public void start(Guest guest, Progress progress) {
            to.get().start(guest, progress);
        }

        @Override
        public void stop(Guest guest, Progress progress) {
            to.get().stop(guest, progress);
        }

        @Override
        public List<String> preflight(List<Guest> starting) {
            return to.get().preflight(starting);
        }
    }

    /** Guests that start and stop at once. */
    public final class FakeGuests implements GuestPort {
        @Override
        public List<Guest> observe(List<Guest> realized) {
            observing("observe guests");
            return List.copyOf(guests.values());
        }

        @Override
        public Optional<Guest> find(Guest realized) {
            return Optional.ofNullable(guests.get(realized.address()));
        }

        @Override
        public void start(Guest guest, Progress progress) {
            Guest g = act("start " + guest.address(), guest);
            progress.step(guest.address(), "running");
            guests.put(g.address(), g.withState(GuestState.RUNNING));
        }

        @Override
        public void stop(Guest guest, Progress progress) {
            act("stop " + guest.address());
            guests.computeIfPresent(guest.address(), (a, g) -> g.withState(GuestState.STOPPED));
        }
    }
}
