package io.qfence.verify;

import io.qfence.model.host.GuestConfinement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One line per guest for the confinement report ({@code verify}'s text and Markdown, {@code state}'s warnings). */
public final class ConfinementText {

    private ConfinementText() {}

    /**
     * {@code uid 20001, no groups, no capabilities, no_new_privs, seccomp 2 (1 filter), apparmor unconfined,
     * namespaces mnt pid ipc uts own, net host, root jail (tmpfs, 23 mounts), cgroup /qfence/web/web-01, 12 fds
     * (file 3, socket 2, tap 1, ...)}
     */
    public static String line(GuestConfinement c) {
        List<String> parts = new ArrayList<>();
        parts.add(c.uids().stream().distinct().count() == 1 && c.gids().stream().distinct().count() == 1
                ? "uid " + c.uids().get(0) + " gid " + c.gids().get(0) : "uids " + c.uids() + " gids " + c.gids());
        parts.add(c.groups().isEmpty() ? "no groups" : "groups " + c.groups());
        parts.add(c.capabilities().none() ? "no capabilities"
                : "capabilities eff " + c.capabilities().effective() + " prm " + c.capabilities().permitted() + " bnd " + c.capabilities().bounding());
        parts.add(c.noNewPrivs() ? "no_new_privs" : "no_new_privs unset");
        parts.add("seccomp " + c.seccompMode() + c.seccompFilters().stream().mapToObj(n -> " (" + n + " filter" + (n == 1 ? "" : "s") + ")")
                .findFirst().orElse(""));
        parts.add("apparmor " + c.apparmor());
        parts.add(namespaces(c.namespaces()));
        GuestConfinement.Root root = c.root();
        parts.add("root " + (root.jail() ? "jail" : "not a jail") + " (" + root.fsType() + ", " + root.mounts() + " mounts"
                + (root.hostRoot() ? ", host's root mounted" : "") + ")");
        List<String> cgroups = c.cgroups().stream().map(l -> l.substring(l.indexOf(':', l.indexOf(':') + 1) + 1))
                .filter(p -> !p.equals("/")).distinct().toList();
        parts.add(cgroups.isEmpty() ? "no cgroup" : "cgroup " + String.join(" ", cgroups));
        GuestConfinement.Descriptors fds = c.descriptors();
        parts.add(fds.count() + " fds (" + fds.kinds().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))
                + ")" + (fds.outside().isEmpty() ? "" : ", OUTSIDE: " + String.join(", ", fds.outside())));
        return String.join(", ", parts);
    }

    /** {@code namespaces mnt pid ipc uts own, net host, cgroup host}: each kind grouped by whose it is. */
    static String namespaces(Map<String, GuestConfinement.Namespace> namespaces) {
        Map<String, List<String>> byOwner = new java.util.LinkedHashMap<>();
        for (String kind : List.of("mnt", "pid", "ipc", "uts", "net", "cgroup")) {
            GuestConfinement.Namespace ns = namespaces.get(kind);
            if (ns != null) {
                // the host's is shared with every guest in it: naming them all would say nothing more
                String owner = ns.host() ? "host" : ns.sharedWith().isEmpty() ? "own"
                        : "shared with " + (ns.sharedWith().size() <= 3 ? String.join(" ", ns.sharedWith()) : ns.sharedWith().size() + " guests");
                byOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(kind);
            }
        }
        return "namespaces " + byOwner.entrySet().stream().map(e -> String.join(" ", e.getValue()) + " " + e.getKey())
                .collect(Collectors.joining(", "));
    }
}
