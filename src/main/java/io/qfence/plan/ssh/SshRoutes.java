package io.qfence.plan.ssh;

import io.qfence.model.desired.Bastion;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Exposure;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.plan.diff.FlowSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The way in to a VM, computed from the desired state and from the flows its realized policy allows (never from the
 * YAML alone): a client reaches the host's exposed port, which the firewall forwards to the bastion's SSH server,
 * and the bastion opens the connection to port 22 of the VM (OpenSSH's ProxyJump). A VM the policy does not let the
 * bastion reach on TCP 22 gets a {@link NoWayIn} with the reason, never a route that would time out.
 */
public final class SshRoutes {

    /** The port the bastion reaches on a VM (its SSH server). */
    public static final int SSH_PORT = 22;

    private SshRoutes() {}

    /** A route, or why there is none. */
    public sealed interface Answer permits Route, NoWayIn {
        String vm();
    }

    /**
     * @param vm          the VM to reach
     * @param address     its IPv4 address (what the bastion connects to)
     * @param bastion     the group's bastion; equal to {@code vm} when the VM is the bastion itself (no jump)
     * @param host        the host that runs the group, and whose {@code hostPort} is forwarded to the bastion
     * @param hostPort    the exposed TCP port of the host
     */
    public record Route(String vm, String group, String address, String bastion, String host, int hostPort) implements Answer {
        public Route {
            Objects.requireNonNull(vm, "vm");
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(bastion, "bastion");
            Objects.requireNonNull(host, "host");
            if (hostPort < 1 || hostPort > 65535) {
                throw new IllegalArgumentException("hostPort is 1..65535, got " + hostPort);
            }
        }

        public boolean direct() {
            return vm.equals(bastion);
        }
    }

    public record NoWayIn(String vm, String reason) implements Answer {
        public NoWayIn {
            Objects.requireNonNull(vm, "vm");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Every VM of the desired state, by name: routes and refusals. */
    public static List<Answer> all(DesiredState state, FlowSet flows) {
        List<Answer> out = new ArrayList<>();
        state.groups().stream().sorted(Comparator.comparing(Group::name))
                .forEach(g -> g.vms().stream().sorted(Comparator.comparing(Vm::name)).forEach(v -> out.add(route(state, flows, v.name()))));
        return List.copyOf(out);
    }

    /**
     * @param flows the reachability of the realized policy of every host ({@code FlowSets.from}), which decides
     *              whether the bastion reaches the VM
     */
    public static Answer route(DesiredState state, FlowSet flows, String vmName) {
        Optional<DesiredState.PlacedVm> placed = state.vm(vmName);
        if (placed.isEmpty()) {
            return new NoWayIn(vmName, "no VM named " + vmName + " in the desired state");
        }
        Group g = placed.get().group();
        Vm vm = placed.get().vm();
        Optional<Host> host = state.hosts().stream().filter(h -> h.groups().contains(g.name())).findFirst();
        if (host.isEmpty()) {
            return new NoWayIn(vmName, "group " + g.name() + " is run by no host");
        }
        if (g.bastion().isEmpty()) {
            return new NoWayIn(vmName, "group " + g.name() + " has no bastion");
        }
        Bastion b = g.bastion().get();
        if (b.expose().isEmpty()) {
            return new NoWayIn(vmName, "group " + g.name() + "'s bastion " + b.vm() + " is not exposed on a host port (bastion.expose)");
        }
        Exposure e = b.expose().get();
        String bastionVm = "vm:" + b.vm();
        boolean exposed = flows.entries().stream()
                .anyMatch(f -> f.destination().equals(bastionVm + " via host tcp " + e.hostPort()) && f.source().startsWith("outside:"));
        if (!exposed) {
            return new NoWayIn(vmName, "the exposure of bastion " + b.vm() + " on host port " + e.hostPort()
                    + " admits no IPv4 source, so nothing reaches it");
        }
        Optional<Vm> bastion = g.vms().stream().filter(v -> v.name().equals(b.vm())).findFirst();
        if (bastion.isEmpty() || bastion.get().state() != VmState.RUNNING) {
            return new NoWayIn(vmName, "bastion " + b.vm() + " of group " + g.name() + " is stopped in the desired state");
        }
        if (vm.name().equals(b.vm())) {
            return new Route(vm.name(), g.name(), vm.ip().map(Object::toString).orElse(""), b.vm(), host.get().name(), e.hostPort());
        }
        if (vm.state() != VmState.RUNNING) {
            return new NoWayIn(vmName, vmName + " is stopped in the desired state");
        }
        if (vm.network() != io.qfence.model.desired.NetworkMode.BRIDGED || vm.ip().isEmpty()) {
            return new NoWayIn(vmName, vmName + " uses user-mode networking: no connection can be opened to it");
        }
        if (!flows.allows(bastionVm, "vm:" + vm.name(), "tcp", SSH_PORT)) {
            return new NoWayIn(vmName, "the policy does not let bastion " + b.vm() + " reach " + vmName + " on TCP " + SSH_PORT
                    + " (group " + g.name() + ": intraGroup " + (g.intraGroup() == IntraGroup.ALLOW ? "allow" : "deny")
                    + ", bastion.sshToGroup " + b.sshToGroup() + ", and no exception allows it); set bastion.sshToGroup: true"
                    + " in groups/" + g.name() + ".yaml to allow it");
        }
        return new Route(vm.name(), g.name(), vm.ip().get().toString(), b.vm(), host.get().name(), e.hostPort());
    }
}
