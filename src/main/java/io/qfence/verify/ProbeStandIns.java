package io.qfence.verify;

import io.qfence.model.ByteSize;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.realize.IsolationPolicy;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The desired state with a probe guest in place of every VM of one host: the same name, group, MAC, address, network
 * mode, cgroup limits and stop timeout (hence the same uid, tap and firewall), but booting the probe kernel and
 * initramfs ({@code bin/build-probe-image}) with a command line that tells it its address, gateway and the ports to
 * listen on, and running even where the VM is desired stopped. Everything else is unchanged, so the realization of
 * the result enforces exactly the original policy.
 */
public final class ProbeStandIns {

    public static final String KERNEL = "kernels/vmlinuz";
    public static final String INITRD = "initrds/probe.img";
    /** The probe kernel needs at least 72 MiB (HOST-FACTS); smaller VMs get this much. */
    public static final ByteSize MINIMUM_MEMORY = ByteSize.ofMebibytes(96);

    private ProbeStandIns() {}

    public static DesiredState transform(DesiredState state, String hostName, IsolationPolicy policy, ProbePlan.ProbePorts ports) {
        Host host = state.host(hostName).orElseThrow(() -> new IllegalArgumentException("no host " + hostName));
        List<Group> groups = state.groups().stream()
                .map(g -> host.groups().contains(g.name()) ? probeGroup(g, policy, ports) : g)
                .toList();
        return new DesiredState(state.revision(), state.hosts(), groups);
    }

    private static Group probeGroup(Group g, IsolationPolicy policy, ProbePlan.ProbePorts ports) {
        List<Vm> vms = g.vms().stream().map(vm -> probeVm(g, vm, policy, ports)).toList();
        return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), g.limits(), g.bastion(), g.allow(), vms,
                g.origin());
    }

    private static Vm probeVm(Group g, Vm vm, IsolationPolicy policy, ProbePlan.ProbePorts ports) {
        BootSource boot = new BootSource.Kernel(KERNEL, Optional.of(INITRD), cmdline(g, vm, policy, ports));
        ByteSize memory = vm.memory().bytes() < MINIMUM_MEMORY.bytes() ? MINIMUM_MEMORY : vm.memory();
        return new Vm(vm.name(), vm.cpus(), memory, boot, vm.mac(), vm.ip(), vm.network(), VmState.RUNNING, vm.limits(), vm.stopTimeout(),
                vm.origin());
    }

    /** {@code console=ttyS0 quiet panic=-1 qf.name=web-01 qf.ip=10.10.0.11/24 qf.gw=10.10.0.1 qf.tcp=9,22 qf.udp=9}. */
    static String cmdline(Group g, Vm vm, IsolationPolicy policy, ProbePlan.ProbePorts ports) {
        StringBuilder s = new StringBuilder("console=ttyS0 quiet panic=-1 qf.name=").append(vm.name());
        if (vm.network() == NetworkMode.USER) {
            s.append(" qf.ip=").append(ProbePlan.SLIRP_GUEST).append('/').append(ProbePlan.SLIRP_PREFIX)
                    .append(" qf.gw=").append(ProbePlan.SLIRP_HOST);
        } else {
            s.append(" qf.ip=").append(vm.ip().orElseThrow()).append('/').append(g.subnet().prefixLength());
            if (policy.network(g.name()).map(IsolationPolicy.Network::routed).orElse(false)) {
                s.append(" qf.gw=").append(g.subnet().gateway());
            }
        }
        s.append(" qf.tcp=").append(ports.tcp().stream().map(String::valueOf).collect(Collectors.joining(",")));
        s.append(" qf.udp=").append(ports.udp().stream().map(String::valueOf).collect(Collectors.joining(",")));
        return s.toString();
    }
}
