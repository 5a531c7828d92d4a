package io.qfence.plan.diff;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.Vm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What an isolation change does, for its reviewer: the flows it gains and loses (computed from the realized policy
 * of each revision, not from the YAML text, so that a refactoring that allows nothing new shows nothing), and the
 * changes to VLANs, subnets, limits and VM lifecycle.
 *
 * @param from     the old revision, e.g. a commit id
 * @param to       the new revision
 * @param gained   flows the new revision allows and the old did not: access widens
 * @param lost     flows the old revision allowed and the new does not: access narrows
 * @param settings sorted by subject and setting
 * @param broken   the invariants the new revision breaks, newly broken first (DESIGN.md §18)
 */
public record IsolationDiff(String from, String to, FlowSet gained, FlowSet lost, List<SettingChange> settings,
        List<InvariantBreak> broken) {

    /** A diff of a desired state without invariants, or of flows alone. */
    public IsolationDiff(String from, String to, FlowSet gained, FlowSet lost, List<SettingChange> settings) {
        this(from, to, gained, lost, settings, List.of());
    }

    public IsolationDiff {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(gained, "gained");
        Objects.requireNonNull(lost, "lost");
        settings = List.copyOf(settings);
        broken = List.copyOf(broken);
    }

    /** The same diff, with the invariants the new revision breaks. */
    public IsolationDiff withBroken(List<InvariantBreak> invariants) {
        return new IsolationDiff(from, to, gained, lost, settings, invariants);
    }

    /** The new revision breaks an invariant the old one kept: validate, plan, apply and the daemon will refuse it. */
    public boolean breaksInvariants() {
        return broken.stream().anyMatch(b -> !b.alreadyBroken());
    }

    /** Flows only. */
    public static IsolationDiff of(String from, FlowSet before, String to, FlowSet after) {
        return new IsolationDiff(from, to, after.minus(before), before.minus(after), List.of());
    }

    /** Flows, and the settings of the two desired states. */
    public static IsolationDiff of(String from, FlowSet before, DesiredState beforeState, String to, FlowSet after, DesiredState afterState) {
        return new IsolationDiff(from, to, after.minus(before), before.minus(after), settings(beforeState, afterState));
    }

    /** Access widens: some flow is allowed that was not. {@code diff --fail-on-widen} exits 3 then. */
    public boolean widens() {
        return !gained.isEmpty();
    }

    public boolean narrows() {
        return !lost.isEmpty();
    }

    public boolean isEmpty() {
        return gained.isEmpty() && lost.isEmpty() && settings.isEmpty() && broken.isEmpty();
    }

    static List<SettingChange> settings(DesiredState before, DesiredState after) {
        List<SettingChange> out = new ArrayList<>();
        compare(before.groups(), after.groups(), Group::name, "group", IsolationDiff::groupSettings, out);
        compare(vms(before), vms(after), p -> p.vm().name(), "vm", IsolationDiff::vmSettings, out);
        compare(before.hosts(), after.hosts(), Host::name, "host", h -> {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("groups", String.join(", ", h.groups()));
            m.put("uplink", h.uplink().orElse("(none)"));
            return m;
        }, out);
        out.sort(java.util.Comparator.comparing(SettingChange::subject).thenComparing(SettingChange::setting));
        return out;
    }

    private static List<DesiredState.PlacedVm> vms(DesiredState s) {
        return s.groups().stream().flatMap(g -> g.vms().stream().map(v -> new DesiredState.PlacedVm(g, v))).toList();
    }

    private static <T> void compare(List<T> before, List<T> after, Function<T, String> name, String kind,
            Function<T, Map<String, String>> settings, List<SettingChange> out) {
        Map<String, T> b = new TreeMap<>();
        before.forEach(t -> b.put(name.apply(t), t));
        Map<String, T> a = new TreeMap<>();
        after.forEach(t -> a.put(name.apply(t), t));
        TreeSet<String> names = new TreeSet<>(b.keySet());
        names.addAll(a.keySet());
        for (String n : names) {
            Map<String, String> bs = b.containsKey(n) ? settings.apply(b.get(n)) : Map.of();
            Map<String, String> as = a.containsKey(n) ? settings.apply(a.get(n)) : Map.of();
            if (!b.containsKey(n) || !a.containsKey(n)) {
                String lifecycle = kind.equals("vm") ? (b.containsKey(n) ? bs : as).get("state") : "present";
                out.add(new SettingChange(kind + " " + n, "lifecycle", b.containsKey(n) ? Optional.of(lifecycle) : Optional.empty(),
                        a.containsKey(n) ? Optional.of(lifecycle) : Optional.empty()));
            }
            TreeSet<String> keys = new TreeSet<>(bs.keySet());
            keys.addAll(as.keySet());
            for (String k : keys) {
                Optional<String> bv = Optional.ofNullable(bs.get(k));
                Optional<String> av = Optional.ofNullable(as.get(k));
                if (!bv.equals(av) && b.containsKey(n) && a.containsKey(n)) {
                    out.add(new SettingChange(kind + " " + n, k, bv, av));
                }
            }
        }
    }

    private static Map<String, String> groupSettings(Group g) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("vlan", Integer.toString(g.vlan()));
        m.put("subnet", g.subnet().toString());
        g.subnet6().ifPresent(s -> m.put("subnet6", s.toString()));
        m.put("egress", lower(g.egress()));
        m.put("intra_group", lower(g.intraGroup()));
        limits(g.limits(), m);
        g.bastion().ifPresent(b -> {
            m.put("bastion", b.vm());
            b.expose().ifPresent(e -> m.put("bastion.expose", "host port " + e.hostPort() + " -> " + e.port() + " from " + e.from()));
        });
        return m;
    }

    private static Map<String, String> vmSettings(DesiredState.PlacedVm placed) {
        Vm v = placed.vm();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("group", placed.group().name());
        m.put("state", lower(v.state()));
        m.put("cpus", Integer.toString(v.cpus()));
        m.put("memory", v.memory().toString());
        m.put("network", lower(v.network()));
        v.ip().ifPresent(ip -> m.put("ip", ip.toString()));
        limits(v.limits(), m);
        return m;
    }

    private static void limits(Limits l, Map<String, String> m) {
        l.cpus().ifPresent(c -> m.put("limits.cpus", c.toString()));
        l.memory().ifPresent(c -> m.put("limits.memory", c.toString()));
        l.pids().ifPresent(c -> m.put("limits.pids", Long.toString(c)));
        l.ioWeight().ifPresent(c -> m.put("limits.io_weight", Integer.toString(c)));
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }
}
