package io.qfence.plan;

import io.qfence.model.InterfaceNames;
import io.qfence.model.MacAddress;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftRule.Effect;
import io.qfence.model.host.NftTable;
import io.qfence.model.host.PortFlags;
import io.qfence.model.host.Sysctl;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A small, hand-made stand-in for realization: groups of VMs turned into the host objects a realizer produces, with
 * the same addresses, names and dependencies. Tests and properties vary the specs to get desired and observed sides.
 */
final class Scenario {

    private Scenario() {}

    record Vm(String name, long uid, int memoryMi, int cpus, GuestState state, boolean bridged, boolean renamedTap) {
        static Vm of(String name, long uid) {
            return new Vm(name, uid, 64, 1, GuestState.RUNNING, true, false);
        }

        Vm memory(int mi) {
            return new Vm(name, uid, mi, cpus, state, bridged, renamedTap);
        }

        Vm cpus(int n) {
            return new Vm(name, uid, memoryMi, n, state, bridged, renamedTap);
        }

        Vm state(GuestState s) {
            return new Vm(name, uid, memoryMi, cpus, s, bridged, renamedTap);
        }

        Vm uid(long u) {
            return new Vm(name, u, memoryMi, cpus, state, bridged, renamedTap);
        }

        Vm userMode() {
            return new Vm(name, uid, memoryMi, cpus, state, false, renamedTap);
        }

        Vm renamedTap(boolean r) {
            return new Vm(name, uid, memoryMi, cpus, state, bridged, r);
        }

        /** The VM's host number in its subnet (and MAC), stable whatever other VMs the group has. */
        int host() {
            return 10 + Math.floorMod(name.hashCode(), 200);
        }

        String tapName() {
            return InterfaceNames.tap(renamedTap ? name + "n" : name);
        }
    }

    /**
     * @param exceptions origins of the group's exceptions; each becomes one granting rule
     * @param pidsLimit  the group cgroup's pids.max
     */
    record Group(String name, int index, int mtu, String cgroupParent, boolean routed, List<String> exceptions, int pidsLimit, List<Vm> vms) {
        static Group of(String name, int index, Vm... vms) {
            return new Group(name, index, 1500, "qfence", false, List.of(), 512, List.of(vms));
        }

        Group mtu(int m) {
            return new Group(name, index, m, cgroupParent, routed, exceptions, pidsLimit, vms);
        }

        Group cgroupParent(String p) {
            return new Group(name, index, mtu, p, routed, exceptions, pidsLimit, vms);
        }

        Group routed(boolean r) {
            return new Group(name, index, mtu, cgroupParent, r, exceptions, pidsLimit, vms);
        }

        Group exceptions(String... e) {
            return new Group(name, index, mtu, cgroupParent, routed, List.of(e), pidsLimit, vms);
        }

        Group pids(int p) {
            return new Group(name, index, mtu, cgroupParent, routed, exceptions, p, vms);
        }

        Group vms(Vm... v) {
            return new Group(name, index, mtu, cgroupParent, routed, exceptions, pidsLimit, List.of(v));
        }

        String cgroupPath() {
            return cgroupParent + "/" + name;
        }
    }

    static List<HostObject> realize(Group... groups) {
        return realize(List.of(groups));
    }

    static List<HostObject> realize(List<Group> groups) {
        List<HostObject> out = new ArrayList<>();
        if (groups.isEmpty()) {
            return out;
        }
        out.add(Sysctl.of("net.bridge.bridge-nf-call-iptables", "1"));
        if (groups.stream().anyMatch(Group::routed)) {
            out.add(Sysctl.of("net.ipv4.ip_forward", "1"));
        }
        out.add(firewall(groups));
        for (Group g : groups) {
            out.add(new Link(Addresses.bridge(g.name()), LinkKind.BRIDGE, InterfaceNames.bridge(g.name()), Optional.empty(),
                    Optional.empty(), g.mtu(), true, g.routed() ? List.of("10." + g.index() + ".0.1/24") : List.of(),
                    OptionalLong.empty(), OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty()));
            out.add(new Cgroup(Addresses.groupCgroup(g.name()), g.cgroupPath(), CgroupVersion.V2,
                    new TreeMap<>(java.util.Map.of("pids.max", Integer.toString(g.pidsLimit()), "cgroup.subtree_control", "+cpu +memory +pids"))));
            for (Vm vm : g.vms()) {
                int host = vm.host();
                if (vm.bridged()) {
                    out.add(new Link(Addresses.tap(g.name(), vm.name()), LinkKind.TAP, vm.tapName(), Optional.of(InterfaceNames.bridge(g.name())),
                            Optional.empty(), g.mtu(), true, List.of(), OptionalLong.of(vm.uid()), OptionalLong.of(vm.uid()), OptionalInt.empty(),
                            Optional.empty(), Optional.of(new PortFlags(false, false, true))));
                }
                out.add(new Cgroup(Addresses.vmCgroup(g.name(), vm.name()), g.cgroupPath() + "/" + vm.name(), CgroupVersion.V2,
                        new TreeMap<>(java.util.Map.of("memory.max", Long.toString((vm.memoryMi() + 256L) * 1024 * 1024),
                                "cpu.max", (vm.cpus() * 100000) + " 100000", "pids.max", "64"))));
                out.add(guest(g, vm, host));
            }
        }
        return out;
    }

    static MacAddress mac(Group g, int host) {
        return new MacAddress(0x5254_0000_0000L | ((long) g.index() << 8) | host);
    }

    static Guest guest(Group g, Vm vm, int host) {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/qemu-system-x86_64", "-name", vm.name(), "-m", vm.memoryMi() + "M",
                "-smp", Integer.toString(vm.cpus()), "-accel", "tcg", "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
        if (vm.bridged()) {
            argv.addAll(List.of("-netdev", "tap,id=n0,fd=3", "-device", "virtio-net-pci,netdev=n0,mac=" + mac(g, host)));
        } else {
            argv.addAll(List.of("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"));
        }
        TreeMap<String, String> config = new TreeMap<>();
        config.put("memory", vm.memoryMi() + "Mi");
        config.put("cpus", Integer.toString(vm.cpus()));
        config.put("network", vm.bridged() ? "bridged" : "user");
        String run = "/run/qfence/" + vm.name();
        GuestLaunch launch = new GuestLaunch(run, run + "/qmp.sock", run + "/serial.sock", run + "/serial.log", run + "/qemu.pid",
                List.of("/var/lib/qfence/images/" + vm.name() + ".qcow2"), g.cgroupPath() + "/" + vm.name(),
                vm.bridged() ? Optional.of(vm.tapName()) : Optional.empty(), Duration.ofSeconds(30));
        return new Guest(Addresses.vm(g.name(), vm.name()), vm.name(), g.name(), vm.uid(), vm.uid(), argv, digest(argv), config, vm.state(),
                launch, GuestRuntime.NONE);
    }

    static String digest(List<String> argv) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(String.join("\0", argv).getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static NftRule rule(String match, String verdict, String comment, Effect effect) {
        return new NftRule("[" + match + ",{\"" + verdict + "\":null}]", comment, effect);
    }

    static String ifname(String dir, String name) {
        return "{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"" + dir + "\"}},\"right\":\"" + name + "\"}}";
    }

    static Firewall firewall(List<Group> groups) {
        List<NftRule> forward = new ArrayList<>();
        forward.add(new NftRule("[{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\",\"related\"]}},{\"accept\":null}]",
                "qf:established", Effect.NEUTRAL));
        List<NftRule> antiSpoof = new ArrayList<>();
        List<NftRule> input = new ArrayList<>();
        for (Group g : groups) {
            String br = InterfaceNames.bridge(g.name());
            forward.add(rule(ifname("iifname", br) + "," + ifname("oifname", br), "accept", "qf:intra:" + g.name(), Effect.GRANT));
            for (String e : g.exceptions()) {
                forward.add(rule(ifname("iifname", br) + "," + ifname("oifname", e), "accept", "qf:exception:" + g.name() + ":" + e, Effect.GRANT));
            }
            forward.add(rule(ifname("iifname", br), "drop", "qf:drop:" + g.name(), Effect.RESTRICT));
            input.add(rule(ifname("iifname", br), "drop", "qf:host:" + g.name(), Effect.RESTRICT));
            for (Vm vm : g.vms()) {
                int host = vm.host();
                if (vm.bridged()) {
                    antiSpoof.add(rule(ifname("iifname", vm.tapName()) + ",{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\"ether\",\"field\":\"saddr\"}},\"right\":\""
                            + mac(g, host) + "\"}}", "drop", "qf:antispoof:" + vm.name(), Effect.RESTRICT));
                }
            }
        }
        NftChain.Hook fwd = new NftChain.Hook("filter", "forward", 0, "drop");
        List<NftChain> inetChains = new ArrayList<>(List.of(
                new NftChain("forward", Optional.of(fwd), forward),
                new NftChain("input", Optional.of(new NftChain.Hook("filter", "input", 0, "accept")), input)));
        // user-mode VMs, as the realizer dispatches them: `meta skuid vmap { UID : jump user_VM }`, and in user_VM a
        // drop toward the host (its loopback included) and a final drop
        List<Vm> users = groups.stream().flatMap(g -> g.vms().stream()).filter(v -> !v.bridged())
                .sorted(java.util.Comparator.comparingLong(Vm::uid)).toList();
        if (!users.isEmpty()) {
            String entries = String.join(",", users.stream().map(u -> "[" + u.uid() + ",{\"jump\":{\"target\":\"" + userChain(u) + "\"}}]").toList());
            inetChains.add(new NftChain("output", Optional.of(new NftChain.Hook("filter", "output", 0, "accept")), List.of(new NftRule(
                    "[{\"vmap\":{\"key\":{\"meta\":{\"key\":\"skuid\"}},\"data\":{\"set\":[" + entries + "]}}}]", "qf:dispatch", Effect.NEUTRAL))));
            for (Vm u : users) {
                inetChains.add(new NftChain(userChain(u), Optional.empty(), List.of(
                        new NftRule("[{\"match\":{\"op\":\"==\",\"left\":{\"fib\":{\"result\":\"type\",\"flags\":[\"daddr\"]}},\"right\":\"local\"}},{\"drop\":null}]",
                                "qf:user:" + u.name(), Effect.RESTRICT),
                        new NftRule("[{\"drop\":null}]", "qf:user:" + u.name(), Effect.RESTRICT))));
            }
        }
        NftTable inet = new NftTable("inet", "qfence", inetChains, List.of(), List.of());
        NftTable bridge = new NftTable("bridge", "qfence", List.of(
                new NftChain("forward", Optional.of(new NftChain.Hook("filter", "forward", 0, "accept")), antiSpoof)), List.of(), List.of());
        return Firewall.of(List.of(inet, bridge));
    }

    static String userChain(Vm vm) {
        return "user_" + vm.name().replace('-', '_');
    }

    /** What observation returns for a realized firewall: the same rules, but nothing says whether a rule grants. */
    static Firewall asObserved(Firewall f) {
        List<NftTable> tables = new ArrayList<>();
        for (NftTable t : f.tables()) {
            List<NftChain> chains = t.chains().stream().map(c -> new NftChain(c.name(), c.hook(),
                    c.rules().stream().map(r -> new NftRule(r.expr(), r.comment(), Effect.UNKNOWN)).toList())).toList();
            tables.add(new NftTable(t.family(), t.name(), chains, t.sets(), t.counters(), t.unmodelled()));
        }
        return new Firewall(f.address(), tables);
    }

    /** A realization as observation would see it: guests with runtime facts, firewall rules without effects. */
    static List<HostObject> asObserved(List<HostObject> objects) {
        List<HostObject> out = new ArrayList<>();
        for (HostObject o : objects) {
            if (o instanceof Firewall f) {
                out.add(asObserved(f));
            } else if (o instanceof Guest g && g.state() == GuestState.RUNNING) {
                out.add(g.withRuntime(new GuestRuntime(OptionalLong.of(4000 + Math.abs(g.vm().hashCode() % 1000)), Optional.of("running"), Optional.empty())));
            } else if (o instanceof Guest g && g.state() == GuestState.STOPPED) {
                continue; // a stopped guest leaves no process and no pidfile: observation does not see it
            } else {
                out.add(o);
            }
        }
        return out;
    }
}
