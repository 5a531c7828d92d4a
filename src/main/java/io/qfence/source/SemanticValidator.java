package io.qfence.source;

import io.qfence.model.ByteSize;
import io.qfence.model.DerivedMacs;
import io.qfence.model.Diagnostic;
import io.qfence.model.InterfaceNames;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.MilliCpus;
import io.qfence.model.Origin;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.Confinement;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.Invariant;
import io.qfence.model.desired.InvariantRule;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Selector;
import io.qfence.model.desired.Vm;
import io.qfence.source.DocumentBinder.BoundGroup;
import io.qfence.source.DocumentBinder.BoundHost;
import io.qfence.source.DocumentBinder.GroupIdentity;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules that need more than one value, or more than one file: uniqueness, references, addressing, interface
 * names, budgets. Runs over everything that bound, in file order, and reports every finding.
 *
 * <p>When some file failed to load ({@code complete == false}), the checks that would report a missing object
 * (an unknown VM, a group no host runs) are skipped: the object may well be in the broken file, and a second,
 * misleading error would only hide the real one.
 */
final class SemanticValidator {

    /** VM names that would read as another kind of endpoint in an exception. */
    static final Set<String> RESERVED_VM_NAMES = Set.of("host", "internet");

    private final List<BoundHost> hosts;
    private final List<BoundGroup> groups;
    private final List<GroupIdentity> identities;
    private final boolean complete;
    private final LocalDate today;
    private final List<Diagnostic> out = new ArrayList<>();

    private final Map<String, BoundGroup> groupByName = new HashMap<>();
    private final Map<String, BoundGroup> groupOfVm = new HashMap<>();
    private final Map<String, Vm> vmByName = new HashMap<>();

    private SemanticValidator(List<BoundHost> hosts, List<BoundGroup> groups, List<GroupIdentity> identities, boolean complete,
            LocalDate today) {
        this.hosts = hosts;
        this.groups = groups;
        this.identities = identities;
        this.complete = complete;
        this.today = today;
    }

    /**
     * @param identities the name and VLAN of every group file in which those two bound, including groups that did
     *                   not bind as a whole: names and VLANs are checked for duplicates across all of them
     */
    static List<Diagnostic> validate(List<BoundHost> hosts, List<BoundGroup> groups, List<GroupIdentity> identities, boolean complete,
            LocalDate today) {
        SemanticValidator v = new SemanticValidator(hosts, groups, identities, complete, today);
        v.run();
        return v.out;
    }

    /**
     * The invariants' own rules: names unique over every policy file; the VMs and groups their selectors name exist
     * (checked only when every file bound, as for exceptions); a label no VM carries is a warning, since an invariant
     * about nothing holds vacuously and is most likely a typo. Whether they hold is decided over the reachability
     * relation ({@code realize.InvariantCheck}), by every command that realizes and by validate.
     */
    static List<Diagnostic> validateInvariants(List<Invariant> invariants, List<BoundGroup> groups, boolean complete) {
        List<Diagnostic> out = new ArrayList<>();
        Map<String, Invariant> seen = new HashMap<>();
        for (Invariant inv : invariants) {
            Invariant first = seen.putIfAbsent(inv.name(), inv);
            if (first != null) {
                out.add(Diagnostic.error(inv.origin(), "duplicate invariant name '" + inv.name() + "' (first at " + first.origin() + ")"));
            }
        }
        if (!complete) {
            return out;
        }
        Set<String> groupNames = new HashSet<>();
        Set<String> vmNames = new HashSet<>();
        Set<String> labels = new HashSet<>();
        for (BoundGroup bg : groups) {
            Group g = bg.group();
            groupNames.add(g.name());
            for (Vm vm : g.vms()) {
                vmNames.add(vm.name());
                new DesiredState.PlacedVm(g, vm).labels().forEach((k, v) -> labels.add(k + "=" + v));
            }
        }
        for (Invariant inv : invariants) {
            for (Selector sel : selectors(inv.rule())) {
                if (sel instanceof Selector.VmSelector v && !vmNames.contains(v.vm())) {
                    out.add(Diagnostic.error(inv.origin(), "invariant " + inv.name() + ": unknown VM '" + v.vm() + "'"));
                } else if (sel instanceof Selector.GroupSelector g && !groupNames.contains(g.group())) {
                    out.add(Diagnostic.error(inv.origin(), "invariant " + inv.name() + ": unknown group '" + g.group() + "'"));
                } else if (sel instanceof Selector.LabelSelector l && !labels.contains(l.key() + "=" + l.value())) {
                    out.add(Diagnostic.warning(inv.origin(), "invariant " + inv.name() + ": no VM carries the label "
                            + l.key() + "=" + l.value() + ", so the invariant speaks about nothing"));
                }
            }
        }
        return out;
    }

    private static List<Selector> selectors(InvariantRule rule) {
        if (rule instanceof InvariantRule.Deny d) {
            return List.of(d.from(), d.to());
        } else if (rule instanceof InvariantRule.Only o) {
            List<Selector> all = new ArrayList<>(o.from());
            all.add(0, o.into());
            return all;
        } else if (rule instanceof InvariantRule.Require r) {
            return List.of(r.from(), r.to());
        } else if (rule instanceof InvariantRule.Limit l) {
            return List.of(l.into());
        }
        throw new IllegalStateException("unknown invariant kind " + rule.kind());
    }

    private void run() {
        uniqueNames();
        networks();
        addresses();
        interfaceNames();
        Map<String, List<BoundHost>> hostsOfGroup = placement();
        images();
        for (BoundGroup g : groups) {
            bastion(g);
            access(g);
            exceptions(g);
            budget(g);
        }
        for (BoundHost h : hosts) {
            uplink(h);
            uidRange(h, hostsOfGroup);
            hostPorts(h, hostsOfGroup);
            appArmorPaths(h);
        }
        for (BoundGroup g : groups) {
            appArmorImagePaths(g, hostsOfGroup.getOrDefault(g.group().name(), List.of()));
        }
    }

    // ---- paths that go into an AppArmor profile ----

    /**
     * Where AppArmor may confine the guests ({@code required}, or {@code preferred} on a host that has it), each
     * guest's profile names its binary, run directory and images, and the launcher refuses a path with a character
     * AppArmor would read as a glob, a quote or a separator. That refusal came only when a guest started, after
     * links, firewall and cgroups were in place; checked here, {@code validate} refuses what {@code apply} would.
     */
    static final java.util.regex.Pattern APPARMOR_SAFE_PATH = java.util.regex.Pattern.compile("[A-Za-z0-9._+/-]*");

    private void appArmorPaths(BoundHost h) {
        Host host = h.host();
        if (host.confinement().apparmor() == Confinement.AppArmor.OFF) {
            return;
        }
        appArmorPath(h.marks().value("/spec/qemu/binary"), "qemu.binary", host.qemu().binary(), host);
        appArmorPath(h.marks().value("/spec/runDir"), "runDir", host.runDir(), host);
        appArmorPath(h.marks().value("/spec/imagesRoot"), "imagesRoot", host.imagesRoot(), host);
    }

    private void appArmorImagePaths(BoundGroup g, List<BoundHost> running) {
        List<Vm> vms = g.group().vms();
        for (int i = 0; i < vms.size(); i++) {
            String p = vmPointer(i);
            BoundHost h = hostOf(vms.get(i), running).orElse(null);
            if (h == null || h.host().confinement().apparmor() == Confinement.AppArmor.OFF) {
                continue;
            }
            if (vms.get(i).boot() instanceof BootSource.Disk d) {
                appArmorPath(g.marks().value(p + "/disk/path"), "path", d.path(), h.host());
            } else if (vms.get(i).boot() instanceof BootSource.BaseImage b) {
                appArmorPath(g.marks().value(p + "/disk/base"), "base", b.base(), h.host());
            }
            if (vms.get(i).boot().directKernel().isPresent()) {
                BootSource.Kernel k = vms.get(i).boot().directKernel().get();
                appArmorPath(g.marks().value(p + "/boot/kernel"), "kernel", k.kernel(), h.host());
                if (k.initrd().isPresent()) {
                    appArmorPath(g.marks().value(p + "/boot/initrd"), "initrd", k.initrd().get(), h.host());
                }
            }
        }
    }

    private void appArmorPath(Origin at, String field, String path, Host host) {
        if (!APPARMOR_SAFE_PATH.matcher(path).matches()) {
            error(at, field + ": '" + path + "' cannot go into an AppArmor profile, which host '" + host.name()
                    + "' uses (confinement.apparmor: " + host.confinement().apparmor().name().toLowerCase(java.util.Locale.ROOT)
                    + "); use only letters, digits and . _ + / -");
        }
    }

    // ---- names ----

    private void uniqueNames() {
        Map<String, Origin> hostNames = new HashMap<>();
        for (BoundHost h : hosts) {
            Origin at = h.marks().value("/metadata/name");
            Origin first = hostNames.putIfAbsent(h.host().name(), at);
            if (first != null) {
                error(at, "host name '" + h.host().name() + "' is already used at " + first);
            }
        }
        Map<String, Origin> groupNames = new HashMap<>();
        for (GroupIdentity g : identities) {
            Origin at = g.marks().value("/metadata/name");
            Origin first = groupNames.putIfAbsent(g.name(), at);
            if (first != null) {
                error(at, "group name '" + g.name() + "' is already used at " + first);
            }
        }
        for (BoundGroup g : groups) {
            // the first file with the name, as above; a later one with the same name is only the duplicate
            if (groupNames.get(g.group().name()).equals(g.marks().value("/metadata/name"))) {
                groupByName.put(g.group().name(), g);
            }
        }
        Map<String, Origin> vmNames = new HashMap<>();
        for (BoundGroup g : groups) {
            List<Vm> vms = g.group().vms();
            for (int i = 0; i < vms.size(); i++) {
                Vm vm = vms.get(i);
                Origin at = g.marks().value(vmPointer(i) + "/name");
                if (RESERVED_VM_NAMES.contains(vm.name())) {
                    error(at, "VM name '" + vm.name() + "' is reserved: in firewall exceptions it means the "
                            + vm.name() + " itself");
                    continue;
                }
                Origin first = vmNames.putIfAbsent(vm.name(), at);
                if (first != null) {
                    error(at, "VM name '" + vm.name() + "' is already used at " + first + "; VM names are unique across all groups");
                } else {
                    vmByName.put(vm.name(), vm);
                    groupOfVm.put(vm.name(), g);
                }
            }
        }
    }

    // ---- VLANs and subnets ----

    private void networks() {
        Map<Integer, GroupIdentity> vlans = new HashMap<>();
        for (GroupIdentity g : identities) {
            GroupIdentity first = vlans.putIfAbsent(g.vlan(), g);
            if (first != null) {
                error(g.marks().value("/spec/vlan"), "vlan " + g.vlan() + " is already used by group '"
                        + first.name() + "' at " + first.marks().value("/spec/vlan"));
            }
        }
        List<BoundGroup> seen = new ArrayList<>();
        for (BoundGroup g : groups) {
            Group group = g.group();
            if (group.subnet().prefixLength() > 30) {
                error(g.marks().value("/spec/subnet"), "subnet " + group.subnet()
                        + " leaves no address for VMs: the network, gateway and broadcast addresses are reserved; use /30 or shorter");
            }
            for (BoundGroup other : seen) {
                Ipv4Cidr a = group.subnet();
                Ipv4Cidr b = other.group().subnet();
                if (a.overlaps(b)) {
                    error(g.marks().value("/spec/subnet"), "subnet " + a + " overlaps subnet " + b + " of group '"
                            + other.group().name() + "' at " + other.marks().value("/spec/subnet"));
                }
                if (group.subnet6().isPresent() && other.group().subnet6().isPresent()) {
                    Ipv6Cidr a6 = group.subnet6().get();
                    Ipv6Cidr b6 = other.group().subnet6().get();
                    if (a6.overlaps(b6)) {
                        error(g.marks().value("/spec/subnet6"), "subnet6 " + a6 + " overlaps subnet6 " + b6 + " of group '"
                                + other.group().name() + "' at " + other.marks().value("/spec/subnet6"));
                    }
                }
            }
            seen.add(g);
        }
    }

    // ---- IPs and MACs ----

    private void addresses() {
        Map<Ipv4Address, Origin> ips = new HashMap<>();
        Map<MacAddress, Origin> macs = new HashMap<>();
        for (BoundGroup g : groups) {
            Group group = g.group();
            Ipv4Cidr subnet = group.subnet();
            List<Vm> vms = group.vms();
            for (int i = 0; i < vms.size(); i++) {
                Vm vm = vms.get(i);
                String p = vmPointer(i);
                if (vm.network() == NetworkMode.BRIDGED && vm.ip().isEmpty()) {
                    error(g.marks().value(p), "VM '" + vm.name() + "' is bridged and needs an 'ip' in subnet " + subnet);
                }
                if (vm.network() == NetworkMode.USER && vm.ip().isPresent()) {
                    error(g.marks().key(p + "/ip"), "VM '" + vm.name()
                            + "' uses user-mode networking and must not have an 'ip': QEMU gives the guest its own private address");
                }
                if (vm.ip().isPresent() && vm.network() == NetworkMode.BRIDGED) {
                    Ipv4Address ip = vm.ip().get();
                    Origin at = g.marks().value(p + "/ip");
                    if (!subnet.contains(ip)) {
                        error(at, "ip " + ip + " of VM '" + vm.name() + "' is outside the group's subnet " + subnet);
                    } else if (ip.equals(subnet.network())) {
                        error(at, "ip " + ip + " is the network address of subnet " + subnet);
                    } else if (ip.equals(subnet.broadcast())) {
                        error(at, "ip " + ip + " is the broadcast address of subnet " + subnet);
                    } else if (ip.equals(subnet.gateway())) {
                        error(at, "ip " + ip + " is the gateway address of subnet " + subnet + " (the host's side)");
                    } else {
                        Origin first = ips.putIfAbsent(ip, at);
                        if (first != null) {
                            error(at, "ip " + ip + " is already used at " + first);
                        }
                    }
                }
                MacAddress mac = vm.mac().orElseGet(() -> DerivedMacs.forVm(group.name(), vm.name()));
                Origin macAt = vm.mac().isPresent() ? g.marks().value(p + "/mac") : g.marks().value(p + "/name");
                if (vm.mac().isPresent() && mac.isMulticast()) {
                    error(macAt, "mac " + mac + " is a multicast address; a VM needs a unicast MAC (lowest bit of the first octet clear)");
                } else if (vm.mac().isPresent() && !mac.isLocallyAdministered()) {
                    error(macAt, "mac " + mac + " is not locally administered (second-lowest bit of the first octet); "
                            + "use a 02:xx:xx:xx:xx:xx style address so it cannot clash with real hardware");
                } else {
                    Origin first = macs.putIfAbsent(mac, macAt);
                    if (first != null) {
                        error(macAt, "mac " + mac + (vm.mac().isPresent() ? "" : " (derived for VM '" + vm.name() + "')")
                                + " is already used at " + first);
                    }
                }
            }
        }
    }

    // ---- interface names ----

    private void interfaceNames() {
        record Owner(String ifname, String what, Origin at) {}
        Map<String, Owner> byName = new HashMap<>();
        for (BoundGroup g : groups) {
            List<Owner> wanted = new ArrayList<>();
            wanted.add(new Owner(InterfaceNames.bridge(g.group().name()), "group '" + g.group().name() + "'",
                    g.marks().value("/metadata/name")));
            List<Vm> vms = g.group().vms();
            for (int i = 0; i < vms.size(); i++) {
                if (vms.get(i).network() == NetworkMode.BRIDGED) {
                    wanted.add(new Owner(InterfaceNames.tap(vms.get(i).name()), "VM '" + vms.get(i).name() + "'",
                            g.marks().value(vmPointer(i) + "/name")));
                }
            }
            for (Owner mine : wanted) {
                Owner first = byName.putIfAbsent(mine.ifname(), mine);
                // The same name twice is a duplicate-name error already; only different names that shorten alike are new.
                if (first != null && !first.what().equals(mine.what())) {
                    error(first.at(), "interface name '" + mine.ifname() + "' of " + first.what() + " collides with "
                            + mine.what() + " at " + mine.at() + "; rename one of them");
                    error(mine.at(), "interface name '" + mine.ifname() + "' of " + mine.what() + " collides with "
                            + first.what() + " at " + first.at() + "; rename one of them");
                }
            }
        }
    }

    // ---- which hosts run which group, and where each VM runs (DESIGN.md §20) ----

    /**
     * The hosts that run each group, in host-file order. A group may be listed by several hosts (it then spans them
     * over its VLAN); each of those hosts needs an uplink to carry it, and each VM of it must say which host it runs
     * on, one that lists the group.
     */
    private Map<String, List<BoundHost>> placement() {
        Map<String, List<BoundHost>> hostsOfGroup = new HashMap<>();
        for (BoundHost h : hosts) {
            List<String> names = h.host().groups();
            for (int j = 0; j < names.size(); j++) {
                String name = names.get(j);
                Origin at = h.marks().value("/spec/groups/" + j);
                if (!groupByName.containsKey(name)) {
                    if (complete) {
                        error(at, "unknown group '" + name + "': there is no groups/*.yaml with that name");
                    }
                    continue;
                }
                hostsOfGroup.computeIfAbsent(name, n -> new ArrayList<>()).add(h);
            }
        }
        if (complete) {
            for (BoundGroup g : groups) {
                if (!hostsOfGroup.containsKey(g.group().name()) && groupByName.get(g.group().name()) == g) {
                    error(g.marks().value("/metadata/name"), "group '" + g.group().name()
                            + "' is not run by any host; add it to one host's spec.groups");
                }
            }
        }
        for (Map.Entry<String, List<BoundHost>> e : hostsOfGroup.entrySet()) {
            List<BoundHost> running = e.getValue();
            if (running.size() < 2) {
                continue;
            }
            for (BoundHost h : running) {
                if (h.host().uplink().isEmpty()) {
                    error(h.marks().value("/spec/groups/" + h.host().groups().indexOf(e.getKey())), "group '" + e.getKey()
                            + "' is run by hosts " + hostNames(running) + ", so its VLAN is trunked between them, but host '"
                            + h.host().name() + "' has no uplink; set spec.uplink");
                }
            }
        }
        for (BoundGroup g : groups) {
            if (groupByName.get(g.group().name()) == g) {
                vmPlacement(g, hostsOfGroup.getOrDefault(g.group().name(), List.of()));
            }
        }
        return hostsOfGroup;
    }

    private void vmPlacement(BoundGroup g, List<BoundHost> running) {
        List<Vm> vms = g.group().vms();
        for (int i = 0; i < vms.size(); i++) {
            Vm vm = vms.get(i);
            if (vm.host().isPresent()) {
                String wanted = vm.host().get();
                Origin at = g.marks().value(vmPointer(i) + "/host");
                boolean known = hosts.stream().anyMatch(h -> h.host().name().equals(wanted));
                if (!known) {
                    if (complete) {
                        error(at, "VM '" + vm.name() + "' is placed on host '" + wanted + "', which is not defined in hosts/");
                    }
                } else if (running.stream().noneMatch(h -> h.host().name().equals(wanted))) {
                    error(at, "VM '" + vm.name() + "' is placed on host '" + wanted + "', which does not run group '"
                            + g.group().name() + "'" + (running.isEmpty() ? "" : " (run by " + hostNames(running) + ")")
                            + "; add the group to that host's spec.groups or place the VM on one of its hosts");
                }
            } else if (running.size() > 1) {
                error(g.marks().value(vmPointer(i)), "VM '" + vm.name() + "' needs a 'host': group '" + g.group().name()
                        + "' is run by hosts " + hostNames(running));
            }
        }
    }

    /** The host a VM runs on, if validation can tell: its own field, else its group's only host. */
    private static java.util.Optional<BoundHost> hostOf(Vm vm, List<BoundHost> running) {
        if (vm.host().isPresent()) {
            return running.stream().filter(h -> h.host().name().equals(vm.host().get())).findFirst();
        }
        return running.size() == 1 ? java.util.Optional.of(running.get(0)) : java.util.Optional.empty();
    }

    private static String hostNames(List<BoundHost> running) {
        return String.join(", ", running.stream().map(h -> "'" + h.host().name() + "'").toList());
    }

    // ---- images: bases, overlays and disks (DESIGN.md §17) ----

    /**
     * A base is read by many VMs and written by none; an overlay is one VM's. So a VM's own disk ({@code path}) may
     * not be a base, lie under {@code bases/}, lie under {@code overlays/} (it would be, or could become, another
     * VM's overlay), nor be another VM's disk.
     */
    private void images() {
        Map<String, String> baseUsers = new HashMap<>();
        for (BoundGroup g : groups) {
            for (Vm vm : g.group().vms()) {
                if (vm.boot() instanceof BootSource.BaseImage b) {
                    baseUsers.putIfAbsent(b.base(), vm.name());
                }
            }
        }
        Map<String, String> diskUsers = new HashMap<>();
        for (BoundGroup g : groups) {
            List<Vm> vms = g.group().vms();
            for (int i = 0; i < vms.size(); i++) {
                if (!(vms.get(i).boot() instanceof BootSource.Disk d)) {
                    continue;
                }
                Origin at = g.marks().value(vmPointer(i) + "/disk/path");
                String path = d.path();
                String name = vms.get(i).name();
                if (baseUsers.containsKey(path)) {
                    error(at, "disk path '" + path + "' is VM '" + baseUsers.get(path)
                            + "''s base image: a base is shared and read-only, no VM may write it (use base: for a copy-on-write overlay)");
                } else if (path.startsWith(BootSource.BaseImage.BASES_DIR + "/")) {
                    error(at, "disk path '" + path + "' lies under " + BootSource.BaseImage.BASES_DIR
                            + "/, which holds shared read-only base images; use base: " + path + " for a copy-on-write overlay");
                } else if (path.startsWith(BootSource.BaseImage.OVERLAYS_DIR + "/")) {
                    String owner = path.endsWith(".qcow2") ? path.substring(BootSource.BaseImage.OVERLAYS_DIR.length() + 1, path.length() - 6) : "";
                    error(at, "disk path '" + path + "' lies under " + BootSource.BaseImage.OVERLAYS_DIR
                            + "/, where qfence keeps each VM's own overlay" + (vmByName.containsKey(owner) && !owner.equals(name)
                            ? " (it is VM '" + owner + "''s overlay: an overlay is never shared)" : "") + "; use a path outside it");
                }
                String first = diskUsers.putIfAbsent(path, name);
                if (first != null) {
                    error(at, "disk path '" + path + "' is also VM '" + first + "''s disk: a disk belongs to one VM");
                }
            }
        }
    }

    // ---- access (DESIGN.md §17) ----

    private void access(BoundGroup g) {
        Group group = g.group();
        List<io.qfence.model.desired.GroupAccess.User> users = group.access().users();
        for (int u = 0; u < users.size(); u++) {
            List<String> reach = users.get(u).vms().orElse(List.of());
            for (int j = 0; j < reach.size(); j++) {
                if (group.vm(reach.get(j)).isEmpty() && !g.partial()) {
                    error(g.marks().value("/spec/access/users/" + u + "/vms/" + j), "access user '" + users.get(u).name()
                            + "': '" + reach.get(j) + "' is not a VM of group '" + group.name() + "'");
                }
            }
        }
        if (!users.isEmpty() && group.vms().stream().noneMatch(v -> v.cloudInit().isPresent()) && !g.partial()) {
            warning(g.marks().key("/spec/access"), "access: no VM of group '" + group.name()
                    + "' has cloudInit, so these users are given to no guest");
        }
    }

    // ---- bastion and exposure ----

    private void bastion(BoundGroup g) {
        if (g.group().bastion().isEmpty()) {
            return;
        }
        var bastion = g.group().bastion().get();
        var vm = g.group().vm(bastion.vm());
        if (vm.isEmpty()) {
            if (g.partial()) {
                return; // the bastion may be one of the VMs that did not bind; their errors say why
            }
            error(g.marks().value("/spec/bastion/vm"), "bastion '" + bastion.vm() + "' is not a VM of group '" + g.group().name() + "'");
            return;
        }
        if (bastion.expose().isPresent() && vm.get().network() == NetworkMode.USER) {
            error(g.marks().key("/spec/bastion/expose"), "bastion '" + bastion.vm()
                    + "' uses user-mode networking and cannot be exposed: it has no tap to forward the host port to");
        }
    }

    /** Host ports are per host: a bastion's port is opened on the host its VM runs on. */
    private void hostPorts(BoundHost h, Map<String, List<BoundHost>> hostsOfGroup) {
        Map<Integer, Origin> ports = new HashMap<>();
        for (String name : h.host().groups()) {
            BoundGroup g = groupByName.get(name);
            if (g == null || g.group().bastion().isEmpty() || g.group().bastion().get().expose().isEmpty()) {
                continue;
            }
            java.util.Optional<Vm> bastionVm = g.group().vm(g.group().bastion().get().vm());
            if (bastionVm.isPresent() && hostOf(bastionVm.get(), hostsOfGroup.getOrDefault(name, List.of()))
                    .filter(on -> on == h).isEmpty()) {
                continue;
            }
            int port = g.group().bastion().get().expose().get().hostPort();
            Origin at = g.marks().value("/spec/bastion/expose/hostPort");
            Origin first = ports.putIfAbsent(port, at);
            if (first != null) {
                error(at, "host port " + port + " is already exposed on host '" + h.host().name() + "' at " + first);
            }
        }
    }

    // ---- firewall exceptions ----

    private void exceptions(BoundGroup g) {
        Group group = g.group();
        List<FirewallException> rules = group.allow();
        for (int i = 0; i < rules.size(); i++) {
            FirewallException rule = rules.get(i);
            String p = "/spec/firewall/allow/" + i;
            if (!rule.isActiveOn(today)) {
                warning(g.marks().value(p + "/expires"), "firewall exception expired on " + rule.expires().get()
                        + " and is ignored");
                continue;
            }
            boolean resolved = endpoint(g, rule.from(), p + "/from", false) & endpoint(g, rule.to(), p + "/to", true);
            if (resolved && !involves(group, rule.from()) && !involves(group, rule.to())) {
                error(g.marks().value(p), "exception " + rule.from() + " -> " + rule.to() + " does not involve group '"
                        + group.name() + "': one side must be one of its VMs or group:" + group.name());
            }
        }
    }

    private boolean endpoint(BoundGroup g, Endpoint endpoint, String pointer, boolean destination) {
        Origin at = g.marks().value(pointer);
        if (endpoint instanceof Endpoint.VmRef ref) {
            Vm vm = vmByName.get(ref.vm());
            if (vm == null) {
                if (complete) {
                    error(at, "unknown VM '" + ref.vm() + "'");
                }
                return false;
            }
            if (destination && vm.network() == NetworkMode.USER) {
                error(at, "VM '" + ref.vm() + "' uses user-mode networking and cannot be a destination: it has no address on a group network");
            }
        } else if (endpoint instanceof Endpoint.GroupRef ref) {
            if (!groupByName.containsKey(ref.group())) {
                if (complete) {
                    error(at, "unknown group '" + ref.group() + "'");
                }
                return false;
            }
        }
        return true;
    }

    private boolean involves(Group group, Endpoint endpoint) {
        if (endpoint instanceof Endpoint.VmRef ref) {
            BoundGroup owner = groupOfVm.get(ref.vm());
            return owner != null && owner.group().name().equals(group.name());
        }
        return endpoint instanceof Endpoint.GroupRef ref && ref.group().equals(group.name());
    }

    // ---- budgets ----

    private void budget(BoundGroup g) {
        Group group = g.group();
        List<Vm> vms = group.vms();
        for (int i = 0; i < vms.size(); i++) {
            Vm vm = vms.get(i);
            if (vm.limits().memory().isPresent() && vm.limits().memory().get().compareTo(vm.memory()) < 0) {
                error(g.marks().value(vmPointer(i) + "/limits/memory"), "VM '" + vm.name() + "': memory limit "
                        + vm.limits().memory().get() + " is below its RAM " + vm.memory() + "; it would be killed when it boots");
            }
        }
        if (vms.isEmpty()) {
            return;
        }
        var limits = group.limits();
        if (limits.memory().isPresent()) {
            // Each request is at most 1024Ti plus the overhead, so the sum cannot overflow below 8191 VMs; past that
            // it is saturated, which still compares as "above any limit".
            ByteSize sum = vms.stream().map(Vm::memoryRequest)
                    .reduce((a, b) -> a.bytes() > Long.MAX_VALUE - b.bytes() ? new ByteSize(Long.MAX_VALUE) : a.plus(b)).orElseThrow();
            if (sum.compareTo(limits.memory().get()) > 0) {
                error(g.marks().value("/spec/limits/memory"), "group memory limit " + limits.memory().get()
                        + " is below the sum of its VMs' memory requests, " + sum + " (each VM's RAM plus "
                        + Vm.QEMU_MEMORY_OVERHEAD + " QEMU overhead, or its own limits.memory)");
            }
        }
        if (limits.pids().isPresent()) {
            long sum = vms.stream().mapToLong(Vm::pidsRequest).sum();
            if (sum > limits.pids().getAsLong()) {
                error(g.marks().value("/spec/limits/pids"), "group pids limit " + limits.pids().getAsLong()
                        + " is below the sum of its VMs' pids requests, " + sum + " (" + Vm.DEFAULT_PIDS
                        + " per VM unless its limits.pids says otherwise)");
            }
        }
        if (limits.cpus().isPresent()) {
            MilliCpus sum = vms.stream().map(Vm::cpuRequest).reduce(MilliCpus::plus).orElseThrow();
            if (sum.compareTo(limits.cpus().get()) > 0) {
                warning(g.marks().value("/spec/limits/cpus"), "group cpus limit " + limits.cpus().get()
                        + " is below the sum of its VMs' cpus, " + sum + "; the VMs will be throttled under load");
            }
        }
    }

    // ---- host ----

    private void uplink(BoundHost h) {
        h.host().uplink().ifPresent(u -> {
            if (u.startsWith(InterfaceNames.OWNED_PREFIX)) {
                error(h.marks().value("/spec/uplink"), "uplink '" + u + "' starts with '" + InterfaceNames.OWNED_PREFIX
                        + "', the prefix of qfence's own interfaces; name a physical interface");
            }
        });
    }

    /** uids are allocated per host, over the VMs that run there. */
    private void uidRange(BoundHost h, Map<String, List<BoundHost>> hostsOfGroup) {
        long vms = h.host().groups().stream().map(groupByName::get).filter(g -> g != null)
                .mapToLong(g -> g.group().vms().stream()
                        .filter(vm -> hostOf(vm, hostsOfGroup.getOrDefault(g.group().name(), List.of())).filter(on -> on == h).isPresent())
                        .count()).sum();
        Host host = h.host();
        if (vms > host.vmUidRange().size()) {
            error(h.marks().value("/spec/vmUidRange"), "vmUidRange " + host.vmUidRange().first() + ".." + host.vmUidRange().last()
                    + " holds " + host.vmUidRange().size() + " uids but host '" + host.name() + "' runs " + vms
                    + " VMs; each VM needs its own uid");
        }
    }

    private static String vmPointer(int index) {
        return "/spec/vms/" + index;
    }

    private void error(Origin at, String message) {
        out.add(Diagnostic.error(at, message));
    }

    private void warning(Origin at, String message) {
        out.add(Diagnostic.warning(at, message));
    }
}
