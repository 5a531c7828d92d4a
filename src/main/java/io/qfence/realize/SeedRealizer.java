package io.qfence.realize;

import com.fasterxml.jackson.databind.node.TextNode;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.desired.GroupAccess;
import io.qfence.model.desired.CloudInit;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.SshPublicKey;
import io.qfence.model.desired.Vm;
import io.qfence.model.host.CloudInitSeed;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A VM's cloud-init NoCloud seed (DESIGN.md §17): meta-data, network-config version 2 and user-data, as texts. Pure:
 * the guest adapter writes them to the ISO.
 *
 * <p>Every value that comes from Git and is not a DNS label or an address is written as a JSON string (JSON strings
 * are YAML double-quoted scalars), so no key comment or package name can start a new YAML key.
 */
final class SeedRealizer {

    /** The per-user authorized-keys directory sshd reads (and nothing else): a key removed from Git stops working. */
    static final String KEYS_DIR = "/etc/ssh/qfence-authorized-keys";
    static final String SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-qfence.conf";
    /** Printed by cloud-init on the console at the end of its final stage, unless Git sets final_message. */
    static final String READY_MARKER = "QF-CLOUD-INIT-DONE";

    private SeedRealizer() {}

    /**
     * @param runDir  {@code runDir/<vm>}, where the seed's ISO goes
     * @param routed  whether the group's bridge carries the gateway address (a default route is configured then)
     * @param dns     the name servers an exception lets this VM reach on udp/53
     */
    static CloudInitSeed seed(Group group, Vm vm, CloudInit cloudInit, VmEndpoint endpoint, String runDir, boolean routed,
                              List<Ipv4Address> dns) {
        boolean bastion = group.bastion().filter(b -> b.vm().equals(vm.name())).isPresent();
        List<GroupAccess.User> users = group.access().usersOf(vm.name(), bastion);
        String network = networkConfig(group, endpoint, routed, dns);
        String body = userDataBody(vm.name(), users, cloudInit);
        String extra = extraUserData(cloudInit);
        String content = "local-hostname: " + vm.name() + "\n\0" + network + "\0" + body + extra;
        String instanceId = "qf-" + HexFormat.of().formatHex(Hashing.sha256(content), 0, 8);
        String finalMessage = cloudInit.userData().containsKey("final_message") ? ""
                : "final_message: " + quote(READY_MARKER + " " + instanceId) + "\n";
        String userData = body + extra + finalMessage;
        String metaData = "instance-id: " + instanceId + "\nlocal-hostname: " + vm.name() + "\n";

        SortedMap<String, String> parts = new TreeMap<>();
        parts.put("network", shortDigest(network));
        parts.put("users", shortDigest(String.join("\n", users.stream().map(GroupAccess.User::name).toList())));
        parts.put("sshKeys", shortDigest(String.join("\n", users.stream()
                .map(u -> u.name() + ":" + String.join(",", u.sshKeys().stream().map(SshPublicKey::line).toList())).toList())));
        parts.put("userData", shortDigest(extra));
        return new CloudInitSeed(GuestRealizer.join(runDir, CloudInitSeed.FILE_NAME), instanceId, metaData, network, userData, parts);
    }

    /**
     * The name servers an exception lets the VM reach on udp/53: the gateway for {@code host} (on a routed bridge),
     * a single IPv4 address for a /32. Wider blocks, {@code internet} and IPv6 name no server, so none is configured.
     */
    static List<Ipv4Address> dns(IsolationPolicy policy, VmEndpoint vm, Ipv4Cidr subnet, boolean routed) {
        SortedSet<Ipv4Address> servers = new TreeSet<>();
        for (Flow f : policy.flows()) {
            boolean fromVm = f.source().equals(vm.principal())
                    || (vm.bridged() && f.source().equals(Principal.group(vm.group())));
            if (!fromVm || (f.protocol() != FlowProtocol.UDP && f.protocol() != FlowProtocol.ANY)
                    || (f.protocol() == FlowProtocol.UDP && f.ports().minus(Ports.single(53)).equals(f.ports()))) {
                continue;
            }
            if (f.destination() instanceof Principal.ThisHost && routed) {
                servers.add(subnet.gateway());
            } else if (f.destination() instanceof Principal.Prefix p && p.cidr() instanceof Ipv4Cidr c4 && c4.prefixLength() == 32) {
                servers.add(c4.network());
            }
        }
        return List.copyOf(servers);
    }

    static String networkConfig(Group group, VmEndpoint endpoint, boolean routed, List<Ipv4Address> dns) {
        StringBuilder b = new StringBuilder();
        b.append("version: 2\n");
        b.append("ethernets:\n");
        b.append("  eth0:\n");
        b.append("    match:\n");
        b.append("      macaddress: ").append(quote(endpoint.mac().toString())).append('\n');
        b.append("    set-name: eth0\n");
        if (endpoint.ip().isEmpty()) {
            // user-mode: slirp's own DHCP hands out the guest's private address
            b.append("    dhcp4: true\n");
            return b.toString();
        }
        b.append("    dhcp4: false\n");
        b.append("    addresses:\n");
        b.append("      - ").append(endpoint.ip().get()).append('/').append(group.subnet().prefixLength()).append('\n');
        if (routed) {
            b.append("    routes:\n");
            b.append("      - to: 0.0.0.0/0\n");
            b.append("        via: ").append(group.subnet().gateway()).append('\n');
        }
        if (!dns.isEmpty()) {
            b.append("    nameservers:\n");
            b.append("      addresses: [").append(String.join(", ", dns.stream().map(Ipv4Address::toString).toList())).append("]\n");
        }
        return b.toString();
    }

    private static String userDataBody(String hostname, List<GroupAccess.User> users, CloudInit cloudInit) {
        StringBuilder b = new StringBuilder();
        b.append("#cloud-config\n");
        b.append("hostname: ").append(hostname).append('\n');
        b.append("fqdn: ").append(hostname).append('\n');
        b.append("preserve_hostname: false\n");
        b.append("manage_etc_hosts: true\n");
        b.append("ssh_pwauth: false\n");
        b.append("disable_root: true\n");
        b.append("ssh_deletekeys: false\n");
        if (users.isEmpty()) {
            b.append("users: []\n");
        } else {
            b.append("users:\n");
            for (GroupAccess.User u : users) {
                b.append("  - name: ").append(u.name()).append('\n');
                b.append("    lock_passwd: true\n");
                b.append("    shell: /bin/bash\n");
                b.append("    ssh_authorized_keys:\n");
                for (SshPublicKey k : u.sshKeys()) {
                    b.append("      - ").append(quote(k.line())).append('\n');
                }
            }
        }
        b.append("bootcmd:\n");
        b.append("  - [cloud-init-per, instance, qfence-keys-reset, rm, -rf, ").append(KEYS_DIR).append("]\n");
        b.append("write_files:\n");
        writeFile(b, SSHD_DROP_IN, "AuthorizedKeysFile " + KEYS_DIR + "/%u\nPasswordAuthentication no\n"
                + "KbdInteractiveAuthentication no\nPermitRootLogin no\n");
        for (GroupAccess.User u : users) {
            StringBuilder keys = new StringBuilder();
            u.sshKeys().forEach(k -> keys.append(k.line()).append('\n'));
            writeFile(b, KEYS_DIR + "/" + u.name(), keys.toString());
        }
        Optional.ofNullable(cloudInit.userData().get("write_files")).ifPresent(json -> {
            for (var entry : Json.parseArray(json)) {
                b.append("  - ").append(Json.compact(entry)).append('\n');
            }
        });
        return b.toString();
    }

    private static void writeFile(StringBuilder b, String path, String content) {
        b.append("  - path: ").append(path).append('\n');
        b.append("    permissions: \"0644\"\n");
        b.append("    content: ").append(quote(content)).append('\n');
    }

    /** Git's allowlisted keys other than write_files (merged above), sorted, each with its value as compact JSON. */
    private static String extraUserData(CloudInit cloudInit) {
        StringBuilder b = new StringBuilder();
        cloudInit.userData().forEach((key, json) -> {
            if (!key.equals("write_files")) {
                b.append(key).append(": ").append(json).append('\n');
            }
        });
        return b.toString();
    }

    static String quote(String text) {
        return Json.compact(TextNode.valueOf(text));
    }

    private static String shortDigest(String text) {
        return HexFormat.of().formatHex(Hashing.sha256(text), 0, 6);
    }
}
