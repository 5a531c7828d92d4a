package io.qfence.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftTable;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.nft.Normalizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The state of a bench sandbox as independent tools see it, in a canonical text form, so that the runs of qfence and
 * of both baselines can be compared byte for byte: every link ({@code ip -j -d link show}, {@code ip -j addr show}:
 * kind, MAC, MTU, up, alias, master, tap owner and flags, bridge-port flags, global addresses), both nft tables
 * ({@code nft -j list table}, normalized by qfence's {@link Normalizer}, so that set elements compare in a fixed
 * order and counter values are left out), the sysctls qfence sets, and every cgroup directory under the sandbox's
 * parent with its limit files.
 *
 * <p>Usage: {@code StateWitness NETNS_PATH CGROUP_PARENT OUT_FILE}.
 */
public final class StateWitness {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SYSCTLS = List.of("net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding",
            "net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables");

    private StateWitness() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: StateWitness NETNS_PATH CGROUP_PARENT OUT_FILE");
            System.exit(64);
        }
        Files.write(Path.of(args[2]), snapshot(args[0], args[1]), StandardCharsets.UTF_8);
    }

    static List<String> snapshot(String netns, String cgroupParent) throws IOException {
        List<String> lines = new ArrayList<>();
        links(netns, lines);
        firewall(netns, lines);
        for (String s : SYSCTLS) {
            String v = NftListing.run("nsenter", "--net=" + netns, "sh", "-c", "cat /proc/sys/" + s + " 2>/dev/null || echo absent").strip();
            lines.add("sysctl " + s.replace('/', '.') + " = " + v);
        }
        cgroups(cgroupParent, lines);
        return lines;
    }

    private static void links(String netns, List<String> lines) throws IOException {
        JsonNode links = JSON.readTree(NftListing.run("nsenter", "--net=" + netns, "ip", "-j", "-d", "link", "show"));
        JsonNode addrs = JSON.readTree(NftListing.run("nsenter", "--net=" + netns, "ip", "-j", "addr", "show"));
        List<String> out = new ArrayList<>();
        for (JsonNode l : links) {
            String name = l.path("ifname").asText();
            if (name.equals("lo")) {
                continue;
            }
            StringBuilder s = new StringBuilder("link ").append(name);
            JsonNode info = l.path("linkinfo");
            s.append(" kind=").append(info.path("info_kind").asText("-"));
            s.append(" mac=").append(l.path("address").asText());
            s.append(" mtu=").append(l.path("mtu").asInt());
            boolean up = false;
            for (JsonNode f : l.path("flags")) {
                up |= f.asText().equals("UP");
            }
            s.append(" up=").append(up);
            s.append(" alias=").append(l.path("ifalias").asText("-"));
            s.append(" master=").append(l.path("master").asText("-"));
            s.append(" group=").append(l.path("group").asText("-"));
            JsonNode data = info.path("info_data");
            if (info.path("info_kind").asText().equals("tun")) {
                s.append(" tun=").append(data.path("type").asText()).append(",user=").append(data.path("user").asText("-"))
                        .append(",group=").append(data.path("group").asText("-")).append(",vnet_hdr=").append(data.path("vnet_hdr").asText())
                        .append(",pi=").append(data.path("pi").asText()).append(",persist=").append(data.path("persist").asText());
            }
            JsonNode port = info.path("info_slave_data");
            if (info.path("info_slave_kind").asText().equals("bridge")) {
                s.append(" port=isolated:").append(port.path("isolated").asText()).append(",learning:").append(port.path("learning").asText())
                        .append(",neigh_suppress:").append(port.path("neigh_suppress").asText());
            }
            for (JsonNode a : addrs) {
                if (!a.path("ifname").asText().equals(name)) {
                    continue;
                }
                List<String> global = new ArrayList<>();
                for (JsonNode ai : a.path("addr_info")) {
                    if (!ai.path("scope").asText().equals("link")) {
                        global.add(ai.path("local").asText() + "/" + ai.path("prefixlen").asInt());
                    }
                }
                global.sort(null);
                s.append(" addresses=").append(global);
            }
            out.add(s.toString());
        }
        out.sort(null);
        lines.addAll(out);
    }

    private static void firewall(String netns, List<String> lines) throws IOException {
        JsonNode all = JSON.readTree(NftListing.run("nsenter", "--net=" + netns, "nft", "-j", "list", "tables"));
        List<String> names = new ArrayList<>();
        for (JsonNode o : all.path("nftables")) {
            JsonNode t = o.path("table");
            if (!t.isMissingNode()) {
                names.add(t.path("family").asText() + " " + t.path("name").asText());
            }
        }
        names.sort(null);
        lines.add("nft tables " + names);
        List<NftTable> tables = new ArrayList<>();
        for (String family : List.of("bridge", "inet")) {
            if (names.contains(family + " qfence")) {
                String listing = NftListing.run("nsenter", "--net=" + netns, "nft", "-j", "list", "table", family, "qfence");
                tables.add(Normalizer.normalize(listing, family, "qfence").table());
            }
        }
        Firewall.of(tables).attributes().forEach((k, v) -> lines.add("nft " + k + " = " + v));
    }

    /**
     * Every cgroup directory under {@code parent} with the limit files qfence manages, in this host's layout (as qfence
     * detects it): on v1 per hierarchy ({@code cgroup CONTROLLER PATH FILE=VALUE...}), on v2 once
     * ({@code cgroup v2 PATH FILE=VALUE...}, {@code cgroup.subtree_control} included: which controllers reach the
     * children is part of the state).
     */
    private static void cgroups(String parent, List<String> lines) throws IOException {
        CgroupLayout layout = CgroupLayout.detect();
        Map<String, Path> hierarchies = new TreeMap<>();
        if (layout.version() == CgroupVersion.V2) {
            hierarchies.put("v2", layout.root());
        } else {
            hierarchies.putAll(layout.hierarchies());
        }
        for (Map.Entry<String, Path> h : hierarchies.entrySet()) {
            String label = h.getKey();
            Path base = h.getValue().resolve(parent);
            if (!Files.isDirectory(base)) {
                lines.add("cgroup " + label + " " + parent + " absent");
                continue;
            }
            try (Stream<Path> dirs = Files.walk(base)) {
                for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                    StringBuilder s = new StringBuilder("cgroup ").append(label).append(' ').append(h.getValue().relativize(d));
                    for (String f : files(layout.version(), label)) {
                        Path file = d.resolve(f);
                        if (Files.isRegularFile(file)) {
                            s.append(' ').append(f).append('=').append(Files.readString(file).strip());
                        }
                    }
                    lines.add(s.toString());
                }
            }
        }
    }

    /** The files qfence manages in one hierarchy's directory (v1: those of that controller), by their names there. */
    private static List<String> files(CgroupVersion version, String hierarchy) {
        if (version == CgroupVersion.V2) {
            List<String> all = new ArrayList<>(List.of(CgroupFs.SUBTREE_CONTROL));
            all.addAll(CgroupFs.LIMIT_FILES_V2);
            return all;
        }
        return CgroupFs.LIMIT_FILES_V1.stream().filter(f -> f.startsWith(hierarchy + "/")).map(f -> f.substring(hierarchy.length() + 1)).toList();
    }
}
