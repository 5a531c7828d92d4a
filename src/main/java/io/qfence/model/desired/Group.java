package io.qfence.model.desired;

import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.Origin;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A group of VMs that share a network (one bridge, one VLAN, one subnet), a resource budget and a policy.
 * Groups are isolated from each other and from the host unless an exception says otherwise.
 */
public record Group(
        String name,
        int vlan,
        Ipv4Cidr subnet,
        Optional<Ipv6Cidr> subnet6,
        Egress egress,
        IntraGroup intraGroup,
        Limits limits,
        Optional<Bastion> bastion,
        List<FirewallException> allow,
        List<Vm> vms,
        GroupAccess access,
        Map<String, String> labels,
        Origin origin,
        Map<String, Origin> settings) {

    /**
     * The settings whose position {@link #settingOrigin} knows: where a reviewer is sent for a flow that a group
     * setting (not an exception) produced.
     */
    public static final java.util.Set<String> SETTINGS = java.util.Set.of("egress", "intraGroup", "bastion", "bastion.expose");

    /** A group whose settings are located at the group itself (built in code, not read from a file). */
    public Group(String name, int vlan, Ipv4Cidr subnet, Optional<Ipv6Cidr> subnet6, Egress egress, IntraGroup intraGroup,
                 Limits limits, Optional<Bastion> bastion, List<FirewallException> allow, List<Vm> vms, GroupAccess access,
                 Map<String, String> labels, Origin origin) {
        this(name, vlan, subnet, subnet6, egress, intraGroup, limits, bastion, allow, vms, access, labels, origin, Map.of());
    }

    /** A group without labels. */
    public Group(String name, int vlan, Ipv4Cidr subnet, Optional<Ipv6Cidr> subnet6, Egress egress, IntraGroup intraGroup,
                 Limits limits, Optional<Bastion> bastion, List<FirewallException> allow, List<Vm> vms, GroupAccess access, Origin origin) {
        this(name, vlan, subnet, subnet6, egress, intraGroup, limits, bastion, allow, vms, access, Map.of(), origin);
    }

    /** A group without an {@code access} section. */
    public Group(String name, int vlan, Ipv4Cidr subnet, Optional<Ipv6Cidr> subnet6, Egress egress, IntraGroup intraGroup,
                 Limits limits, Optional<Bastion> bastion, List<FirewallException> allow, List<Vm> vms, Origin origin) {
        this(name, vlan, subnet, subnet6, egress, intraGroup, limits, bastion, allow, vms, GroupAccess.NONE, Map.of(), origin);
    }

    public Group {
        Names.requireDnsLabel("group", name);
        if (vlan < 1 || vlan > 4094) {
            throw new IllegalArgumentException("group " + name + ": vlan must be 1..4094, got " + vlan);
        }
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(subnet6, "subnet6");
        Objects.requireNonNull(egress, "egress");
        Objects.requireNonNull(intraGroup, "intraGroup");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(bastion, "bastion");
        allow = List.copyOf(allow);
        vms = List.copyOf(vms);
        Objects.requireNonNull(access, "access");
        labels = Labels.copyOf("group " + name, labels);
        Objects.requireNonNull(origin, "origin");
        settings = Map.copyOf(settings);
        if (!SETTINGS.containsAll(settings.keySet())) {
            throw new IllegalArgumentException("group " + name + ": settings are located by " + new java.util.TreeSet<>(SETTINGS)
                    + ", got " + new java.util.TreeSet<>(settings.keySet()));
        }
    }

    /**
     * Where {@code setting} (one of {@link #SETTINGS}) was written, e.g. {@code groups/web.yaml:11:3} for {@code egress};
     * the group's own position when the file leaves it at its default.
     */
    public Origin settingOrigin(String setting) {
        if (!SETTINGS.contains(setting)) {
            throw new IllegalArgumentException("no group setting " + setting + "; known: " + new java.util.TreeSet<>(SETTINGS));
        }
        return settings.getOrDefault(setting, origin);
    }

    public Optional<Vm> vm(String vmName) {
        return vms.stream().filter(v -> v.name().equals(vmName)).findFirst();
    }
}
