package io.qfence.realize;

import io.qfence.model.ByteSize;
import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.MilliCpus;
import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import io.qfence.model.desired.Bastion;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.Confinement;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.Exposure;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.QemuSettings;
import io.qfence.model.desired.UidRange;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Capability;
import io.qfence.model.host.HostFacts;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Desired states built in code, for realization tests. */
final class Fixtures {

    static final LocalDate TODAY = LocalDate.of(2026, 3, 1);

    /** This test machine: cgroup v1, bridge netfilter, no 802.1Q, no AppArmor, no KVM. */
    static final HostFacts THIS_MACHINE = new HostFacts(CgroupVersion.V1, EnumSet.of(Capability.BRIDGE, Capability.TUN,
            Capability.VETH, Capability.BR_NETFILTER, Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP,
            Capability.NAMESPACES));

    private Fixtures() {}

    static Origin at(String file, int line) {
        return new Origin(file, line, 3);
    }

    static Host host(String name, List<String> groups) {
        return new Host(name, groups, Optional.empty(), "/var/lib/qfence/images", "/run/qfence", "/var/lib/qfence/state",
                "qfence.slice", new UidRange(200_000, 299_999),
                new QemuSettings("/usr/bin/qemu-system-x86_64", QemuSettings.Accel.TCG, "pc"),
                new Confinement(Confinement.AppArmor.PREFERRED, Confinement.Seccomp.ON), at("hosts/" + name + ".yaml", 1));
    }

    static Host withUplink(Host h, String uplink) {
        return new Host(h.name(), h.groups(), Optional.of(uplink), h.imagesRoot(), h.runDir(), h.stateDir(), h.cgroupParent(),
                h.vmUidRange(), h.qemu(), h.confinement(), h.origin());
    }

    static Host withAppArmor(Host h, Confinement.AppArmor a) {
        return new Host(h.name(), h.groups(), h.uplink(), h.imagesRoot(), h.runDir(), h.stateDir(), h.cgroupParent(),
                h.vmUidRange(), h.qemu(), new Confinement(a, Confinement.Seccomp.ON), h.origin());
    }

    static Host withUidRange(Host h, long first, long last) {
        return new Host(h.name(), h.groups(), h.uplink(), h.imagesRoot(), h.runDir(), h.stateDir(), h.cgroupParent(),
                new UidRange(first, last), h.qemu(), h.confinement(), h.origin());
    }

    static Vm bridged(String name, String ip) {
        return new Vm(name, 1, ByteSize.ofMebibytes(96),
                new BootSource.Kernel("kernels/vmlinuz", Optional.of("kernels/initrd.img"), "console=ttyS0 quiet"),
                Optional.empty(), Optional.of(Ipv4Address.parse(ip)), NetworkMode.BRIDGED, VmState.RUNNING, Limits.NONE,
                Duration.ofSeconds(30), at("groups/" + name + ".yaml", 10));
    }

    static Vm diskVm(String name, String ip) {
        return new Vm(name, 2, ByteSize.ofMebibytes(512), new BootSource.Disk("disks/" + name + ".qcow2", BootSource.DiskFormat.QCOW2),
                Optional.empty(), Optional.of(Ipv4Address.parse(ip)), NetworkMode.BRIDGED, VmState.RUNNING,
                new Limits(Optional.empty(), Optional.empty(), OptionalLong.of(64), OptionalInt.of(200)),
                Duration.ofSeconds(60), at("groups/" + name + ".yaml", 10));
    }

    static Vm userMode(String name) {
        return new Vm(name, 1, ByteSize.ofMebibytes(128), new BootSource.Disk("disks/" + name + ".raw", BootSource.DiskFormat.RAW),
                Optional.empty(), Optional.empty(), NetworkMode.USER, VmState.STOPPED, Limits.NONE, Duration.ofSeconds(30),
                at("groups/" + name + ".yaml", 10));
    }

    static Group group(String name, int vlan, String subnet, Egress egress, IntraGroup intra, List<Vm> vms, FirewallException... allow) {
        return new Group(name, vlan, Ipv4Cidr.parse(subnet), Optional.empty(), egress, intra, Limits.NONE, Optional.empty(),
                Arrays.asList(allow), vms, at("groups/" + name + ".yaml", 1));
    }

    static Group withBastion(Group g, String vm, Exposure exposure) {
        return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), g.limits(),
                Optional.of(new Bastion(vm, Optional.ofNullable(exposure))), g.allow(), g.vms(), g.origin());
    }

    /** {@code g} with {@code vm} as its bastion, unexposed, that may reach port 22 of every VM of the group. */
    static Group withSshBastion(Group g, String vm) {
        return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), g.limits(),
                Optional.of(new Bastion(vm, Optional.empty(), true)), g.allow(), g.vms(), g.origin());
    }

    static Group withSubnet6(Group g, String subnet6) {
        return new Group(g.name(), g.vlan(), g.subnet(), Optional.of(Ipv6Cidr.parse(subnet6)), g.egress(), g.intraGroup(), g.limits(),
                g.bastion(), g.allow(), g.vms(), g.origin());
    }

    static Group withLimits(Group g, Limits limits) {
        return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), limits,
                g.bastion(), g.allow(), g.vms(), g.origin());
    }

    static Group withAllow(Group g, FirewallException... allow) {
        List<FirewallException> all = new ArrayList<>(g.allow());
        all.addAll(Arrays.asList(allow));
        return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), g.limits(),
                g.bastion(), all, g.vms(), g.origin());
    }

    static Group withVms(Group g, List<Vm> vms) {
        return new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(), g.limits(),
                g.bastion(), g.allow(), vms, g.origin());
    }

    static FirewallException allow(String from, String to, Protocol protocol, String... ports) {
        return new FirewallException(Endpoint.parse(from), Endpoint.parse(to), protocol,
                Arrays.stream(ports).map(PortRange::parse).toList(), Optional.empty(), Optional.of("test"), at("groups/x.yaml", 20));
    }

    static FirewallException allowUntil(LocalDate last, String from, String to, Protocol protocol, String... ports) {
        return new FirewallException(Endpoint.parse(from), Endpoint.parse(to), protocol,
                Arrays.stream(ports).map(PortRange::parse).toList(), Optional.of(last), Optional.of("temporary"), at("groups/x.yaml", 30));
    }

    static Exposure expose(int hostPort, int port, String... from) {
        return new Exposure(hostPort, port, Arrays.stream(from).map(Cidr::parse).toList());
    }

    static DesiredState state(Host host, Group... groups) {
        return new DesiredState("0123456789abcdef0123456789abcdef01234567", List.of(host), Arrays.asList(groups));
    }

    /**
     * The small fixed desired state of the golden files: a web tier with a bastion and egress, a database tier with
     * intra-group deny and one replication exception, and a user-mode tools VM.
     */
    static DesiredState small() {
        Group web = group("web", 10, "10.10.0.0/24", Egress.NAT, IntraGroup.ALLOW,
                List.of(bridged("web-01", "10.10.0.11"), bridged("web-02", "10.10.0.12"), bridged("web-bastion", "10.10.0.10")),
                allow("web-01", "db-01", Protocol.TCP, "5432"),
                allow("group:web", "host", Protocol.UDP, "53"),
                allowUntil(LocalDate.of(2026, 1, 31), "web-01", "203.0.113.0/24", Protocol.TCP, "443"));
        web = withSubnet6(withBastion(web, "web-bastion", expose(2201, 22, "192.0.2.0/24", "198.51.100.0/24")), "fd00:10::/64");
        web = withLimits(web, new Limits(Optional.of(MilliCpus.parse("1.5")), Optional.of(ByteSize.parse("2Gi")), OptionalLong.of(512), OptionalInt.empty()));
        Group db = group("db", 20, "10.20.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(diskVm("db-01", "10.20.0.11"), diskVm("db-02", "10.20.0.12")),
                allow("db-01", "db-02", Protocol.TCP, "5432"),
                allow("group:db", "198.51.100.0/24", Protocol.TCP, "873", "8000-8080"));
        Group tools = group("tools", 30, "10.30.0.0/24", Egress.NAT, IntraGroup.DENY, List.of(userMode("tools-01")),
                allow("tools-01", "group:db", Protocol.TCP, "5432"),
                allow("tools-01", "host", Protocol.TCP, "8080"));
        return state(host("hv1", List.of("web", "db", "tools")), web, db, tools);
    }
}
