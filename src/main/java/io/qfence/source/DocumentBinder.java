package io.qfence.source;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.ByteSize;
import io.qfence.model.Cidr;
import io.qfence.model.Diagnostic;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.MilliCpus;
import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import io.qfence.model.desired.Bastion;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.Confinement;
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
import io.qfence.model.desired.RelativePaths;
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
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Binds a schema-valid document to the model records. The schema has already checked shapes, types and ranges;
 * what is left here is what a regular expression cannot say (an IPv4 octet above 255, host bits in a CIDR, a 30th
 * of February, a path with {@code ..}) and what the records refuse. Every such problem becomes a diagnostic at the
 * value that caused it, and binding goes on, so that one run reports all of them; a document with any problem binds
 * to nothing.
 */
final class DocumentBinder {

    static final String DEFAULT_QEMU_BINARY = "/usr/bin/qemu-system-x86_64";
    static final String DEFAULT_MACHINE = "q35";

    private final ParsedDocument doc;
    private final MarkIndex marks;
    private final List<Diagnostic> diagnostics;
    private boolean failed;

    private DocumentBinder(ParsedDocument doc, List<Diagnostic> diagnostics) {
        this.doc = doc;
        this.marks = doc.marks();
        this.diagnostics = diagnostics;
    }

    /** A bound host together with the marks of its file, so that later checks can point into it. */
    record BoundHost(Host host, MarkIndex marks) {}

    /** A bound group together with the marks of its file. */
    record BoundGroup(Group group, MarkIndex marks) {}

    static Optional<BoundHost> bindHost(ParsedDocument doc, List<Diagnostic> diagnostics) {
        DocumentBinder b = new DocumentBinder(doc, diagnostics);
        Host host = b.host();
        return b.failed || host == null ? Optional.empty() : Optional.of(new BoundHost(host, doc.marks()));
    }

    static Optional<BoundGroup> bindGroup(ParsedDocument doc, List<Diagnostic> diagnostics) {
        DocumentBinder b = new DocumentBinder(doc, diagnostics);
        Group group = b.group();
        return b.failed || group == null ? Optional.empty() : Optional.of(new BoundGroup(group, doc.marks()));
    }

    // ---- host ----

    private Host host() {
        String name = text("/metadata/name");
        String s = "/spec";
        List<String> groups = new ArrayList<>();
        node(s + "/groups").forEach(g -> groups.add(g.asText()));
        Optional<String> uplink = optional(s + "/uplink", n -> {
            String u = n.asText();
            if (u.getBytes(StandardCharsets.UTF_8).length > 15) {
                throw new IllegalArgumentException("must be at most 15 bytes (IFNAMSIZ), got " + u.getBytes(StandardCharsets.UTF_8).length);
            }
            return u;
        });
        String imagesRoot = parse(s + "/imagesRoot", n -> absolutePath(n.asText()));
        String runDir = parse(s + "/runDir", n -> absolutePath(n.asText()));
        String stateDir = parse(s + "/stateDir", n -> absolutePath(n.asText()));
        String cgroupParent = parse(s + "/cgroupParent", n -> relativePath(n.asText(), "the cgroup root"));
        UidRange uids = parse(s + "/vmUidRange", n -> new UidRange(n.path("first").asLong(), n.path("last").asLong()));
        JsonNode q = node(s + "/qemu");
        QemuSettings qemu = parse(s + "/qemu", n -> new QemuSettings(
                absolutePath(q.path("binary").asText(DEFAULT_QEMU_BINARY)),
                QemuSettings.Accel.valueOf(upper(q.path("accel").asText("kvm"))),
                q.path("machine").asText(DEFAULT_MACHINE)));
        JsonNode c = node(s + "/confinement");
        Confinement confinement = new Confinement(
                Confinement.AppArmor.valueOf(upper(c.path("apparmor").asText("required"))),
                Confinement.Seccomp.valueOf(upper(c.path("seccomp").asText("on"))));
        if (failed) {
            return null;
        }
        return construct("", () -> new Host(name, groups, uplink, imagesRoot, runDir, stateDir, cgroupParent, uids, qemu,
                confinement, origin("")));
    }

    // ---- group ----

    private Group group() {
        String name = text("/metadata/name");
        String s = "/spec";
        int vlan = node(s + "/vlan").asInt();
        Ipv4Cidr subnet = parse(s + "/subnet", n -> Ipv4Cidr.parse(n.asText()));
        Optional<Ipv6Cidr> subnet6 = optional(s + "/subnet6", n -> Ipv6Cidr.parse(n.asText()));
        Egress egress = Egress.valueOf(upper(node(s + "/egress").asText("none")));
        IntraGroup intra = IntraGroup.valueOf(upper(node(s + "/intraGroup").asText("allow")));
        Limits limits = limits(s + "/limits");
        Optional<Bastion> bastion = node(s + "/bastion").isMissingNode() ? Optional.empty() : Optional.ofNullable(bastion(s + "/bastion"));
        List<FirewallException> allow = new ArrayList<>();
        JsonNode rules = node(s + "/firewall/allow");
        for (int i = 0; i < rules.size(); i++) {
            FirewallException e = exception(MarkIndex.child(s + "/firewall/allow", i));
            if (e != null) {
                allow.add(e);
            }
        }
        List<Vm> vms = new ArrayList<>();
        JsonNode vmNodes = node(s + "/vms");
        for (int i = 0; i < vmNodes.size(); i++) {
            Vm vm = vm(MarkIndex.child(s + "/vms", i));
            if (vm != null) {
                vms.add(vm);
            }
        }
        if (failed) {
            return null;
        }
        return construct("", () -> new Group(name, vlan, subnet, subnet6, egress, intra, limits, bastion, allow, vms, origin("")));
    }

    private Limits limits(String p) {
        JsonNode n = node(p);
        if (n.isMissingNode()) {
            return Limits.NONE;
        }
        Optional<MilliCpus> cpus = optional(p + "/cpus", c -> MilliCpus.parse(c.isBigDecimal() ? c.decimalValue().toPlainString() : c.asText()));
        Optional<ByteSize> memory = optional(p + "/memory", m -> ByteSize.parse(m.asText()));
        OptionalLong pids = n.has("pids") ? OptionalLong.of(n.get("pids").asLong()) : OptionalLong.empty();
        OptionalInt io = n.has("ioWeight") ? OptionalInt.of(n.get("ioWeight").asInt()) : OptionalInt.empty();
        if (failed) {
            return Limits.NONE;
        }
        return construct(p, () -> new Limits(cpus, memory, pids, io));
    }

    private Bastion bastion(String p) {
        String vm = text(p + "/vm");
        Optional<Exposure> expose = Optional.empty();
        if (!node(p + "/expose").isMissingNode()) {
            String e = p + "/expose";
            List<Cidr> from = new ArrayList<>();
            JsonNode list = node(e + "/from");
            for (int i = 0; i < list.size(); i++) {
                Cidr c = parse(MarkIndex.child(e + "/from", i), n -> Cidr.parse(n.asText()));
                if (c != null) {
                    from.add(c);
                }
            }
            int hostPort = node(e + "/hostPort").asInt();
            int port = node(e + "/port").asInt();
            expose = Optional.ofNullable(construct(e, () -> new Exposure(hostPort, port, from)));
        }
        Optional<Exposure> exposure = expose;
        return construct(p, () -> new Bastion(vm, exposure));
    }

    private FirewallException exception(String p) {
        Endpoint from = parse(p + "/from", n -> Endpoint.parse(n.asText()));
        Endpoint to = parse(p + "/to", n -> Endpoint.parse(n.asText()));
        Protocol protocol = Protocol.valueOf(upper(text(p + "/protocol")));
        List<PortRange> ports = new ArrayList<>();
        JsonNode list = node(p + "/ports");
        for (int i = 0; i < list.size(); i++) {
            PortRange r = parse(MarkIndex.child(p + "/ports", i), n -> n.isNumber() ? PortRange.single(n.asInt()) : PortRange.parse(n.asText()));
            if (r != null) {
                ports.add(r);
            }
        }
        if (!protocol.hasPorts() && !list.isMissingNode()) {
            error(marks.key(p + "/ports"), "ports: " + protocol.keyword() + " exceptions take no ports");
        } else if (protocol.hasPorts() && list.isEmpty()) {
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
        Optional<String> reason = node(p + "/reason").isMissingNode() ? Optional.empty() : Optional.of(node(p + "/reason").asText());
        if (failed) {
            return null;
        }
        return construct(p, () -> new FirewallException(from, to, protocol, ports, expires, reason, origin(p)));
    }

    private Vm vm(String p) {
        String name = text(p + "/name");
        int cpus = node(p + "/cpus").asInt();
        ByteSize memory = parse(p + "/memory", n -> ByteSize.parse(n.asText()));
        BootSource boot;
        if (!node(p + "/disk").isMissingNode()) {
            String d = p + "/disk";
            String path = parse(d + "/path", n -> relativePath(n.asText(), "imagesRoot"));
            BootSource.DiskFormat format = BootSource.DiskFormat.valueOf(upper(text(d + "/format")));
            boot = path == null ? null : construct(d, () -> new BootSource.Disk(path, format));
        } else {
            String k = p + "/boot";
            String kernel = parse(k + "/kernel", n -> relativePath(n.asText(), "imagesRoot"));
            Optional<String> initrd = optional(k + "/initrd", n -> relativePath(n.asText(), "imagesRoot"));
            String cmdline = node(k + "/cmdline").asText("");
            boot = kernel == null ? null : construct(k, () -> new BootSource.Kernel(kernel, initrd, cmdline));
        }
        Optional<MacAddress> mac = optional(p + "/mac", n -> MacAddress.parse(n.asText()));
        Optional<Ipv4Address> ip = optional(p + "/ip", n -> Ipv4Address.parse(n.asText()));
        NetworkMode network = NetworkMode.valueOf(upper(node(p + "/network").asText("bridged")));
        VmState state = VmState.valueOf(upper(node(p + "/state").asText("running")));
        Limits limits = limits(p + "/limits");
        Duration stopTimeout = node(p + "/stopTimeout").isMissingNode() ? Vm.DEFAULT_STOP_TIMEOUT
                : parse(p + "/stopTimeout", n -> duration(n.asText()));
        if (failed) {
            return null;
        }
        return construct(p, () -> new Vm(name, cpus, memory, boot, mac, ip, network, state, limits, stopTimeout, origin(p)));
    }

    // ---- helpers ----

    private static String absolutePath(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("must be an absolute path, got '" + path + "'");
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new IllegalArgumentException("must not contain '..' components, got '" + path + "'");
            }
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("must not contain NUL");
        }
        return path;
    }

    private static String relativePath(String path, String base) {
        if (!RelativePaths.isSafe(path)) {
            throw new IllegalArgumentException("'" + path + "' must be a path relative to " + base
                    + ", without '..', '.' or empty components");
        }
        return path;
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
        return node(pointer).asText();
    }

    private Origin origin(String pointer) {
        return marks.value(pointer);
    }

    /** Parses the value at {@code pointer}; a refusal becomes a diagnostic at that value, named by its field. */
    private <T> T parse(String pointer, Function<JsonNode, T> parser) {
        try {
            return parser.apply(node(pointer));
        } catch (IllegalArgumentException | ArithmeticException e) {
            error(marks.value(pointer), labelled(pointer, e.getMessage()));
            return null;
        }
    }

    private <T> Optional<T> optional(String pointer, Function<JsonNode, T> parser) {
        return node(pointer).isMissingNode() ? Optional.empty() : Optional.ofNullable(parse(pointer, parser));
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
        failed = true;
        diagnostics.add(Diagnostic.error(at, message));
    }
}
