package io.qfence.source;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.ByteSize;
import io.qfence.model.Cidr;
import io.qfence.model.ControlCharacters;
import io.qfence.model.Diagnostic;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.MilliCpus;
import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import io.qfence.model.desired.GroupAccess;
import io.qfence.model.desired.Bastion;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.CloudInit;
import io.qfence.model.desired.Confinement;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.Exposure;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Invariant;
import io.qfence.model.desired.InvariantRule;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.QemuSettings;
import io.qfence.model.desired.RelativePaths;
import io.qfence.model.desired.Selector;
import io.qfence.model.desired.SshPublicKey;
import io.qfence.model.desired.Traffic;
import io.qfence.model.desired.UidRange;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Binds a schema-valid document to the model records. The schema has already checked shapes, types and ranges;
 * what is left here is what a regular expression cannot say (an IPv4 octet above 255, host bits in a CIDR, a 30th
 * of February, a path with {@code ..}, a control character, guest RAM that is not a whole number of MiB) and what the
 * records refuse. Every such problem becomes a diagnostic at the value that caused it, and binding goes on, so that
 * one run reports all of them.
 *
 * <p>Binding also runs on a document that failed the schema: the values the schema refused ({@link #schemaRefused})
 * are skipped silently (their diagnostic is already there), and everything else is still checked, so that a schema
 * error in one field never hides a binding error in another. Failures are counted per object: a broken VM or
 * exception drops that VM or exception only. A group whose own fields bound but some of whose VMs or exceptions did
 * not is returned as {@linkplain BoundGroup#partial() partial}, for the cross-file checks; a host or group with any
 * problem never becomes part of a {@link io.qfence.model.desired.DesiredState}, because the loader reports errors
 * instead.
 */
final class DocumentBinder {

    static final String DEFAULT_QEMU_BINARY = "/usr/bin/qemu-system-x86_64";
    static final String DEFAULT_MACHINE = "q35";

    private final ParsedDocument doc;
    private final MarkIndex marks;
    private final List<Diagnostic> diagnostics;
    private final Set<String> schemaRefused;
    /** Every problem so far, reported here or skipped because the schema reported it; objects compare before and after. */
    private int failures;

    private DocumentBinder(ParsedDocument doc, Set<String> schemaRefused, List<Diagnostic> diagnostics) {
        this.doc = doc;
        this.marks = doc.marks();
        this.diagnostics = diagnostics;
        this.schemaRefused = schemaRefused;
    }

    /** A bound host together with the marks of its file, so that later checks can point into it. */
    record BoundHost(Host host, MarkIndex marks) {}

    /**
     * A bound group together with the marks of its file. {@code partial}: some of its VMs or exceptions did not bind
     * and are missing from {@code group}, so a check that misses one of them must stay silent.
     */
    record BoundGroup(Group group, MarkIndex marks, boolean partial) {
        BoundGroup(Group group, MarkIndex marks) {
            this(group, marks, false);
        }
    }

    /**
     * A group's name and VLAN, known even when the rest of the group did not bind (a {@code /33} subnet, say), so that
     * a duplicate name or VLAN is still reported in the same run.
     */
    record GroupIdentity(String name, int vlan, MarkIndex marks) {}

    /** Binds a host document; empty when anything in it failed (the reasons are in {@code diagnostics}). */
    static Optional<BoundHost> bindHost(ParsedDocument doc, Set<String> schemaRefused, List<Diagnostic> diagnostics) {
        DocumentBinder b = new DocumentBinder(doc, schemaRefused, diagnostics);
        Host host = b.host();
        return b.failures > 0 || host == null ? Optional.empty() : Optional.of(new BoundHost(host, doc.marks()));
    }

    /**
     * Binds a group document. Empty when the group itself cannot be built (its name, VLAN or subnet failed);
     * partial when only some of its VMs or exceptions failed. Either way the reasons are in {@code diagnostics}.
     */
    static Optional<BoundGroup> bindGroup(ParsedDocument doc, Set<String> schemaRefused, List<Diagnostic> diagnostics,
            List<GroupIdentity> identities) {
        DocumentBinder b = new DocumentBinder(doc, schemaRefused, diagnostics);
        Group group = b.group();
        if (b.groupName != null && b.groupVlan != null) {
            identities.add(new GroupIdentity(b.groupName, b.groupVlan, doc.marks()));
        }
        return group == null ? Optional.empty() : Optional.of(new BoundGroup(group, doc.marks(), b.failures > 0));
    }

    /**
     * Binds a policy document's invariants into {@code out}. A broken invariant drops only itself; returns whether
     * every invariant bound.
     */
    static boolean bindPolicy(ParsedDocument doc, Set<String> schemaRefused, List<Diagnostic> diagnostics, List<Invariant> out) {
        DocumentBinder b = new DocumentBinder(doc, schemaRefused, diagnostics);
        b.text("/metadata/name");
        for (String item : b.items("/spec/invariants")) {
            Invariant inv = b.invariant(item);
            if (inv != null) {
                out.add(inv);
            }
        }
        return b.failures == 0;
    }

    private String groupName;
    private Integer groupVlan;

    // ---- policy ----

    private Invariant invariant(String p) {
        int before = failures;
        if (unusable(p)) {
            failures++;
            return null;
        }
        String name = text(p + "/name");
        String reason = text(p + "/reason");
        InvariantRule rule = null;
        if (!node(p + "/deny").isMissingNode()) {
            String d = p + "/deny";
            Selector from = selector(d + "/from");
            Selector to = selector(d + "/to");
            Traffic traffic = traffic(d);
            rule = failures > before ? null : construct(d, () -> new InvariantRule.Deny(from, to, traffic));
        } else if (!node(p + "/only").isMissingNode()) {
            String o = p + "/only";
            Selector into = selector(o + "/into");
            List<Selector> from = new ArrayList<>();
            for (String item : items(o + "/from")) {
                Selector sel = selector(item);
                if (sel != null) {
                    from.add(sel);
                }
            }
            Traffic traffic = traffic(o);
            rule = failures > before ? null : construct(o, () -> new InvariantRule.Only(into, from, traffic));
        } else if (!node(p + "/require").isMissingNode()) {
            String r = p + "/require";
            Selector from = selector(r + "/from");
            Selector to = selector(r + "/to");
            Traffic traffic = traffic(r);
            rule = failures > before ? null : construct(r, () -> new InvariantRule.Require(from, to, traffic));
        } else if (!node(p + "/limit").isMissingNode()) {
            String l = p + "/limit";
            Selector into = selector(l + "/into");
            Integer max = parse(l + "/max", JsonNode::asInt);
            rule = failures > before ? null : construct(l, () -> new InvariantRule.Limit(into, max));
        }
        if (rule == null || failures > before) {
            failures = Math.max(failures, before + 1); // no statement: the schema's oneOf has said so
            return null;
        }
        InvariantRule statement = rule;
        return construct(p, () -> new Invariant(name, reason, statement, origin(p)));
    }

    private Selector selector(String pointer) {
        return parse(pointer, n -> Selector.parse(n.asText()));
    }

    private Traffic traffic(String p) {
        Optional<Protocol> protocol = optional(p + "/protocol", n -> Protocol.valueOf(upper(n.asText())));
        List<PortRange> ports = new ArrayList<>();
        for (String item : items(p + "/ports")) {
            PortRange r = parse(item, n -> n.isNumber() ? PortRange.single(n.asInt()) : PortRange.parse(n.asText()));
            if (r != null) {
                ports.add(r);
            }
        }
        return protocol == null ? null : construct(p, () -> new Traffic(protocol, ports));
    }

    /** A {@code labels} map; empty when absent (or refused by the schema, which has said why). */
    private Map<String, String> labels(String p) {
        JsonNode n = node(p);
        if (n.isMissingNode() || !n.isObject() || unusable(p)) {
            return Map.of();
        }
        Map<String, String> labels = new java.util.TreeMap<>();
        n.properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    // ---- host ----

    private Host host() {
        String name = text("/metadata/name");
        String s = "/spec";
        List<String> groups = new ArrayList<>();
        for (String item : items(s + "/groups")) {
            String g = text(item);
            if (g != null) {
                groups.add(g);
            }
        }
        Optional<String> uplink = optional(s + "/uplink", n -> interfaceName(n.asText()));
        String imagesRoot = parse(s + "/imagesRoot", n -> absolutePath(n.asText()));
        String runDir = parse(s + "/runDir", n -> absolutePath(n.asText()));
        String stateDir = parse(s + "/stateDir", n -> absolutePath(n.asText()));
        String cgroupParent = parse(s + "/cgroupParent", n -> relativePath(n.asText(), "the cgroup root"));
        Long first = parse(s + "/vmUidRange/first", JsonNode::asLong);
        Long last = parse(s + "/vmUidRange/last", JsonNode::asLong);
        UidRange uids = first == null || last == null ? null : construct(s + "/vmUidRange", () -> new UidRange(first, last));
        String q = s + "/qemu";
        String binary = optional(q + "/binary", n -> absolutePath(n.asText())).orElse(DEFAULT_QEMU_BINARY);
        QemuSettings.Accel accel = parse(q + "/accel", n -> QemuSettings.Accel.valueOf(upper(n.asText("kvm"))));
        String machine = parse(q + "/machine", n -> n.asText(DEFAULT_MACHINE));
        QemuSettings qemu = accel == null || machine == null ? null : construct(q, () -> new QemuSettings(binary, accel, machine));
        String c = s + "/confinement";
        Confinement.AppArmor apparmor = parse(c + "/apparmor", n -> Confinement.AppArmor.valueOf(upper(n.asText("required"))));
        Confinement.Seccomp seccomp = parse(c + "/seccomp", n -> Confinement.Seccomp.valueOf(upper(n.asText("on"))));
        Confinement.Namespaces namespaces = parse(c + "/namespaces", n -> Confinement.Namespaces.valueOf(upper(n.asText("required"))));
        if (failures > 0) {
            return null;
        }
        Confinement confinement = new Confinement(apparmor, seccomp, namespaces);
        return construct("", () -> new Host(name, groups, uplink, imagesRoot, runDir, stateDir, cgroupParent, uids, qemu,
                confinement, origin("")));
    }

    // ---- group ----

    private Group group() {
        String name = text("/metadata/name");
        String s = "/spec";
        Integer vlan = parse(s + "/vlan", JsonNode::asInt);
        groupName = name;
        groupVlan = vlan;
        Ipv4Cidr subnet = parse(s + "/subnet", n -> Ipv4Cidr.parse(n.asText()));
        Optional<Ipv6Cidr> subnet6 = optional(s + "/subnet6", n -> Ipv6Cidr.parse(n.asText()));
        Egress egress = parse(s + "/egress", n -> Egress.valueOf(upper(n.asText("none"))));
        IntraGroup intra = parse(s + "/intraGroup", n -> IntraGroup.valueOf(upper(n.asText("allow"))));
        Limits limits = limits(s + "/limits");
        Optional<Bastion> bastion = node(s + "/bastion").isMissingNode() ? Optional.empty() : Optional.ofNullable(bastion(s + "/bastion"));
        List<FirewallException> allow = new ArrayList<>();
        for (String item : items(s + "/firewall/allow")) {
            FirewallException e = exception(item);
            if (e != null) {
                allow.add(e);
            }
        }
        GroupAccess access = node(s + "/access").isMissingNode() ? GroupAccess.NONE : access(s + "/access");
        List<Vm> vms = new ArrayList<>();
        for (String item : items(s + "/vms")) {
            Vm vm = vm(item);
            if (vm != null) {
                vms.add(vm);
            }
        }
        // The group is built when its own identity and network bound, even if some VM or exception did not: the
        // cross-file checks (a duplicate VLAN, an overlapping subnet) then still run in the same pass.
        if (name == null || vlan == null || subnet == null || egress == null || intra == null) {
            return null;
        }
        // a broken access section has been counted (the group is partial): it gives nobody an account
        GroupAccess logins = access == null ? GroupAccess.NONE : access;
        Map<String, String> labels = labels(s + "/labels");
        return construct("", () -> new Group(name, vlan, subnet, subnet6, egress, intra, limits, bastion, allow, vms, logins, labels, origin("")));
    }

    private Limits limits(String p) {
        if (node(p).isMissingNode()) {
            return Limits.NONE;
        }
        int before = failures;
        if (unusable(p)) {
            failures++;
            return Limits.NONE;
        }
        Optional<MilliCpus> cpus = optional(p + "/cpus", DocumentBinder::cpus);
        Optional<ByteSize> memory = optional(p + "/memory", m -> memoryLimit(ByteSize.parse(m.asText())));
        Optional<Long> pids = optional(p + "/pids", JsonNode::asLong);
        Optional<Integer> io = optional(p + "/ioWeight", JsonNode::asInt);
        if (failures > before) {
            return Limits.NONE;
        }
        Limits limits = construct(p, () -> new Limits(cpus, memory,
                pids.map(OptionalLong::of).orElse(OptionalLong.empty()), io.map(OptionalInt::of).orElse(OptionalInt.empty())));
        return limits == null ? Limits.NONE : limits;
    }

    private Bastion bastion(String p) {
        int before = failures;
        String vm = text(p + "/vm");
        Optional<Exposure> expose = Optional.empty();
        if (!node(p + "/expose").isMissingNode()) {
            String e = p + "/expose";
            List<Cidr> from = new ArrayList<>();
            for (String item : items(e + "/from")) {
                Cidr c = parse(item, n -> Cidr.parse(n.asText()));
                if (c != null) {
                    from.add(c);
                }
            }
            Integer hostPort = parse(e + "/hostPort", JsonNode::asInt);
            Integer port = parse(e + "/port", JsonNode::asInt);
            if (failures == before) {
                expose = Optional.ofNullable(construct(e, () -> new Exposure(hostPort, port, from)));
            }
        }
        boolean sshToGroup = optional(p + "/sshToGroup", JsonNode::asBoolean).orElse(false);
        if (failures > before) {
            return null;
        }
        Optional<Exposure> exposure = expose;
        return construct(p, () -> new Bastion(vm, exposure, sshToGroup));
    }

    /** {@code access}: a broken user drops the whole section (a partial list would silently lock someone out). */
    private GroupAccess access(String p) {
        int before = failures;
        if (unusable(p)) {
            failures++;
            return null;
        }
        List<GroupAccess.User> users = new ArrayList<>();
        for (String item : items(p + "/users")) {
            int userBefore = failures;
            String name = text(item + "/name");
            List<SshPublicKey> keys = new ArrayList<>();
            for (String k : items(item + "/sshKeys")) {
                SshPublicKey key = parse(k, n -> SshPublicKey.parse(n.asText()));
                if (key != null) {
                    keys.add(key);
                }
            }
            Optional<List<String>> vms = Optional.empty();
            if (!node(item + "/vms").isMissingNode()) {
                List<String> names = new ArrayList<>();
                for (String v : items(item + "/vms")) {
                    String vm = text(v);
                    if (vm != null) {
                        names.add(vm);
                    }
                }
                vms = Optional.of(names);
            }
            Optional<List<String>> reach = vms;
            if (failures == userBefore) {
                GroupAccess.User user = construct(item, () -> new GroupAccess.User(name, keys, reach));
                if (user != null) {
                    users.add(user);
                }
            }
        }
        if (failures > before) {
            return null;
        }
        return construct(p, () -> new GroupAccess(users));
    }

    /**
     * {@code cloudInit}: extra user-data keys are checked against the allowlist here, at their own position, and
     * every {@code write_files} path against the protected ones; values are kept as compact JSON (which is YAML).
     */
    private CloudInit cloudInit(String p) {
        int before = failures;
        if (unusable(p)) {
            failures++;
            return null;
        }
        java.util.SortedMap<String, String> userData = new java.util.TreeMap<>();
        JsonNode data = node(p + "/userData");
        if (!data.isMissingNode() && !unusable(p + "/userData")) {
            if (!data.isObject()) {
                error(marks.value(p + "/userData"), "userData: must be a mapping of cloud-config keys");
            } else {
                for (java.util.Iterator<String> it = data.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    String kp = MarkIndex.child(p + "/userData", key);
                    if (!CloudInit.ALLOWED_MODULES.contains(key)) {
                        error(marks.key(kp), "userData: '" + key + "' is not allowed: Git may set only "
                                + String.join(", ", CloudInit.ALLOWED_MODULES) + " (the network, accounts and sshd are qfence's)");
                        continue;
                    }
                    if (key.equals("write_files")) {
                        writeFilesPaths(kp);
                    }
                    userData.put(key, data.get(key).toString());
                }
            }
        }
        if (failures > before) {
            return null;
        }
        return construct(p, () -> new CloudInit(userData));
    }

    private void writeFilesPaths(String p) {
        JsonNode list = node(p);
        if (!list.isArray()) {
            error(marks.value(p), "write_files: must be a list");
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            String ip = MarkIndex.child(p, i);
            JsonNode path = list.get(i).path("path");
            if (!path.isTextual()) {
                error(marks.value(ip), "write_files: every entry needs a 'path'");
            } else if (!CloudInit.writablePath(path.asText())) {
                error(marks.value(MarkIndex.child(ip, "path")), "write_files: '" + path.asText()
                        + "' is not writable from Git (absolute, no '..', not under " + String.join(", ", CloudInit.PROTECTED_PATHS) + ")");
            }
        }
    }

    private FirewallException exception(String p) {
        int before = failures;
        if (unusable(p)) {
            failures++;
            return null;
        }
        Endpoint from = parse(p + "/from", n -> Endpoint.parse(n.asText()));
        Endpoint to = parse(p + "/to", n -> Endpoint.parse(n.asText()));
        Protocol protocol = parse(p + "/protocol", n -> Protocol.valueOf(upper(n.asText())));
        List<PortRange> ports = new ArrayList<>();
        JsonNode list = node(p + "/ports");
        for (String item : items(p + "/ports")) {
            PortRange r = parse(item, n -> n.isNumber() ? PortRange.single(n.asInt()) : PortRange.parse(n.asText()));
            if (r != null) {
                ports.add(r);
            }
        }
        if (protocol != null && !protocol.hasPorts() && !list.isMissingNode()) {
            error(marks.key(p + "/ports"), "ports: " + protocol.keyword() + " exceptions take no ports");
        } else if (protocol != null && protocol.hasPorts() && list.isEmpty() && !unusable(p + "/ports")) {
            error(marks.value(p), label(p) + ": " + protocol.keyword()
                    + " exceptions need at least one port or range in 'ports' (all ports: \"1-65535\")");
        }
        Optional<LocalDate> expires = optional(p + "/expires", n -> {
            try {
                return LocalDate.parse(n.asText());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + n.asText() + "' is not a valid date");
            }
        });
        Optional<String> reason = optional(p + "/reason", JsonNode::asText);
        if (failures > before) {
            return null;
        }
        return construct(p, () -> new FirewallException(from, to, protocol, ports, expires, reason, origin(p)));
    }

    private Vm vm(String p) {
        int before = failures;
        if (unusable(p)) {
            failures++;
            return null;
        }
        String name = text(p + "/name");
        Integer cpus = parse(p + "/cpus", JsonNode::asInt);
        ByteSize memory = parse(p + "/memory", n -> guestMemory(ByteSize.parse(n.asText())));
        // A disk, a kernel, or both: the kernel QEMU loads with its root filesystem on the disk (DESIGN.md §17)
        Optional<BootSource.Kernel> kernelBoot = Optional.empty();
        if (!node(p + "/boot").isMissingNode()) {
            String k = p + "/boot";
            String kernel = parse(k + "/kernel", n -> relativePath(n.asText(), "imagesRoot"));
            Optional<String> initrd = optional(k + "/initrd", n -> relativePath(n.asText(), "imagesRoot"));
            String cmdline = optional(k + "/cmdline", n -> kernelCommandLine(n.asText())).orElse("");
            kernelBoot = kernel == null ? Optional.empty() : Optional.ofNullable(construct(k, () -> new BootSource.Kernel(kernel, initrd, cmdline)));
        }
        BootSource boot = kernelBoot.orElse(null);
        if (!node(p + "/disk").isMissingNode()) {
            String d = p + "/disk";
            String path = node(d + "/path").isMissingNode() ? null : parse(d + "/path", n -> relativePath(n.asText(), "imagesRoot"));
            BootSource.DiskFormat format = parse(d + "/format", n -> BootSource.DiskFormat.valueOf(upper(n.asText())));
            Optional<BootSource.Kernel> direct = kernelBoot;
            // a kernel that failed to bind has counted its failure: the VM is dropped below whatever the disk is
            if (!node(d + "/base").isMissingNode()) {
                String base = parse(d + "/base", n -> basePath(relativePath(n.asText(), "imagesRoot")));
                boot = base == null || format == null ? null : construct(d, () -> new BootSource.BaseImage(base, format, direct));
            } else {
                boot = path == null || format == null ? null : construct(d, () -> new BootSource.Disk(path, format, direct));
            }
        }
        if (boot == null && failures == before) {
            failures++; // no source: the schema's anyOf has said so
        }
        Optional<MacAddress> mac = optional(p + "/mac", n -> MacAddress.parse(n.asText()));
        Optional<Ipv4Address> ip = optional(p + "/ip", n -> Ipv4Address.parse(n.asText()));
        NetworkMode network = parse(p + "/network", n -> NetworkMode.valueOf(upper(n.asText("bridged"))));
        VmState state = parse(p + "/state", n -> VmState.valueOf(upper(n.asText("running"))));
        Limits limits = limits(p + "/limits");
        Duration stopTimeout = node(p + "/stopTimeout").isMissingNode() ? Vm.DEFAULT_STOP_TIMEOUT
                : parse(p + "/stopTimeout", n -> duration(n.asText()));
        Optional<CloudInit> cloudInit = node(p + "/cloudInit").isMissingNode() ? Optional.empty() : Optional.ofNullable(cloudInit(p + "/cloudInit"));
        if (failures > before) {
            return null;
        }
        BootSource source = boot;
        Map<String, String> labels = labels(p + "/labels");
        Optional<String> host = optional(p + "/host", JsonNode::asText);
        return construct(p, () -> new Vm(name, cpus, memory, source, mac, ip, network, state, limits, stopTimeout, cloudInit, labels,
                host, origin(p)));
    }

    // ---- helpers ----

    private static String basePath(String path) {
        if (!path.startsWith(BootSource.BaseImage.BASES_DIR + "/")) {
            throw new IllegalArgumentException("'" + path + "' must lie under " + BootSource.BaseImage.BASES_DIR
                    + "/ (imagesRoot/bases/ holds the shared read-only base images)");
        }
        return path;
    }

    /** A file name the host will open: control characters first, because a NUL would cut the path where C reads it. */
    private static String absolutePath(String path) {
        refuseControlCharacters(path);
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("must be an absolute path, got '" + path + "'");
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new IllegalArgumentException("must not contain '..' components, got '" + path + "'");
            }
        }
        return path;
    }

    private static String relativePath(String path, String base) {
        refuseControlCharacters(path);
        if (!RelativePaths.isSafe(path)) {
            throw new IllegalArgumentException("'" + path + "' must be a path relative to " + base
                    + ", without '..', '.' or empty components");
        }
        return path;
    }

    /**
     * The uplink, as the kernel's {@code dev_valid_name} would take it: 1 to 15 bytes (IFNAMSIZ with its NUL), not
     * {@code .} or {@code ..}, no {@code /}, {@code :} or whitespace (the schema's pattern), and no control character
     * (the pattern's {@code \\s} does not cover NUL or ESC).
     */
    private static String interfaceName(String name) {
        refuseControlCharacters(name);
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 15) {
            throw new IllegalArgumentException("must be at most 15 bytes (IFNAMSIZ), got " + bytes);
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("'" + name + "' is not a valid interface name");
        }
        return name;
    }

    /**
     * The kernel command line goes into QEMU's argv ({@code -append}), where a NUL would end it early and make the
     * spawner refuse the launch only after links, firewall and cgroups are in place; so it is refused here.
     */
    private static String kernelCommandLine(String cmdline) {
        refuseControlCharacters(cmdline);
        return cmdline;
    }

    /**
     * The largest guest RAM: far above any real guest (x86-64 addresses at most 4 PiB), and small enough that a VM's
     * memory request (RAM plus QEMU's overhead) and a group's sum of thousands of them stay within a {@code long}.
     * Without it, {@code memory: 8796093022207Mi} crashed validate with "long overflow".
     */
    static final ByteSize MAX_GUEST_MEMORY = new ByteSize(1024 * ByteSize.TI);

    /** QEMU sizes guest RAM in whole MiB ({@code -m 96M}); 0 or a remainder would be refused at realization. */
    private static ByteSize guestMemory(ByteSize memory) {
        if (memory.bytes() == 0 || memory.bytes() % ByteSize.MI != 0) {
            throw new IllegalArgumentException("must be a positive whole number of MiB (QEMU sizes guest RAM in MiB), got "
                    + memory + (memory.toString().chars().allMatch(Character::isDigit) ? " bytes" : ""));
        }
        if (memory.compareTo(MAX_GUEST_MEMORY) > 0) {
            throw new IllegalArgumentException("must be at most " + MAX_GUEST_MEMORY + ", got " + memory);
        }
        return memory;
    }

    /** A memory limit, bounded like guest RAM so that sums of requests cannot overflow. */
    private static ByteSize memoryLimit(ByteSize limit) {
        if (limit.compareTo(MAX_GUEST_MEMORY) > 0) {
            throw new IllegalArgumentException("must be at most " + MAX_GUEST_MEMORY + ", got " + limit);
        }
        return limit;
    }

    /**
     * CPUs with at most three decimals (the cgroup quota is in thousandths). Checked on the number as YAML read it,
     * so that {@code 1e-400} is refused in a short line rather than spelled out in 400 digits.
     */
    private static MilliCpus cpus(JsonNode n) {
        if (n.isBigDecimal() || n.isFloatingPointNumber()) {
            java.math.BigDecimal d = n.decimalValue();
            if (d.stripTrailingZeros().scale() > 3) {
                throw new IllegalArgumentException("must have at most three decimals, got " + SchemaCheck.shortNumber(d));
            }
            return MilliCpus.parse(d.stripTrailingZeros().toPlainString());
        }
        return MilliCpus.parse(n.asText());
    }

    private static void refuseControlCharacters(String value) {
        ControlCharacters.refusal(value).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
    }

    static Duration duration(String text) {
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        return text.endsWith("m") ? Duration.ofMinutes(amount) : Duration.ofSeconds(amount);
    }

    private static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    private JsonNode node(String pointer) {
        return doc.root().at(pointer);
    }

    private String text(String pointer) {
        return parse(pointer, JsonNode::asText);
    }

    /** The pointers of a list's items; none when the list is absent or the schema refused it. */
    private List<String> items(String pointer) {
        JsonNode list = node(pointer);
        if (list.isMissingNode()) {
            return List.of();
        }
        if (unusable(pointer) || !list.isArray()) {
            failures++;
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(MarkIndex.child(pointer, i));
        }
        return out;
    }

    /** The schema refused this value or one that contains it: its diagnostic is already there, so it is skipped. */
    private boolean unusable(String pointer) {
        for (String p = pointer; ; p = MarkIndex.parent(p)) {
            if (schemaRefused.contains(p)) {
                return true;
            }
            if (p.isEmpty()) {
                return false;
            }
        }
    }

    private Origin origin(String pointer) {
        return marks.value(pointer);
    }

    /**
     * Parses the value at {@code pointer}; a refusal becomes a diagnostic at that value, named by its field. A value
     * the schema refused is not parsed again: it counts as a failure and gives {@code null}.
     */
    private <T> T parse(String pointer, Function<JsonNode, T> parser) {
        if (unusable(pointer)) {
            failures++;
            return null;
        }
        try {
            return parser.apply(node(pointer));
        } catch (IllegalArgumentException | ArithmeticException e) {
            error(marks.value(pointer), labelled(pointer, e.getMessage()));
            return null;
        }
    }

    private <T> Optional<T> optional(String pointer, Function<JsonNode, T> parser) {
        return node(pointer).isMissingNode() && !unusable(pointer) ? Optional.empty() : Optional.ofNullable(parse(pointer, parser));
    }

    /** Runs a record constructor; its refusal becomes a diagnostic at the object it was built from. */
    private <T> T construct(String pointer, Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (IllegalArgumentException e) {
            error(marks.value(pointer), labelled(pointer, e.getMessage()));
            return null;
        }
    }

    /** {@code vmUidRange: ...}, unless the record's own message already starts with the field's name. */
    private static String labelled(String pointer, String message) {
        String label = label(pointer);
        return message.startsWith(label + " ") ? message : label + ": " + message;
    }

    private static String label(String pointer) {
        return SchemaCheck.label(pointer);
    }

    private void error(Origin at, String message) {
        failures++;
        diagnostics.add(Diagnostic.error(at, message));
    }
}
