package io.qfence.model.desired;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole desired-state directory after loading and validation: every host and every group, plus where it came
 * from ({@code revision} is a Git commit id, or a description such as {@code dir:desired-state} for a working tree).
 * Validation guarantees unique names, resolvable references and the other semantic rules; the constructor only
 * checks what a record can check alone.
 */
public record DesiredState(String revision, List<Host> hosts, List<Group> groups, List<Invariant> invariants) {

    /** A desired state without invariants (no {@code policies/} files). */
    public DesiredState(String revision, List<Host> hosts, List<Group> groups) {
        this(revision, hosts, groups, List.of());
    }

    public DesiredState {
        Objects.requireNonNull(revision, "revision");
        hosts = List.copyOf(hosts);
        groups = List.copyOf(groups);
        invariants = List.copyOf(invariants);
    }

    public Optional<Host> host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    public Optional<Group> group(String name) {
        return groups.stream().filter(g -> g.name().equals(name)).findFirst();
    }

    /** The groups a host runs, in the order the host lists them. */
    public List<Group> groupsOf(Host host) {
        return host.groups().stream().map(this::group).flatMap(Optional::stream).toList();
    }

    /** The hosts that run a group (list it in {@code spec.groups}), in host order. */
    public List<Host> hostsOf(String groupName) {
        return hosts.stream().filter(h -> h.groups().contains(groupName)).toList();
    }

    /**
     * The name of the host a VM runs on: its own {@code host}, else the one host that runs its group; empty when
     * neither says (validation refuses that, and a VM whose host does not run its group: DESIGN.md §20).
     */
    public Optional<String> placement(Group group, Vm vm) {
        if (vm.host().isPresent()) {
            return vm.host();
        }
        List<Host> running = hostsOf(group.name());
        return running.size() == 1 ? Optional.of(running.get(0).name()) : Optional.empty();
    }

    /** Whether the VM runs on the named host. */
    public boolean runsOn(Group group, Vm vm, String hostName) {
        return placement(group, vm).filter(hostName::equals).isPresent();
    }

    /** Whether a group is run by more than one host: its VLAN then carries its layer 2 between them. */
    public boolean spansHosts(String groupName) {
        return hostsOf(groupName).size() > 1;
    }

    /** Finds a VM by its globally unique name, with its group. */
    public Optional<PlacedVm> vm(String vmName) {
        for (Group g : groups) {
            Optional<Vm> vm = g.vm(vmName);
            if (vm.isPresent()) {
                return Optional.of(new PlacedVm(g, vm.get()));
            }
        }
        return Optional.empty();
    }

    /** A VM together with the group it belongs to. */
    public record PlacedVm(Group group, Vm vm) {

        public PlacedVm {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(vm, "vm");
        }

        /** The VM's labels over its group's: a key the VM sets hides the group's value for it. */
        public java.util.Map<String, String> labels() {
            java.util.Map<String, String> all = new java.util.TreeMap<>(group.labels());
            all.putAll(vm.labels());
            return all;
        }
    }

    /** Every VM with its group, in group order then VM order. */
    public List<PlacedVm> placedVms() {
        return groups.stream().flatMap(g -> g.vms().stream().map(v -> new PlacedVm(g, v))).toList();
    }
}
