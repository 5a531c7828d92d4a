package io.qfence.realize;

import io.qfence.model.DerivedMacs;
import io.qfence.model.Diagnostic;
import io.qfence.model.InterfaceNames;
import io.qfence.model.Ipv4Address;
import io.qfence.model.MacAddress;
import io.qfence.model.Origin;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.host.Capability;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.desired.Confinement;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.QemuSettings;
import io.qfence.model.desired.Vm;
import io.qfence.realize.IsolationPolicy.Network;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Realization: the pure function from (desired state, host name, host facts, today) to the complete set of host
 * objects qfence owns on that host, and the isolation policy they enforce. No files, clock, environment or sockets:
 * equal inputs give equal outputs.
 *
 * <p>Conditions that make the desired state impossible on this host throw an {@link InvalidInputException} listing
 * every such error, sorted (the model's words for input that cannot be used, so that every caller reports it as the
 * CLI reports invalid input, one {@code file:line:col: message} per error): the host is unknown; AppArmor is {@code required} but unavailable; an uplink is configured but
 * the kernel lacks {@code CONFIG_VLAN_8021Q}; bridged VMs without {@code CONFIG_BRIDGE_NETFILTER} (intra-group
 * traffic would bypass the firewall); the uid range is too small; and contradictions validation should have caught
 * (a bridged VM without an address or outside its subnet, duplicate addresses, MACs or interface names, a VM on a
 * routed group's gateway address, guest memory not a whole number of MiB). Conditions qfence can work around are
 * {@link Realization#warnings()}.
 */
public final class Realizer {

    private Realizer() {}

    public static Realization realize(DesiredState state, String hostName, HostFacts facts, LocalDate today) {
        Objects.requireNonNull(facts, "facts");
        List<Diagnostic> warnings = new ArrayList<>();
        Host host = host(state, hostName);
        List<Group> groups = groups(state, host, new ArrayList<>());
        Map<String, VmEndpoint> endpoints = new java.util.HashMap<>();
        IsolationPolicy policy = policy(state, host, today, warnings, errors -> checkCapabilities(host, groups, facts, errors, warnings), endpoints);

        boolean apparmor = host.confinement().apparmor() != Confinement.AppArmor.OFF && facts.has(Capability.APPARMOR);
        boolean jail = host.confinement().namespaces() != Confinement.Namespaces.OFF && facts.has(Capability.NAMESPACES);
        java.util.Set<Principal> withFlows = new java.util.HashSet<>();
        policy.flows().forEach(f -> withFlows.add(f.source()));
        List<HostObject> objects = new ArrayList<>();
        objects.addAll(NetworkRealizer.sysctls(policy));
        objects.addAll(NetworkRealizer.links(policy, groups, host.uplink()));
        objects.add(FirewallCompiler.compile(policy));
        boolean ioWeight = facts.has(Capability.CGROUP_IO_WEIGHT);
        for (Group g : groups) {
            objects.add(CgroupRealizer.group(host.cgroupParent(), g.name(), g.limits(), facts.cgroupVersion(), ioWeight));
            CgroupRealizer.ioWeightWarning(g.limits(), g.origin(), "group " + g.name(), ioWeight).ifPresent(warnings::add);
            for (Vm vm : local(state, host, g)) {
                objects.add(CgroupRealizer.vm(host.cgroupParent(), g.name(), vm, facts.cgroupVersion(), ioWeight));
                CgroupRealizer.ioWeightWarning(vm.limits(), vm.origin(), "vm " + vm.name(), ioWeight).ifPresent(warnings::add);
                CgroupRealizer.memoryWarning(vm).ifPresent(warnings::add);
                VmEndpoint ep = endpoints.get(vm.name());
                boolean restrict = !ep.bridged() && !withFlows.contains(ep.principal());
                boolean routed = ep.bridged() && policy.network(g.name()).map(IsolationPolicy.Network::routed).orElse(false);
                objects.add(GuestRealizer.guest(host, g, vm, ep,
                        CgroupRealizer.vmPath(host.cgroupParent(), g.name(), vm.name()), restrict, apparmor, jail,
                        routed, SeedRealizer.dns(policy, ep, g.subnet(), routed)));
            }
        }
        return new Realization(host.name(), state.revision(), facts, objects, policy, warnings);
    }

    private static void checkCapabilities(Host host, List<Group> groups, HostFacts facts, List<Diagnostic> errors, List<Diagnostic> warnings) {
        Confinement.AppArmor apparmor = host.confinement().apparmor();
        if (!facts.has(Capability.APPARMOR) && apparmor == Confinement.AppArmor.REQUIRED) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name()
                    + ": confinement.apparmor is required, but AppArmor is not available on this host (needs "
                    + Capability.APPARMOR.requirement() + ")"));
        } else if (!facts.has(Capability.APPARMOR) && apparmor == Confinement.AppArmor.PREFERRED) {
            warnings.add(Diagnostic.warning(host.origin(), "host " + host.name()
                    + ": AppArmor is preferred but not available on this host; guests run confined by seccomp and their own uid only"));
        }
        Confinement.Namespaces namespaces = host.confinement().namespaces();
        if (!facts.has(Capability.NAMESPACES) && namespaces == Confinement.Namespaces.REQUIRED) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name()
                    + ": confinement.namespaces is required, but the kernel cannot jail guests (needs "
                    + Capability.NAMESPACES.requirement() + ")"));
        } else if (!facts.has(Capability.NAMESPACES) && namespaces == Confinement.Namespaces.PREFERRED) {
            warnings.add(Diagnostic.warning(host.origin(), "host " + host.name()
                    + ": the guest jail is preferred but the kernel lacks its namespaces; guests see the host's file system"));
        }
        if (host.uplink().isPresent() && !groups.isEmpty() && !facts.has(Capability.VLAN_8021Q)) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name() + ": uplink " + host.uplink().get()
                    + " carries the groups' VLANs, but the kernel has no 802.1Q support (enable "
                    + Capability.VLAN_8021Q.requirement() + ")"));
        }
        boolean bridged = groups.stream().flatMap(g -> g.vms().stream()).anyMatch(v -> v.network() == NetworkMode.BRIDGED);
        // (every VM of the host's groups, local or not: a group's bridge carries its remote VMs' traffic too)
        if (bridged && !facts.has(Capability.BR_NETFILTER)) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name()
                    + ": bridged VMs need bridge netfilter, or traffic between VMs of one group bypasses the firewall (enable "
                    + Capability.BR_NETFILTER.requirement() + ")"));
        }
        // What every apply would otherwise learn only after the firewall and cgroups were in place (the first tap, the
        // bridge table, the seccomp check of the first guest): refused when planning, before any change.
        if (!groups.isEmpty() && !facts.has(Capability.NFT_INET)) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name() + ": qfence's firewall needs nftables' inet family (enable "
                    + Capability.NFT_INET.requirement() + ")"));
        }
        for (Capability needed : List.of(Capability.BRIDGE, Capability.TUN, Capability.NFT_BRIDGE)) {
            if (bridged && !facts.has(needed)) {
                errors.add(Diagnostic.error(host.origin(), "host " + host.name() + ": bridged VMs need "
                        + (needed == Capability.NFT_BRIDGE ? "nftables' bridge family, where their anti-spoofing lives" : needed == Capability.TUN
                                ? "tap devices" : "Linux bridges") + " (enable " + needed.requirement() + ")"));
            }
        }
        boolean guests = groups.stream().anyMatch(g -> !g.vms().isEmpty());
        if (guests && !facts.has(Capability.SECCOMP)) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name() + ": guests run under QEMU's seccomp sandbox (enable "
                    + Capability.SECCOMP.requirement() + ")"));
        }
        if (host.qemu().accel() == QemuSettings.Accel.KVM && !facts.has(Capability.KVM)) {
            warnings.add(Diagnostic.warning(host.origin(), "host " + host.name()
                    + ": qemu.accel is kvm, but KVM is not known to work on this host; guests will fail to start without "
                    + Capability.KVM.requirement()));
        }
    }

    /** Addresses, MACs, uids and taps of every VM, checked for the contradictions that would break isolation. */
    /**
     * The isolation policy alone, which host facts do not change (they change how it is rendered): what invariants
     * are evaluated over for every host of a desired state ({@code InvariantCheck.relationOf}). Refuses exactly what
     * {@link #realize} refuses about the policy (unknown host or group, a broken VM table, gateway clashes).
     */
    public static IsolationPolicy policy(DesiredState state, String hostName, LocalDate today) {
        return policy(state, host(state, hostName), today, new ArrayList<>(), errors -> { }, new java.util.HashMap<>());
    }

    private static Host host(DesiredState state, String hostName) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(hostName, "hostName");
        return state.host(hostName).orElseThrow(() -> refused(List.of(Diagnostic.error(new Origin("hosts/", 0, 0),
                "no host named '" + hostName + "' in the desired state at " + state.revision()))));
    }

    private static List<Group> groups(DesiredState state, Host host, List<Diagnostic> errors) {
        List<Group> groups = new ArrayList<>();
        for (String name : host.groups()) {
            state.group(name).ifPresentOrElse(groups::add, () -> errors.add(Diagnostic.error(host.origin(),
                    "host " + host.name() + " lists group " + name + ", which is not defined")));
        }
        groups.sort(Comparator.comparing(Group::name));
        return groups;
    }

    /** @param capabilities adds the errors host facts cause (none for {@link #policy(DesiredState, String, LocalDate)}) */
    private static IsolationPolicy policy(DesiredState state, Host host, LocalDate today, List<Diagnostic> warnings,
            java.util.function.Consumer<List<Diagnostic>> capabilities, Map<String, VmEndpoint> endpointsOut) {
        Objects.requireNonNull(today, "today");
        List<Diagnostic> errors = new ArrayList<>();
        List<Group> groups = groups(state, host, errors);
        capabilities.accept(errors);
        Map<String, VmEndpoint> endpoints = endpoints(state, host, groups, errors);
        Map<String, IsolationPolicy.RemoteVm> remote = remoteVms(state, host, groups);
        if (!errors.isEmpty()) {
            // The policy would be built on a broken VM table; report what is known instead of cascading.
            throw refused(errors);
        }
        IsolationPolicy policy = new PolicyBuilder(state, groups, endpoints, remote, today, warnings, errors).build();
        checkGateways(policy, groups, errors);
        if (!errors.isEmpty()) {
            throw refused(errors);
        }
        endpointsOut.putAll(endpoints);
        return policy;
    }

    /** The VMs of a group that run on this host (DESIGN.md §20): all of them while one host runs the group. */
    static List<Vm> local(DesiredState state, Host host, Group g) {
        return g.vms().stream().filter(v -> state.runsOn(g, v, host.name())).toList();
    }

    /**
     * The bridged VMs of this host's groups that run elsewhere, reached over the group's VLAN. Only with an uplink:
     * without one there is no trunk (validation requires an uplink on every host of a group that spans hosts).
     */
    private static Map<String, IsolationPolicy.RemoteVm> remoteVms(DesiredState state, Host host, List<Group> groups) {
        Map<String, IsolationPolicy.RemoteVm> remote = new LinkedHashMap<>();
        if (host.uplink().isEmpty()) {
            return remote;
        }
        for (Group g : groups) {
            for (Vm vm : g.vms()) {
                Optional<String> on = state.placement(g, vm);
                if (on.isPresent() && !on.get().equals(host.name()) && vm.network() == NetworkMode.BRIDGED && vm.ip().isPresent()) {
                    remote.put(vm.name(), new IsolationPolicy.RemoteVm(vm.name(), g.name(), on.get(), vm.ip().get(),
                            vm.mac().orElse(DerivedMacs.forVm(g.name(), vm.name())), InterfaceNames.vlan(g.vlan())));
                }
            }
        }
        return remote;
    }

    private static Map<String, VmEndpoint> endpoints(DesiredState state, Host host, List<Group> groups, List<Diagnostic> errors) {
        List<String> keys = new ArrayList<>();
        groups.forEach(g -> local(state, host, g).forEach(v -> keys.add(g.name() + "/" + v.name())));
        Map<String, Long> uids;
        try {
            uids = UidAllocator.allocate(host.vmUidRange(), keys);
        } catch (IllegalArgumentException e) {
            errors.add(Diagnostic.error(host.origin(), "host " + host.name() + ": " + e.getMessage()));
            return Map.of();
        }
        Map<String, VmEndpoint> endpoints = new LinkedHashMap<>();
        Map<String, String> linkNames = new HashMap<>();
        Map<MacAddress, String> macs = new HashMap<>();
        for (Group g : groups) {
            claim(linkNames, InterfaceNames.bridge(g.name()), "group " + g.name(), g.origin(), errors);
            host.uplink().ifPresent(u -> claim(linkNames, InterfaceNames.vlan(g.vlan()), "the VLAN of group " + g.name(), g.origin(), errors));
            Map<Ipv4Address, String> addresses = new HashMap<>();
            for (Vm vm : local(state, host, g)) {
                if (endpoints.containsKey(vm.name())) {
                    errors.add(Diagnostic.error(vm.origin(), "vm " + vm.name() + " is defined twice on host " + host.name()));
                    continue;
                }
                GuestRealizer.memoryProblem(vm).ifPresent(m -> errors.add(Diagnostic.error(vm.origin(), m)));
                MacAddress mac = vm.mac().orElse(DerivedMacs.forVm(g.name(), vm.name()));
                String previous = macs.putIfAbsent(mac, vm.name());
                if (previous != null) {
                    errors.add(Diagnostic.error(vm.origin(), "vm " + vm.name() + " has MAC " + mac + ", which vm " + previous + " already uses"));
                }
                Optional<String> tap = Optional.empty();
                Optional<Ipv4Address> ip = Optional.empty();
                if (vm.network() == NetworkMode.BRIDGED) {
                    if (vm.ip().isEmpty()) {
                        errors.add(Diagnostic.error(vm.origin(), "vm " + vm.name() + " is bridged and needs an ip in " + g.subnet()));
                        continue;
                    }
                    Ipv4Address a = vm.ip().get();
                    if (!g.subnet().contains(a) || a.equals(g.subnet().network()) || a.equals(g.subnet().broadcast())) {
                        errors.add(Diagnostic.error(vm.origin(), "vm " + vm.name() + ": ip " + a + " is not a host address of its group's subnet " + g.subnet()));
                    }
                    String other = addresses.putIfAbsent(a, vm.name());
                    if (other != null) {
                        errors.add(Diagnostic.error(vm.origin(), "vm " + vm.name() + ": ip " + a + " is already used by vm " + other));
                    }
                    ip = Optional.of(a);
                    tap = Optional.of(InterfaceNames.tap(vm.name()));
                    claim(linkNames, tap.get(), "vm " + vm.name(), vm.origin(), errors);
                }
                endpoints.put(vm.name(), new VmEndpoint(vm.name(), g.name(), vm.network(), ip, mac,
                        uids.get(g.name() + "/" + vm.name()), tap));
            }
        }
        return endpoints;
    }

    private static void claim(Map<String, String> names, String name, String owner, Origin origin, List<Diagnostic> errors) {
        String other = names.putIfAbsent(name, owner);
        if (other != null) {
            errors.add(Diagnostic.error(origin, owner + " needs interface " + name + ", which " + other + " already uses"));
        }
    }

    /** A routed group's bridge takes the first address of its subnet; no VM may use it. */
    private static void checkGateways(IsolationPolicy policy, List<Group> groups, List<Diagnostic> errors) {
        for (Network n : policy.networks()) {
            if (!n.routed()) {
                continue;
            }
            Group g = groups.stream().filter(x -> x.name().equals(n.group())).findFirst().orElseThrow();
            for (VmEndpoint v : policy.bridgedMembers(n.group())) {
                if (v.ip().orElseThrow().equals(n.subnet().gateway())) {
                    Origin at = g.vm(v.name()).map(Vm::origin).orElse(g.origin());
                    errors.add(Diagnostic.error(at, "vm " + v.name() + " uses " + n.subnet().gateway()
                            + ", the gateway address of group " + n.group() + "'s bridge; choose another address"));
                }
            }
        }
    }

    /** Every error at once, sorted by place, so that an operator fixes them in one round. */
    private static InvalidInputException refused(List<Diagnostic> errors) {
        return new InvalidInputException(errors.stream().sorted().toList());
    }
}
