package io.qfence.cli;

import io.qfence.model.host.ConfinementLayers;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestConfinement;
import io.qfence.model.host.HostObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Pure: {@code qfence state --format confinement}, one line per guest with the confinement its QEMU really has (read
 * from {@code /proc}, DESIGN.md §9 "The confinement report") and the layers it lacks that its host's settings require.
 * The details (every id, capability set, namespace inode, cgroup and descriptor) stay in the JSON; this is the view
 * to read at a glance. Columns are as wide as their widest cell, two spaces apart; guests by name.
 */
final class ConfinementTable {

    static final List<String> HEADER = List.of("VM", "UID", "NAMESPACES", "ROOT", "SECCOMP", "CAPS", "NNP", "APPARMOR", "MISSING");
    /** A guest without a running QEMU has no confinement to show. */
    static final String NONE = "-";

    private ConfinementTable() {}

    static List<String> lines(List<HostObject> observed, List<ConfinementLayers.MissingLayer> missing) {
        Map<String, List<String>> lacks = new TreeMap<>();
        missing.forEach(m -> lacks.computeIfAbsent(m.vm(), k -> new ArrayList<>()).add(m.layer().label()));
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        observed.stream().filter(o -> o instanceof Guest).map(o -> (Guest) o).sorted(Comparator.comparing(Guest::vm))
                .forEach(g -> rows.add(row(g.vm(), g.runtime().confinement(), lacks.getOrDefault(g.vm(), List.of()))));
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                b.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            lines.add(b.toString().stripTrailing());
        }
        return lines;
    }

    static List<String> row(String vm, Optional<GuestConfinement> found, List<String> lacks) {
        String missing = lacks.isEmpty() ? NONE : String.join(",", lacks);
        if (found.isEmpty()) {
            return List.of(vm, NONE, NONE, NONE, NONE, NONE, NONE, NONE, missing);
        }
        GuestConfinement c = found.get();
        return List.of(vm, uid(c.uids()), namespaces(c), root(c.root()), seccomp(c), c.capabilities().none() ? "none" : "eff:" + c.capabilities().effective(),
                c.noNewPrivs() ? "yes" : "no", c.apparmor(), missing);
    }

    /** One uid when real, effective, saved and filesystem uid agree (as they must); all four otherwise. */
    static String uid(List<Long> uids) {
        return uids.stream().distinct().count() == 1 ? Long.toString(uids.get(0))
                : uids.stream().map(String::valueOf).collect(Collectors.joining("/"));
    }

    /**
     * The jail's namespaces (the four, and cgroup where the report has it): {@code own} when each is neither the
     * host's nor another guest's; else the kinds
     * that are not, with whom ({@code host: mnt,pid,ipc,uts}, {@code shared: ipc}).
     */
    static String namespaces(GuestConfinement c) {
        List<String> host = new ArrayList<>();
        List<String> shared = new ArrayList<>();
        for (String kind : ConfinementLayers.jailNamespaces(c)) {
            GuestConfinement.Namespace ns = c.namespaces().get(kind);
            if (ns == null || ns.host()) {
                host.add(kind);
            } else if (!ns.own()) {
                shared.add(kind);
            }
        }
        if (host.isEmpty() && shared.isEmpty()) {
            return "own";
        }
        List<String> parts = new ArrayList<>();
        if (!host.isEmpty()) {
            parts.add("host:" + String.join(",", host));
        }
        if (!shared.isEmpty()) {
            parts.add("shared:" + String.join(",", shared));
        }
        return String.join(" ", parts);
    }

    static String root(GuestConfinement.Root root) {
        return root.jail() ? "jail" : "host(" + root.fsType() + (root.hostRoot() ? ",host-root" : "") + ")";
    }

    static String seccomp(GuestConfinement c) {
        return switch (c.seccompMode()) {
            case 2 -> "filter";
            case 1 -> "strict";
            default -> "off";
        };
    }
}
