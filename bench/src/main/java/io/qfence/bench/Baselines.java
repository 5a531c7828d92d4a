package io.qfence.bench;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import io.qfence.model.host.Sysctl;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.realize.Realization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes the two shell baselines of one scenario from qfence's own realization, so that they build exactly the objects
 * qfence builds (links with their MACs, aliases, addresses, owners and port flags; the per-namespace sysctls; both nft
 * tables; the cgroups with their limit files):
 *
 * <ul>
 *   <li><b>The script way</b> ({@code script-*.sh}): what the how-to guides write, one {@code ip}, {@code bridge},
 *       {@code sysctl}, {@code nft} or {@code mkdir}/{@code rmdir} process per step, every nft rule and every set
 *       element its own {@code nft add} command. Cgroup values are written with the shell's {@code echo}, as the
 *       guides do (a builtin: no process).</li>
 *   <li><b>The near-limit</b> ({@code near-*.sh}): one {@code ip -batch} file for every link and address, one
 *       {@code nft -f} file holding both tables (one transaction), and the cgroup directories made by one
 *       {@code mkdir} and written by shell builtins: about as little work as the standard tools allow from user
 *       space.</li>
 * </ul>
 *
 * Each comes as {@code *-apply.sh} (empty sandbox to converged), {@code *-teardown.sh} (converged to empty; the
 * near-limit deletes every link in one kernel transaction by moving them into a scratch netdev group and deleting the
 * group, as qfence's {@code RtnlClient.deleteLinks} does) and, given {@code --from BASE_DIR}, {@code *-delta.sh}
 * (from BASE's realization to this one's). Scripts run inside the sandbox's network namespace
 * ({@code nsenter --net=...}, which keeps {@code /sys/fs/cgroup}; {@code ip netns exec} remounts {@code /sys}).
 *
 * <p>Usage: {@code Baselines SCENARIO_DIR OUT_DIR CGROUP_PARENT [--no-cgroups] [--from BASE_DIR]}.
 */
public final class Baselines {

    /** qfence's cgroup adapter on this host's layout: where each file is, and the order qfence writes them in. */
    static final CgroupFs CGROUPS = new CgroupFs(io.qfence.platform.cgroup.CgroupLayout.detect());
    /** The netdev group the near-limit teardown moves links into (any group no one else uses in the sandbox). */
    static final int SCRATCH_GROUP = 4242;

    private final boolean cgroups;
    private final Map<String, Integer> counts = new TreeMap<>();

    private Baselines(boolean cgroups) {
        this.cgroups = cgroups;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: Baselines SCENARIO_DIR OUT_DIR CGROUP_PARENT [--no-cgroups] [--from BASE_DIR]");
            System.exit(64);
        }
        Path scenario = Path.of(args[0]);
        Path out = Path.of(args[1]);
        String parent = args[2];
        boolean cgroups = true;
        Path from = null;
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--no-cgroups" -> cgroups = false;
                case "--from" -> from = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Files.createDirectories(out);
        Baselines b = new Baselines(cgroups);
        Realization to = BenchRealization.realize(scenario, parent);
        NftListing toNft = NftListing.of(to.firewall());
        b.writeApplyAndTeardown(to, toNft, out);
        if (from != null) {
            Realization base = BenchRealization.realize(from, parent);
            b.writeDelta(base, NftListing.of(base.firewall()), to, toNft, out);
        }
        StringBuilder json = new StringBuilder("{");
        b.counts.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        Files.writeString(out.resolve("counts.json"), json.append("}\n").toString(), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------------ cold and teardown

    void writeApplyAndTeardown(Realization r, NftListing nft, Path out) throws IOException {
        List<Link> links = ordered(r.objects(Link.class));
        List<Sysctl> sysctls = r.objects(Sysctl.class);
        List<Cgroup> groups = cgroups ? parentsFirst(r.objects(Cgroup.class)) : List.of();
        counts.put("links", links.size());
        counts.put("sysctls", sysctls.size());
        counts.put("cgroups", groups.size());
        counts.put("nft_rules", nft.tables().stream().mapToInt(t -> t.chains().values().stream().mapToInt(c -> c.rules().size()).sum()).sum());
        counts.put("nft_set_elements", nft.tables().stream().mapToInt(t -> t.sets().values().stream().mapToInt(s -> s.elements().size()).sum()).sum());

        Script script = new Script();
        links.forEach(l -> scriptCreate(script, l));
        sysctls.forEach(s -> script.process("sysctl -qw " + s.key() + "=" + s.value()));
        nft.tables().forEach(t -> scriptCreate(script, t));
        groups.forEach(c -> scriptCreate(script, c));
        script.write(out.resolve("script-apply.sh"));
        counts.put("script_apply_processes", script.processes);

        Script teardown = new Script();
        List<Link> reversed = new ArrayList<>(links);
        java.util.Collections.reverse(reversed);
        reversed.forEach(l -> teardown.process("ip link del dev " + l.name()));
        nft.tables().forEach(t -> teardown.process("nft delete table " + t.family() + " qfence"));
        childrenFirst(directories(groups)).forEach(d -> teardown.process("rmdir " + d));
        teardown.write(out.resolve("script-teardown.sh"));
        counts.put("script_teardown_processes", teardown.processes);

        StringBuilder batch = new StringBuilder();
        links.forEach(l -> batchCreate(batch, l));
        Files.writeString(out.resolve("near-links.batch"), batch.toString(), StandardCharsets.UTF_8);
        StringBuilder ruleset = new StringBuilder();
        nft.tables().forEach(t -> ruleset.append(t.text()));
        Files.writeString(out.resolve("near-ruleset.nft"), ruleset.toString(), StandardCharsets.UTF_8);
        Script near = new Script();
        near.process("ip -batch " + out.resolve("near-links.batch"));
        sysctls.forEach(s -> near.builtin("echo " + s.value() + " > " + procSys(s.key())));
        near.process("nft -f " + out.resolve("near-ruleset.nft"));
        nearCgroups(near, groups, List.of());
        near.write(out.resolve("near-apply.sh"));
        counts.put("near_apply_processes", near.processes);

        StringBuilder del = new StringBuilder();
        links.forEach(l -> del.append("link set dev ").append(l.name()).append(" group ").append(SCRATCH_GROUP).append('\n'));
        del.append("link delete group ").append(SCRATCH_GROUP).append('\n');
        Files.writeString(out.resolve("near-teardown.batch"), del.toString(), StandardCharsets.UTF_8);
        StringBuilder nftDel = new StringBuilder();
        nft.tables().forEach(t -> nftDel.append("delete table ").append(t.family()).append(" qfence\n"));
        Files.writeString(out.resolve("near-teardown.nft"), nftDel.toString(), StandardCharsets.UTF_8);
        Script nearDown = new Script();
        nearDown.process("ip -batch " + out.resolve("near-teardown.batch"));
        nearDown.process("nft -f " + out.resolve("near-teardown.nft"));
        List<String> dirs = childrenFirst(directories(groups));
        if (!dirs.isEmpty()) {
            Files.write(out.resolve("near-teardown.dirs"), dirs, StandardCharsets.UTF_8);
            nearDown.process("xargs -a " + out.resolve("near-teardown.dirs") + " rmdir");
        }
        nearDown.write(out.resolve("near-teardown.sh"));
        counts.put("near_teardown_processes", nearDown.processes);
    }

    // ------------------------------------------------------------------------------------------------ deltas

    /** From {@code base} to {@code to}: only additions and changes (what the bench's variants make) are supported. */
    void writeDelta(Realization base, NftListing baseNft, Realization to, NftListing toNft, Path out) throws IOException {
        Map<String, HostObject> before = new LinkedHashMap<>();
        base.objects().forEach(o -> before.put(o.address(), o));
        for (HostObject o : base.objects()) {
            if (to.object(o.address()).isEmpty() && !(o instanceof io.qfence.model.host.Guest)) {
                throw new IllegalArgumentException("delta baselines support additions and changes only; " + o.address() + " is removed");
            }
        }
        List<Link> newLinks = new ArrayList<>();
        for (Link l : ordered(to.objects(Link.class))) {
            HostObject b = before.get(l.address());
            if (b == null) {
                newLinks.add(l);
            } else if (!b.equals(l)) {
                throw new IllegalArgumentException("delta baselines do not change existing links: " + l.address());
            }
        }
        List<Cgroup> newCgroups = new ArrayList<>();
        List<Cgroup> changedCgroups = new ArrayList<>();
        if (cgroups) {
            for (Cgroup c : parentsFirst(to.objects(Cgroup.class))) {
                HostObject b = before.get(c.address());
                if (b == null) {
                    newCgroups.add(c);
                } else if (!b.equals(c)) {
                    changedCgroups.add(c);
                }
            }
        }
        List<Sysctl> newSysctls = to.objects(Sysctl.class).stream().filter(s -> !s.equals(before.get(s.address()))).toList();
        counts.put("delta_links", newLinks.size());
        counts.put("delta_cgroups", newCgroups.size() + changedCgroups.size());

        Script script = new Script();
        newLinks.forEach(l -> scriptCreate(script, l));
        newSysctls.forEach(s -> script.process("sysctl -qw " + s.key() + "=" + s.value()));
        List<String> nftCommands = nftDelta(baseNft, toNft);
        nftCommands.forEach(c -> script.process("nft " + quote(c)));
        // changed (parent) limits first: a new child's limits must fit under its parent's on v1
        changedCgroups.forEach(c -> scriptWrite(script, c, (Cgroup) before.get(c.address())));
        newCgroups.forEach(c -> scriptCreate(script, c));
        script.write(out.resolve("script-delta.sh"));
        counts.put("script_delta_processes", script.processes);
        counts.put("delta_nft_commands", nftCommands.size());

        Script near = new Script();
        if (!newLinks.isEmpty()) {
            StringBuilder batch = new StringBuilder();
            newLinks.forEach(l -> batchCreate(batch, l));
            Files.writeString(out.resolve("near-delta.batch"), batch.toString(), StandardCharsets.UTF_8);
            near.process("ip -batch " + out.resolve("near-delta.batch"));
        }
        newSysctls.forEach(s -> near.builtin("echo " + s.value() + " > " + procSys(s.key())));
        if (!nftCommands.isEmpty()) {
            Files.writeString(out.resolve("near-delta.nft"), String.join("\n", nftCommands) + "\n", StandardCharsets.UTF_8);
            near.process("nft -f " + out.resolve("near-delta.nft"));
        }
        List<Cgroup> changedBefore = changedCgroups.stream().map(c -> (Cgroup) before.get(c.address())).toList();
        nearCgroups(near, newCgroups, changedCgroups.isEmpty() ? List.of() : zip(changedCgroups, changedBefore));
        near.write(out.resolve("near-delta.sh"));
        counts.put("near_delta_processes", near.processes);
    }

    private static List<Cgroup[]> zip(List<Cgroup> after, List<Cgroup> before) {
        List<Cgroup[]> pairs = new ArrayList<>();
        for (int i = 0; i < after.size(); i++) {
            pairs.add(new Cgroup[] {after.get(i), before.get(i)});
        }
        return pairs;
    }

    /**
     * nft commands from one listing to the other: new tables, counters, sets and chains; set elements added and
     * removed; a chain whose rules differ is flushed and refilled (standard tools address rules by handle, which a
     * script does not know). As one {@code nft -f} file this is a single transaction.
     */
    static List<String> nftDelta(NftListing from, NftListing to) {
        List<String> cmds = new ArrayList<>();
        for (NftListing.Table t : to.tables()) {
            NftListing.Table f = from.tables().stream().filter(x -> x.family().equals(t.family())).findFirst().orElse(null);
            String table = t.family() + " qfence";
            if (f == null) {
                cmds.add("add table " + table);
            }
            for (String c : t.counters()) {
                if (f == null || !f.counters().contains(c)) {
                    cmds.add("add counter " + table + " " + c);
                }
            }
            for (NftListing.Set s : t.sets().values()) {
                NftListing.Set old = f == null ? null : f.sets().get(s.name());
                if (old != null && !old.definition().equals(s.definition())) {
                    throw new IllegalArgumentException("delta baselines do not redefine sets: " + s.name());
                }
                if (old == null) {
                    cmds.add("add " + s.kind() + " " + table + " " + s.name() + " { " + s.definition() + "; }");
                }
                Set<String> had = old == null ? Set.of() : new LinkedHashSet<>(old.elements());
                Set<String> has = new LinkedHashSet<>(s.elements());
                for (String e : had) {
                    if (!has.contains(e)) {
                        cmds.add("delete element " + table + " " + s.name() + " { " + e + " }");
                    }
                }
                for (String e : s.elements()) {
                    if (!had.contains(e)) {
                        cmds.add("add element " + table + " " + s.name() + " { " + e + " }");
                    }
                }
            }
            for (NftListing.Chain c : t.chains().values()) {
                NftListing.Chain old = f == null ? null : f.chains().get(c.name());
                if (old == null) {
                    cmds.add(chainCommand(table, c));
                } else if (!old.hook().equals(c.hook())) {
                    throw new IllegalArgumentException("delta baselines do not change chain hooks: " + c.name());
                }
                if (old != null && old.rules().equals(c.rules())) {
                    continue;
                }
                if (old != null) {
                    cmds.add("flush chain " + table + " " + c.name());
                }
                c.rules().forEach(rule -> cmds.add("add rule " + table + " " + c.name() + " " + rule));
            }
            if (f != null) {
                for (String gone : f.chains().keySet()) {
                    if (!t.chains().containsKey(gone)) {
                        throw new IllegalArgumentException("delta baselines do not delete chains: " + gone);
                    }
                }
            }
        }
        return cmds;
    }

    // ------------------------------------------------------------------------------------------------ one object

    private static void scriptCreate(Script s, Link l) {
        String n = l.name();
        if (l.kind() == LinkKind.BRIDGE) {
            s.process("ip link add name " + n + " type bridge");
        } else if (l.kind() == LinkKind.TAP) {
            s.process("ip tuntap add dev " + n + " mode tap user " + l.ownerUid().orElseThrow() + " group " + l.ownerGid().orElseThrow() + " vnet_hdr");
        } else {
            throw new IllegalArgumentException("this kernel cannot make " + l.kind() + " links: " + l.address());
        }
        l.mac().ifPresent(m -> s.process("ip link set dev " + n + " address " + m));
        if (l.mtu() != 1500) {
            s.process("ip link set dev " + n + " mtu " + l.mtu());
        }
        s.process("ip link set dev " + n + " alias " + quote(l.alias()));
        l.addresses().forEach(a -> s.process("ip addr add " + a + " dev " + n));
        l.master().ifPresent(m -> s.process("ip link set dev " + n + " master " + m));
        l.portFlags().filter(f -> !f.equals(DEFAULT_PORT)).ifPresent(f -> s.process("bridge link set dev " + n + portFlags(f)));
        if (l.up()) {
            s.process("ip link set dev " + n + " up");
        }
    }

    /** The kernel's defaults for a new bridge port; the guides only set what differs. */
    static final PortFlags DEFAULT_PORT = new PortFlags(false, true, false);

    private static String portFlags(PortFlags f) {
        return " isolated " + onOff(f.isolated()) + " learning " + onOff(f.learning()) + " neigh_suppress " + onOff(f.neighSuppress());
    }

    private static String onOff(boolean b) {
        return b ? "on" : "off";
    }

    private static void batchCreate(StringBuilder b, Link l) {
        String n = l.name();
        if (l.kind() == LinkKind.BRIDGE) {
            b.append("link add name ").append(n);
            l.mac().ifPresent(m -> b.append(" address ").append(m));
            b.append(" mtu ").append(l.mtu()).append(" type bridge\n");
            b.append("link set dev ").append(n).append(" alias ").append(quote2(l.alias())).append(l.up() ? " up" : "").append('\n');
        } else if (l.kind() == LinkKind.TAP) {
            b.append("tuntap add dev ").append(n).append(" mode tap user ").append(l.ownerUid().orElseThrow())
                    .append(" group ").append(l.ownerGid().orElseThrow()).append(" vnet_hdr\n");
            b.append("link set dev ").append(n);
            l.mac().ifPresent(m -> b.append(" address ").append(m));
            if (l.mtu() != 1500) {
                b.append(" mtu ").append(l.mtu());
            }
            b.append(" alias ").append(quote2(l.alias()));
            l.master().ifPresent(m -> b.append(" master ").append(m));
            b.append(l.up() ? " up" : "").append('\n');
            // the kernel refuses port options in the request that enslaves (EOPNOTSUPP): a second request
            l.portFlags().filter(f -> !f.equals(DEFAULT_PORT))
                    .ifPresent(f -> b.append("link set dev ").append(n).append(" type bridge_slave").append(portFlags(f)).append('\n'));
        } else {
            throw new IllegalArgumentException("this kernel cannot make " + l.kind() + " links: " + l.address());
        }
        l.addresses().forEach(a -> b.append("address add ").append(a).append(" dev ").append(n).append('\n'));
    }

    private static void scriptCreate(Script s, NftListing.Table t) {
        String table = t.family() + " qfence";
        s.process("nft add table " + table);
        t.counters().forEach(c -> s.process("nft add counter " + table + " " + c));
        t.sets().values().forEach(set -> s.process("nft " + quote("add " + set.kind() + " " + table + " " + set.name() + " { " + set.definition() + "; }")));
        t.chains().values().forEach(c -> s.process("nft " + quote(chainCommand(table, c))));
        t.sets().values().forEach(set -> set.elements().forEach(e -> s.process("nft " + quote("add element " + table + " " + set.name() + " { " + e + " }"))));
        t.chains().values().forEach(c -> c.rules().forEach(r -> s.process("nft " + quote("add rule " + table + " " + c.name() + " " + r))));
    }

    private static String chainCommand(String table, NftListing.Chain c) {
        return "add chain " + table + " " + c.name() + (c.hook().isEmpty() ? "" : " { " + c.hook() + " }");
    }

    private static void scriptCreate(Script s, Cgroup c) {
        for (String dir : dirs(c)) {
            s.process("mkdir " + dir);
        }
        writeFiles(s, c, null);
    }

    private static void scriptWrite(Script s, Cgroup c, Cgroup before) {
        writeFiles(s, c, before);
    }

    /**
     * The files in qfence's order, each where this host's layout keeps it. A v2 {@code cgroup.subtree_control} is
     * realized as the list the kernel shows ({@code cpu io memory pids}) and written as what enables them
     * ({@code +cpu +io +memory +pids}).
     */
    private static void writeFiles(Script s, Cgroup c, Cgroup before) {
        for (String file : CGROUPS.writeOrder(c)) {
            String v = c.files().get(file);
            if (before == null || !v.equals(before.files().get(file))) {
                String value = file.equals(CgroupFs.SUBTREE_CONTROL) ? "+" + String.join(" +", v.trim().split("\\s+")) : v;
                s.builtin("echo " + value + " > " + CGROUPS.fileOf(c.path(), file));
            }
        }
    }

    /** All directories by one {@code mkdir}, then every value by the shell's {@code echo}. */
    private static void nearCgroups(Script s, List<Cgroup> created, List<Cgroup[]> changed) {
        changed.forEach(p -> writeFiles(s, p[0], p[1]));
        List<String> dirs = directories(created);
        if (!dirs.isEmpty()) {
            s.process("mkdir " + String.join(" ", dirs));
        }
        created.forEach(c -> writeFiles(s, c, null));
    }

    /**
     * A cgroup's directories as qfence makes them, whether or not it writes a file there: one in every v1 hierarchy
     * qfence uses, or the one v2 directory.
     */
    private static List<String> dirs(Cgroup c) {
        return CGROUPS.directories(c.path()).stream().map(Path::toString).toList();
    }

    private static List<String> directories(List<Cgroup> parentsFirst) {
        List<String> all = new ArrayList<>();
        parentsFirst.forEach(c -> all.addAll(dirs(c)));
        return all;
    }

    private static List<String> childrenFirst(List<String> parentsFirst) {
        List<String> r = new ArrayList<>(parentsFirst);
        java.util.Collections.reverse(r);
        return r;
    }

    private static List<Cgroup> parentsFirst(List<Cgroup> cgroups) {
        return cgroups.stream().sorted(Comparator.comparingInt((Cgroup c) -> c.path().split("/").length).thenComparing(Cgroup::path)).toList();
    }

    /** Bridges before taps (a tap's master must exist). */
    private static List<Link> ordered(List<Link> links) {
        return links.stream().sorted(Comparator.comparingInt((Link l) -> l.kind() == LinkKind.BRIDGE ? 0 : 1).thenComparing(Link::address)).toList();
    }

    private static String procSys(String key) {
        return "/proc/sys/" + key.replace('.', '/');
    }

    /** Single-quoted for the shell. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Double-quoted for {@code ip -batch}, which splits on blanks and honours double quotes. */
    private static String quote2(String s) {
        if (s.contains("\"") || s.contains("\\")) {
            throw new IllegalArgumentException("cannot quote " + s + " for ip -batch");
        }
        return "\"" + s + "\"";
    }

    /** A shell script, counting the processes it starts (builtins start none). */
    static final class Script {
        private final StringBuilder body = new StringBuilder("#!/bin/bash\n# generated by bench Baselines; do not edit\nset -e\n");
        int processes;

        void process(String line) {
            body.append(line).append('\n');
            processes++;
        }

        void builtin(String line) {
            body.append(line).append('\n');
        }

        void write(Path file) {
            try {
                Files.writeString(file, body.toString(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Objects.requireNonNull(file);
        }
    }
}
