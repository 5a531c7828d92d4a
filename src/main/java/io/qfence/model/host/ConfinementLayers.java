package io.qfence.model.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Pure: which confinement layers a guest's realized configuration requires (from its host's settings: AppArmor and
 * the jail as realized, seccomp and the unprivileged launch always), and which of them the report read from
 * {@code /proc} shows missing. {@code verify} fails on any; {@code state} warns.
 */
public final class ConfinementLayers {

    /** The jail's namespaces: each must be the guest's own (not the host's, not another guest's). */
    public static final List<String> JAIL_NAMESPACES = List.of("mnt", "pid", "ipc", "uts");
    /**
     * The cgroup namespace, also the jail's own where the kernel has cgroup namespaces: a report that holds one was
     * read on such a kernel, so a jailed guest must have its own.
     */
    public static final String CGROUP_NAMESPACE = "cgroup";

    /** The namespaces a jailed guest must have of its own, as judged from its report: the four, and cgroup if read. */
    public static List<String> jailNamespaces(GuestConfinement c) {
        if (!c.namespaces().containsKey(CGROUP_NAMESPACE)) {
            return JAIL_NAMESPACES;
        }
        List<String> kinds = new ArrayList<>(JAIL_NAMESPACES);
        kinds.add(CGROUP_NAMESPACE);
        return List.copyOf(kinds);
    }

    /** The layers, in the order they are reported. */
    public enum Layer {
        UID("uid"), GROUPS("groups"), CAPABILITIES("capabilities"), NO_NEW_PRIVS("no_new_privs"), SECCOMP("seccomp"),
        APPARMOR("apparmor"), NAMESPACES("namespaces"), ROOT("root"), CGROUPS("cgroups"), DESCRIPTORS("descriptors"),
        PROCESS("process");

        private final String label;

        Layer(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** A layer the guest lacks: what was found and what its host's settings require. */
    public record MissingLayer(String vm, Layer layer, String found, String required) {
        public MissingLayer {
            Objects.requireNonNull(vm, "vm");
            Objects.requireNonNull(layer, "layer");
            Objects.requireNonNull(found, "found");
            Objects.requireNonNull(required, "required");
        }

        /** {@code web-01 lacks namespaces: found ..., required ...} */
        public String message() {
            return vm + " lacks " + layer.label() + ": found " + found + "; required " + required;
        }
    }

    private ConfinementLayers() {}

    /**
     * Every layer {@code realized} requires that {@code found} lacks; the process layer alone when nothing could be
     * read (the guest is not running).
     */
    public static List<MissingLayer> missing(Guest realized, Optional<GuestConfinement> found) {
        String vm = realized.vm();
        if (found.isEmpty()) {
            return List.of(new MissingLayer(vm, Layer.PROCESS, "no running QEMU to read", "a running QEMU"));
        }
        GuestConfinement c = found.get();
        List<MissingLayer> missing = new ArrayList<>();
        boolean rightIds = c.uids().stream().allMatch(u -> u == realized.uid()) && c.gids().stream().allMatch(g -> g == realized.gid());
        if (!rightIds || c.uids().contains(0L) || c.gids().contains(0L)) {
            missing.add(new MissingLayer(vm, Layer.UID, "uids " + c.uids() + " gids " + c.gids(), "uid " + realized.uid() + " and gid " + realized.gid()
                    + " throughout"));
        }
        if (!c.groups().isEmpty()) {
            missing.add(new MissingLayer(vm, Layer.GROUPS, "supplementary groups " + c.groups(), "none"));
        }
        if (!c.capabilities().none()) {
            GuestConfinement.Capabilities caps = c.capabilities();
            missing.add(new MissingLayer(vm, Layer.CAPABILITIES, "eff " + caps.effective() + " prm " + caps.permitted() + " bnd " + caps.bounding(),
                    "every set empty, the bounding set included"));
        }
        if (!c.noNewPrivs()) {
            missing.add(new MissingLayer(vm, Layer.NO_NEW_PRIVS, "NoNewPrivs 0", "NoNewPrivs 1"));
        }
        if (c.seccompMode() != 2 || c.seccompFilters().orElse(1) < 1) {
            missing.add(new MissingLayer(vm, Layer.SECCOMP, "Seccomp " + c.seccompMode() + c.seccompFilters().stream().mapToObj(n -> " with " + n + " filter(s)")
                    .findFirst().orElse(""), "Seccomp 2 (filter, QEMU's -sandbox)"));
        }
        if ("enforce".equals(realized.config().get("apparmor"))) {
            String profile = "qfence." + realized.group() + "." + vm + " (enforce)";
            if (!c.apparmor().equals(profile)) {
                missing.add(new MissingLayer(vm, Layer.APPARMOR, "label " + c.apparmor(), "label " + profile + " (confinement.apparmor)"));
            }
        }
        if ("jail".equals(realized.config().get("namespaces"))) {
            List<String> shared = new ArrayList<>();
            for (String kind : jailNamespaces(c)) {
                GuestConfinement.Namespace ns = c.namespaces().get(kind);
                if (ns == null) {
                    shared.add(kind + " unreadable");
                } else if (!ns.own()) {
                    shared.add(kind + ":[" + ns.inode() + "] shared with " + (ns.host() ? "the host" : "") + (ns.host() && !ns.sharedWith().isEmpty() ? " and " : "")
                            + (ns.sharedWith().isEmpty() ? "" : String.join(", ", ns.sharedWith())));
                }
            }
            if (!shared.isEmpty()) {
                missing.add(new MissingLayer(vm, Layer.NAMESPACES, String.join("; ", shared),
                        (c.namespaces().containsKey(CGROUP_NAMESPACE) ? "mount, PID, IPC, UTS and cgroup" : "mount, PID, IPC and UTS")
                                + " namespaces of its own (confinement.namespaces)"));
            }
            GuestConfinement.Root root = c.root();
            if (!root.jail()) {
                missing.add(new MissingLayer(vm, Layer.ROOT, root.fsType() + " at / with " + root.mounts() + " mounts" + (root.hostRoot() ? ", the host's root mounted" : ""),
                        "its jail: a tmpfs root of its own without the host's (confinement.namespaces)"));
            }
        }
        String cgroup = "/" + realized.launch().cgroupPath().replaceAll("^/+", "");
        if (c.cgroups().stream().noneMatch(l -> l.substring(l.indexOf(':', l.indexOf(':') + 1) + 1).equals(cgroup))) {
            missing.add(new MissingLayer(vm, Layer.CGROUPS, c.cgroups().isEmpty() ? "no cgroups" : String.join(" ", c.cgroups()), "its VM cgroup " + cgroup));
        }
        if (!c.descriptors().outside().isEmpty()) {
            missing.add(new MissingLayer(vm, Layer.DESCRIPTORS, "open outside its run directory, images and devices: " + c.descriptors().outside(),
                    "no such file open"));
        }
        return missing;
    }

    /**
     * The namespaces of every guest with whom each is shared: another guest in the same namespace (the same inode of
     * the same kind) is named in {@link GuestConfinement.Namespace#sharedWith()}.
     */
    public static Map<String, GuestConfinement> shared(Map<String, GuestConfinement> byVm) {
        Map<String, GuestConfinement> out = new TreeMap<>();
        for (Map.Entry<String, GuestConfinement> e : byVm.entrySet()) {
            SortedMap<String, GuestConfinement.Namespace> namespaces = new TreeMap<>();
            e.getValue().namespaces().forEach((kind, ns) -> {
                List<String> others = new ArrayList<>();
                byVm.forEach((vm, c) -> {
                    GuestConfinement.Namespace theirs = c.namespaces().get(kind);
                    if (!vm.equals(e.getKey()) && theirs != null && theirs.inode() == ns.inode()) {
                        others.add(vm);
                    }
                });
                namespaces.put(kind, new GuestConfinement.Namespace(ns.inode(), ns.host(), others));
            });
            out.put(e.getKey(), e.getValue().withNamespaces(namespaces));
        }
        return out;
    }
}
