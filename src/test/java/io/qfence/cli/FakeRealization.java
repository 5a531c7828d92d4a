package io.qfence.cli;

import io.qfence.model.InterfaceNames;
import io.qfence.model.PortRange;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.model.host.Sysctl;
import io.qfence.plan.diff.FlowEntry;
import io.qfence.plan.diff.FlowSet;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A small stand-in for realization, so that the {@code plan} and {@code diff} commands can be tested before the
 * real realizer is wired in: the same kinds of objects with the same addresses, and one flow per VM pair an
 * exception (or an open group) allows.
 */
final class FakeRealization implements HostRealization {

    @Override
    public Realized realize(DesiredState state, String hostName, HostFacts facts, LocalDate today) {
        Host host = state.host(hostName).orElseThrow();
        List<Group> groups = state.groupsOf(host);
        List<HostObject> objects = new ArrayList<>();
        List<NftRule> forward = new ArrayList<>();
        List<FlowEntry> flows = new ArrayList<>();
        objects.add(Sysctl.of("net.bridge.bridge-nf-call-iptables", "1"));
        long uid = host.vmUidRange().first();
        for (Group g : groups) {
            String bridge = InterfaceNames.bridge(g.name());
            objects.add(new Link(Addresses.bridge(g.name()), LinkKind.BRIDGE, bridge, Optional.empty(), Optional.empty(), 1500, true, List.of(),
                    OptionalLong.empty(), OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty()));
            String groupPath = host.cgroupParent() + "/" + g.name();
            objects.add(new Cgroup(Addresses.groupCgroup(g.name()), groupPath, facts.cgroupVersion(),
                    new TreeMap<>(Map.of("pids.max", g.limits().pids().isPresent() ? Long.toString(g.limits().pids().getAsLong()) : "max"))));
            for (Vm vm : g.vms()) {
                uid++;
                boolean bridged = vm.network() == NetworkMode.BRIDGED;
                String tap = InterfaceNames.tap(vm.name());
                if (bridged) {
                    objects.add(new Link(Addresses.tap(g.name(), vm.name()), LinkKind.TAP, tap, Optional.of(bridge), Optional.empty(), 1500, true,
                            List.of(), OptionalLong.of(uid), OptionalLong.of(uid), OptionalInt.empty(), Optional.empty(), Optional.empty()));
                }
                String vmPath = groupPath + "/" + vm.name();
                objects.add(new Cgroup(Addresses.vmCgroup(g.name(), vm.name()), vmPath, facts.cgroupVersion(),
                        new TreeMap<>(Map.of("memory.max", Long.toString(vm.memory().bytes() + 224L * 1024 * 1024)))));
                List<String> argv = List.of(host.qemu().binary(), "-m", vm.memory().toString(), "-smp", Integer.toString(vm.cpus()));
                String run = host.runDir() + "/" + vm.name();
                objects.add(new Guest(Addresses.vm(g.name(), vm.name()), vm.name(), g.name(), uid, uid, argv,
                        Integer.toHexString(argv.hashCode()), new TreeMap<>(Map.of("memory", vm.memory().toString(), "cpus", Integer.toString(vm.cpus()))),
                        vm.state() == VmState.RUNNING ? GuestState.RUNNING : GuestState.STOPPED,
                        new GuestLaunch(run, run + "/qmp.sock", run + "/serial.sock", run + "/serial.log", run + "/qemu.pid", List.of(), vmPath,
                                bridged ? Optional.of(tap) : Optional.empty(), vm.stopTimeout()),
                        GuestRuntime.NONE));
            }
            if (g.intraGroup() == IntraGroup.ALLOW) {
                for (Vm a : g.vms()) {
                    for (Vm b : g.vms()) {
                        if (a != b) {
                            flows.add(new FlowEntry(a.name(), b.name(), "any", ""));
                        }
                    }
                }
            }
            int i = 0;
            for (FirewallException e : g.allow()) {
                if (!e.isActiveOn(today)) {
                    continue;
                }
                forward.add(new NftRule("[{\"accept\":null}]", "qf:exception:" + g.name() + ":" + i++, NftRule.Effect.GRANT));
                String ports = e.ports().stream().map(PortRange::toString).collect(Collectors.joining(","));
                for (String from : principals(state, e.from())) {
                    for (String to : principals(state, e.to())) {
                        if (!from.equals(to)) {
                            flows.add(new FlowEntry(from, to, e.protocol().keyword(), ports));
                        }
                    }
                }
            }
            forward.add(new NftRule("[{\"drop\":null}]", "qf:drop:" + g.name(), NftRule.Effect.RESTRICT));
        }
        objects.add(Firewall.of(List.of(new NftTable("inet", "qfence",
                List.of(new NftChain("forward", Optional.of(new NftChain.Hook("filter", "forward", 0, "drop")), forward)), List.of(), List.of()))));
        return new Realized(objects, FlowSet.of(flows), List.of());
    }

    private static List<String> principals(DesiredState state, Endpoint e) {
        if (e instanceof Endpoint.GroupRef g) {
            return state.group(g.group()).map(x -> x.vms().stream().map(Vm::name).toList()).orElse(List.of());
        }
        return List.of(e.toString());
    }
}
