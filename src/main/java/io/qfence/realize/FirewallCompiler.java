package io.qfence.realize;

import static io.qfence.realize.Nft.ANY_BRIDGE;
import static io.qfence.realize.Nft.ANY_TAP;
import static io.qfence.realize.Nft.accept;
import static io.qfence.realize.Nft.anonymousSet;
import static io.qfence.realize.Nft.concat;
import static io.qfence.realize.Nft.counter;
import static io.qfence.realize.Nft.ct;
import static io.qfence.realize.Nft.drop;
import static io.qfence.realize.Nft.eq;
import static io.qfence.realize.Nft.fibDaddrType;
import static io.qfence.realize.Nft.in;
import static io.qfence.realize.Nft.meta;
import static io.qfence.realize.Nft.ne;
import static io.qfence.realize.Nft.payload;
import static io.qfence.realize.Nft.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftRule.Effect;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.realize.IsolationPolicy.Network;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compiles an {@link IsolationPolicy} into qfence's two nft tables (DESIGN.md §7). Every accepting rule comes from
 * exactly one flow ({@link #rulesFor}); everything else is fixed structure: conntrack, dispatch, anti-spoofing and the
 * drops that make "not allowed" mean "denied".
 *
 * <p><b>Base chains accept by default.</b> They hook the whole host, so a default drop would cut traffic that is not
 * qfence's (the host's own, other tools' containers). Instead each base chain drops, explicitly and with a named
 * counter, everything from or to a qfence interface or a VM uid that no rule allowed. An accept in qfence's tables
 * never overrides another table's drop.
 *
 * <p>Layout of {@code inet qfence}:
 * <ul>
 *   <li>{@code forward}: established/related accept; invalid drop; {@code iifname vmap} to {@code from_GROUP};
 *       {@code oifname vmap} to {@code to_GROUP}; drop anything else touching a {@code qfb-*} bridge.</li>
 *   <li>{@code from_GROUP}: flows from the group's bridge to qfence destinations; drop toward any other qfence
 *       network; outward flows ({@code oifname != "qfb-*"}); drop.</li>
 *   <li>{@code to_GROUP}: flows from outside (prefixes, internet, DNAT'ed exposures) into the group; drop.</li>
 *   <li>{@code input}: established/related accept; IPv6 neighbour discovery; flows to the host; drop the rest from
 *       {@code qfb-*}.</li>
 *   <li>{@code output}: drop every packet of a bridged VM's uid (its QEMU needs no IP sockets); {@code meta skuid
 *       vmap} to {@code user_VM} for user-mode VMs: host flows, drop to the host ({@code fib daddr type local},
 *       loopback included), flows to qfence destinations, drop to qfence networks, outward flows, drop.</li>
 *   <li>{@code prerouting} (nat): bastion DNAT, only for host-local destinations, never from a qfence bridge;
 *       {@code postrouting} (nat): masquerade of groups with outward flows.</li>
 * </ul>
 * {@code bridge qfence} {@code prerouting} sends every frame from a {@code qft-*} tap through {@code antispoof}: the
 * tap's own MAC, only IPv4/ARP/IPv6, the VM's own IPv4 address (also as ARP sender), IPv6 only on taps of groups
 * with a {@code subnet6}. Prerouting rather than forward, so frames to the host (e.g. forged ARP toward the gateway)
 * are checked too.
 *
 * <p>Where a group spans hosts (DESIGN.md §20), every frame from its VLAN port ({@code qfv-VLAN}) goes through
 * {@code trunk}: nothing from or to the distributed gateway's MAC and no ARP for a gateway address (each host answers
 * its own VMs, never another's), only IPv4 and ARP, and the sender's MAC and IPv4 address (also as ARP sender) must
 * be those of a VM of that group on another host, on that VLAN ({@code @trunk_ipv4}). The trunk is not trusted.
 */
final class FirewallCompiler {

    static final String FORWARD = "forward";
    static final String INPUT = "input";
    static final String OUTPUT = "output";
    static final String PREROUTING = "prerouting";
    static final String POSTROUTING = "postrouting";
    static final String ANTISPOOF = "antispoof";
    static final String TRUNK = "trunk";

    static final String SET_NETS4 = "qfence_nets4";
    static final String SET_NETS6 = "qfence_nets6";
    static final String SET_BRIDGED_UIDS = "bridged_uids";
    static final String SET_TAP_MACS = "tap_macs";
    static final String SET_TAP_IPV4 = "tap_ipv4";
    static final String SET_TAP_IPV6 = "tap_ipv6";
    static final String SET_TRUNK_MACS = "trunk_macs";
    static final String SET_TRUNK_IPV4 = "trunk_ipv4";
    static final String SET_GATEWAY_MACS = "gateway_macs";
    static final String SET_GATEWAY_IPV4 = "gateway_ipv4";

    static final String CTR_INVALID = "drop_invalid";
    static final String CTR_UNKNOWN_BRIDGE = "drop_unknown_bridge";
    static final String CTR_GUEST_TO_HOST = "drop_guest_to_host";
    static final String CTR_BRIDGED_UID = "drop_bridged_uid";
    static final String CTR_USER_TO_HOST = "drop_user_to_host";
    static final String CTR_USER_TO_QFENCE = "drop_user_to_qfence";
    static final String CTR_USER_OTHER = "drop_user_other";
    static final String CTR_SPOOFED_MAC = "drop_spoofed_mac";
    static final String CTR_ETHERTYPE = "drop_ethertype";
    static final String CTR_SPOOFED_IPV4 = "drop_spoofed_ipv4";
    static final String CTR_SPOOFED_ARP = "drop_spoofed_arp";
    static final String CTR_IPV6 = "drop_ipv6";
    static final String CTR_TRUNK_GATEWAY = "drop_trunk_gateway";
    static final String CTR_TRUNK_ETHERTYPE = "drop_trunk_ethertype";
    static final String CTR_TRUNK_MAC = "drop_trunk_mac";
    static final String CTR_TRUNK_IPV4 = "drop_trunk_ipv4";
    static final String CTR_TRUNK_ARP = "drop_trunk_arp";

    /** Where a rule goes: table family, chain, and its section within the chain (sections run in order). */
    record Placed(String family, String chain, int section, NftRule rule) {}

    // sections of from_GROUP and user_VM chains
    static final int HOST_ACCEPT = 0;
    static final int HOST_DROP = 1;
    static final int QFENCE_ACCEPT = 2;
    static final int QFENCE_DROP = 3;
    static final int OUTWARD_ACCEPT = 4;
    static final int FINAL_DROP = 5;

    private final IsolationPolicy policy;
    private final Map<String, VmEndpoint> vms = new java.util.HashMap<>();
    private final Map<String, Network> networks = new java.util.HashMap<>();
    /** Placed rules by family, chain and section ({@link #sectionKey}), filled by {@link #compile}. */
    private final Map<String, List<NftRule>> sections = new java.util.HashMap<>();

    FirewallCompiler(IsolationPolicy policy) {
        this.policy = policy;
        policy.vms().forEach(v -> vms.put(v.name(), v));
        policy.networks().forEach(n -> networks.put(n.group(), n));
    }

    static Firewall compile(IsolationPolicy policy) {
        return new FirewallCompiler(policy).compile();
    }

    static String fromChain(String group) {
        return "from_" + group.replace('-', '_');
    }

    static String toChain(String group) {
        return "to_" + group.replace('-', '_');
    }

    static String userChain(String vm) {
        return "user_" + vm.replace('-', '_');
    }

    static String fromCounter(String group) {
        return "drop_" + fromChain(group);
    }

    static String toCounter(String group) {
        return "drop_" + toChain(group);
    }

    Firewall compile() {
        List<Placed> placed = new ArrayList<>();
        for (Flow f : policy.flows()) {
            placed.addAll(rulesFor(f));
        }
        // Indexed once: chains are looked up per group, and scanning every placed rule for each of them is
        // quadratic in the number of groups (it dominated realization at 200 groups).
        for (Placed p : placed) {
            sections.computeIfAbsent(sectionKey(p.family(), p.chain(), p.section()), k -> new ArrayList<>()).add(p.rule());
        }
        return Firewall.of(List.of(inetTable(placed), bridgeTable()));
    }

    // ---- flows

    /**
     * The rules that implement one flow: normally one accept; a bastion exposure is a DNAT plus the accept of the
     * translated connection. A flow from the host needs none: the host's own traffic is not filtered, only routed.
     */
    List<Placed> rulesFor(Flow f) {
        Principal s = f.source();
        Principal d = f.destination();
        String comment = f.comment();
        if (s instanceof Principal.ThisHost) {
            return List.of();
        }
        if (s instanceof Principal.Outside o) {
            VmEndpoint bastion = vm(d);
            Ipv4Cidr from = (Ipv4Cidr) o.cidr();
            int hostPort = f.viaHostPort().orElseThrow();
            int port = f.ports().ranges().get(0).first();
            NftRule dnat = rule(comment, Effect.GRANT,
                    ne(meta("iifname"), text(ANY_BRIDGE)),
                    eq(fibDaddrType(), text("local")),
                    eq(payload("ip", "saddr"), Nft.network(from)),
                    eq(payload("tcp", "dport"), Nft.number(hostPort)),
                    Nft.dnat(bastion.ip().orElseThrow(), port));
            NftRule forward = rule(comment, Effect.GRANT,
                    in(ct("status"), text("dnat")),
                    eq(payload("ip", "saddr"), Nft.network(from)),
                    eq(payload("ip", "daddr"), Nft.address(bastion.ip().orElseThrow())),
                    eq(payload("tcp", "dport"), Nft.number(port)),
                    accept());
            return List.of(new Placed("inet", PREROUTING, 0, dnat), new Placed("inet", toChain(bastion.group()), 0, forward));
        }
        if (s instanceof Principal.Internet || s instanceof Principal.Prefix) {
            List<JsonNode> m = new ArrayList<>();
            if (s instanceof Principal.Prefix p) {
                m.add(eq(payload(Nft.family(p.cidr()), "saddr"), Nft.network(p.cidr())));
            }
            String group = destinationGroup(d);
            if (d instanceof Principal.SingleVm) {
                m.add(eq(payload("ip", "daddr"), Nft.address(ipOf(d))));
            }
            m.addAll(l4(f, m));
            m.add(accept());
            return List.of(new Placed("inet", toChain(group), 0, rule(comment, Effect.GRANT, m)));
        }
        if (s instanceof Principal.SingleVm v && !policy.isBridged(v.name())) {
            return List.of(userFlow(f, vm(s)));
        }
        // a VM of another host (same group, over the trunk) is matched by its address, as a local one
        Ipv4Address sourceVm = s instanceof Principal.SingleVm ? ipOf(s) : null;
        String group = s instanceof Principal.BridgedGroup g ? g.name() : ((Principal.SingleVm) s).group();
        List<JsonNode> m = new ArrayList<>();
        String chain;
        int section;
        if (d instanceof Principal.ThisHost) {
            chain = INPUT;
            section = QFENCE_ACCEPT;
            m.add(eq(meta("iifname"), text(bridge(group))));
            addSource(m, sourceVm);
        } else if (d instanceof Principal.BridgedGroup || d instanceof Principal.SingleVm) {
            chain = fromChain(group);
            section = QFENCE_ACCEPT;
            m.add(eq(meta("oifname"), text(bridge(destinationGroup(d)))));
            addSource(m, sourceVm);
            if (d instanceof Principal.SingleVm) {
                m.add(eq(payload("ip", "daddr"), Nft.address(ipOf(d))));
            }
        } else {
            chain = fromChain(group);
            section = OUTWARD_ACCEPT;
            m.add(ne(meta("oifname"), text(ANY_BRIDGE)));
            addSource(m, sourceVm);
            if (d instanceof Principal.Prefix p) {
                m.add(eq(payload(Nft.family(p.cidr()), "daddr"), Nft.network(p.cidr())));
            }
        }
        m.addAll(l4(f, m));
        m.add(accept());
        return List.of(new Placed("inet", chain, section, rule(comment, Effect.GRANT, m)));
    }

    /** A flow of a user-mode VM: its QEMU's own sockets, in the VM's {@code user_VM} output chain. */
    private Placed userFlow(Flow f, VmEndpoint source) {
        Principal d = f.destination();
        List<JsonNode> m = new ArrayList<>();
        int section;
        if (d instanceof Principal.ThisHost) {
            section = HOST_ACCEPT;
            m.add(eq(fibDaddrType(), text("local")));
        } else if (d instanceof Principal.BridgedGroup || d instanceof Principal.SingleVm) {
            section = QFENCE_ACCEPT;
            m.add(eq(meta("oifname"), text(bridge(destinationGroup(d)))));
            if (d instanceof Principal.SingleVm) {
                m.add(eq(payload("ip", "daddr"), Nft.address(ipOf(d))));
            }
        } else {
            section = OUTWARD_ACCEPT;
            m.add(ne(meta("oifname"), text(ANY_BRIDGE)));
            if (d instanceof Principal.Prefix p) {
                m.add(eq(payload(Nft.family(p.cidr()), "daddr"), Nft.network(p.cidr())));
            }
        }
        m.addAll(l4(f, m));
        m.add(accept());
        return new Placed("inet", userChain(source.name()), section, rule(f.comment(), Effect.GRANT, m));
    }

    private static void addSource(List<JsonNode> m, Ipv4Address sourceVm) {
        if (sourceVm != null) {
            m.add(eq(payload("ip", "saddr"), Nft.address(sourceVm)));
        }
    }

    /** The IPv4 address of a bridged VM of this host or, over the trunk, of another host. */
    private Ipv4Address ipOf(Principal p) {
        Principal.SingleVm v = (Principal.SingleVm) p;
        return policy.addressOf(v.name()).orElseThrow(() -> new IllegalStateException("no address for " + v));
    }

    /**
     * The layer-4 match of a flow. ICMP follows the address family the rule already pins: {@code icmp} after an IPv4
     * match, {@code ipv6-icmp} after an IPv6 match, both otherwise.
     */
    private static List<JsonNode> l4(Flow f, List<JsonNode> matchesSoFar) {
        return switch (f.protocol()) {
            case ANY -> List.of();
            case ICMP -> {
                String fam = addressFamily(matchesSoFar);
                JsonNode protos = fam.equals("ip") ? text("icmp") : fam.equals("ip6") ? text("ipv6-icmp")
                        : anonymousSet(List.of(text("icmp"), text("ipv6-icmp")));
                yield List.of(eq(meta("l4proto"), protos));
            }
            case TCP, UDP -> f.ports().isAll()
                    ? List.of(eq(meta("l4proto"), text(f.protocol().keyword())))
                    : List.of(eq(payload(f.protocol().keyword(), "dport"), Nft.ports(f.ports())));
        };
    }

    private static String addressFamily(List<JsonNode> matches) {
        for (JsonNode m : matches) {
            JsonNode proto = m.path("match").path("left").path("payload").path("protocol");
            if (proto.isTextual() && (proto.asText().equals("ip") || proto.asText().equals("ip6"))) {
                return proto.asText();
            }
        }
        return "any";
    }

    // ---- tables

    private NftTable inetTable(List<Placed> placed) {
        List<NftChain> chains = new ArrayList<>();
        TreeSet<String> counters = new TreeSet<>();
        List<Network> networks = policy.networks();
        List<Cidr> nets4 = policy.qfenceNetworks().stream().filter(c -> c instanceof Ipv4Cidr).toList();
        List<Cidr> nets6 = policy.qfenceNetworks().stream().filter(c -> c instanceof Ipv6Cidr).toList();

        // forward
        List<NftRule> forward = new ArrayList<>();
        forward.add(established());
        forward.add(rule("qf:invalid", Effect.RESTRICT, eq(meta("iifname"), text(ANY_BRIDGE)),
                in(ct("state"), text("invalid")), counter(CTR_INVALID), drop()));
        forward.add(rule("qf:invalid", Effect.RESTRICT, eq(meta("oifname"), text(ANY_BRIDGE)),
                in(ct("state"), text("invalid")), counter(CTR_INVALID), drop()));
        counters.add(CTR_INVALID);
        if (!networks.isEmpty()) {
            forward.add(rule("qf:dispatch", Effect.NEUTRAL, Nft.vmap(meta("iifname"), bridgeDispatch(FirewallCompiler::fromChain))));
            forward.add(rule("qf:dispatch", Effect.NEUTRAL, Nft.vmap(meta("oifname"), bridgeDispatch(FirewallCompiler::toChain))));
        }
        forward.add(rule("qf:unknown-bridge", Effect.RESTRICT, eq(meta("iifname"), text(ANY_BRIDGE)), counter(CTR_UNKNOWN_BRIDGE), drop()));
        forward.add(rule("qf:unknown-bridge", Effect.RESTRICT, eq(meta("oifname"), text(ANY_BRIDGE)), counter(CTR_UNKNOWN_BRIDGE), drop()));
        counters.add(CTR_UNKNOWN_BRIDGE);
        chains.add(new NftChain(FORWARD, hook("filter", FORWARD, 0), forward));

        // input
        List<NftRule> input = new ArrayList<>();
        input.add(established());
        if (networks.stream().anyMatch(n -> n.subnet6().isPresent())) {
            // Without neighbour discovery toward the gateway, routed IPv6 cannot work; it grants no service.
            input.add(rule("qf:ndp", Effect.NEUTRAL, eq(meta("iifname"), text(ANY_BRIDGE)),
                    eq(payload("icmpv6", "type"), anonymousSet(List.of(text("nd-neighbor-solicit"), text("nd-neighbor-advert")))),
                    accept()));
        }
        input.addAll(section(placed, INPUT, QFENCE_ACCEPT));
        input.add(rule("qf:guest-to-host", Effect.RESTRICT, eq(meta("iifname"), text(ANY_BRIDGE)), counter(CTR_GUEST_TO_HOST), drop()));
        counters.add(CTR_GUEST_TO_HOST);
        chains.add(new NftChain(INPUT, hook("filter", INPUT, 0), input));

        // output
        List<NftRule> output = new ArrayList<>();
        List<VmEndpoint> bridged = policy.vms().stream().filter(VmEndpoint::bridged).toList();
        List<VmEndpoint> users = policy.vms().stream().filter(v -> !v.bridged()).toList();
        if (!bridged.isEmpty()) {
            output.add(rule("qf:bridged-uid", Effect.RESTRICT, eq(meta("skuid"), Nft.setRef(SET_BRIDGED_UIDS)),
                    counter(CTR_BRIDGED_UID), drop()));
            counters.add(CTR_BRIDGED_UID);
        }
        if (!users.isEmpty()) {
            List<Map.Entry<JsonNode, JsonNode>> entries = users.stream().sorted(Comparator.comparingLong(VmEndpoint::uid))
                    .map(u -> Map.entry(Nft.number(u.uid()), (JsonNode) Nft.jump(userChain(u.name())))).toList();
            output.add(rule("qf:dispatch", Effect.NEUTRAL, Nft.vmap(meta("skuid"), entries)));
        }
        chains.add(new NftChain(OUTPUT, hook("filter", OUTPUT, 0), output));

        // nat
        chains.add(new NftChain(PREROUTING, hook("nat", PREROUTING, -100), section(placed, PREROUTING, 0)));
        chains.add(new NftChain(POSTROUTING, hook("nat", POSTROUTING, 100), masquerades(placed)));

        // per group
        for (Network n : networks) {
            List<NftRule> from = new ArrayList<>(section(placed, fromChain(n.group()), QFENCE_ACCEPT));
            String ctr = fromCounter(n.group());
            if (!nets4.isEmpty()) {
                from.add(rule("qf:from:" + n.group(), Effect.RESTRICT, eq(payload("ip", "daddr"), Nft.setRef(SET_NETS4)), counter(ctr), drop()));
            }
            if (!nets6.isEmpty()) {
                from.add(rule("qf:from:" + n.group(), Effect.RESTRICT, eq(payload("ip6", "daddr"), Nft.setRef(SET_NETS6)), counter(ctr), drop()));
            }
            from.addAll(section(placed, fromChain(n.group()), OUTWARD_ACCEPT));
            from.add(rule("qf:from:" + n.group(), Effect.RESTRICT, counter(ctr), drop()));
            counters.add(ctr);
            chains.add(new NftChain(fromChain(n.group()), Optional.empty(), from));

            List<NftRule> to = new ArrayList<>(section(placed, toChain(n.group()), 0));
            to.add(rule("qf:to:" + n.group(), Effect.RESTRICT, counter(toCounter(n.group())), drop()));
            counters.add(toCounter(n.group()));
            chains.add(new NftChain(toChain(n.group()), Optional.empty(), to));
        }
        for (VmEndpoint u : users) {
            String chain = userChain(u.name());
            String comment = "qf:user:" + u.name();
            List<NftRule> rules = new ArrayList<>(section(placed, chain, HOST_ACCEPT));
            rules.add(rule(comment, Effect.RESTRICT, eq(fibDaddrType(), text("local")), counter(CTR_USER_TO_HOST), drop()));
            rules.addAll(section(placed, chain, QFENCE_ACCEPT));
            if (!nets4.isEmpty()) {
                rules.add(rule(comment, Effect.RESTRICT, eq(payload("ip", "daddr"), Nft.setRef(SET_NETS4)), counter(CTR_USER_TO_QFENCE), drop()));
            }
            if (!nets6.isEmpty()) {
                rules.add(rule(comment, Effect.RESTRICT, eq(payload("ip6", "daddr"), Nft.setRef(SET_NETS6)), counter(CTR_USER_TO_QFENCE), drop()));
            }
            rules.addAll(section(placed, chain, OUTWARD_ACCEPT));
            rules.add(rule(comment, Effect.RESTRICT, counter(CTR_USER_OTHER), drop()));
            counters.add(CTR_USER_TO_HOST);
            counters.add(CTR_USER_TO_QFENCE);
            counters.add(CTR_USER_OTHER);
            chains.add(new NftChain(chain, Optional.empty(), rules));
        }
        // Base chains first, then the regular chains by name, so the table reads top-down.
        List<NftChain> ordered = new ArrayList<>(chains.stream().filter(c -> c.hook().isPresent()).toList());
        ordered.addAll(chains.stream().filter(c -> c.hook().isEmpty()).sorted(Comparator.comparing(NftChain::name)).toList());

        List<NftSet> sets = new ArrayList<>();
        if (!nets4.isEmpty()) {
            sets.add(new NftSet(SET_NETS4, List.of("ipv4_addr"), List.of("interval"), nets4.stream().map(c -> Nft.write(Nft.network(c))).toList()));
        }
        if (!nets6.isEmpty()) {
            sets.add(new NftSet(SET_NETS6, List.of("ipv6_addr"), List.of("interval"), nets6.stream().map(c -> Nft.write(Nft.network(c))).toList()));
        }
        if (!bridged.isEmpty()) {
            sets.add(new NftSet(SET_BRIDGED_UIDS, List.of("uid"), List.of(), bridged.stream().map(v -> Long.toString(v.uid())).toList()));
        }
        return new NftTable("inet", Firewall.OWNED_TABLE, ordered, sets, List.copyOf(counters));
    }

    /**
     * Masquerade for every group with an outward flow from its bridge: traffic leaving through a non-qfence
     * interface takes the host's address. Forward filtering has already decided what may leave; this only makes the
     * replies find their way back.
     */
    private List<NftRule> masquerades(List<Placed> placed) {
        List<NftRule> rules = new ArrayList<>();
        for (Network n : policy.networks()) {
            boolean outward = !section(placed, fromChain(n.group()), OUTWARD_ACCEPT).isEmpty();
            if (!outward) {
                continue;
            }
            String comment = "qf:masquerade:" + n.group();
            rules.add(rule(comment, Effect.GRANT, ne(meta("oifname"), text(ANY_BRIDGE)),
                    eq(payload("ip", "saddr"), Nft.network(n.subnet())), Nft.masquerade()));
            n.subnet6().ifPresent(s6 -> rules.add(rule(comment, Effect.GRANT, ne(meta("oifname"), text(ANY_BRIDGE)),
                    eq(payload("ip6", "saddr"), Nft.network(s6)), Nft.masquerade())));
        }
        return rules;
    }

    private NftTable bridgeTable() {
        List<VmEndpoint> taps = policy.vms().stream().filter(VmEndpoint::bridged).toList();
        List<String> macs = new ArrayList<>();
        List<String> ipv4 = new ArrayList<>();
        List<String> ipv6 = new ArrayList<>();
        for (VmEndpoint v : taps) {
            JsonNode tap = text(v.tap().orElseThrow());
            JsonNode mac = text(v.mac().toString());
            macs.add(Nft.write(concat(tap, mac)));
            ipv4.add(Nft.write(concat(tap, mac, Nft.address(v.ip().orElseThrow()))));
            if (networks.get(v.group()).subnet6().isPresent()) {
                ipv6.add(Nft.write(concat(tap, mac)));
            }
        }
        List<NftSet> sets = List.of(
                new NftSet(SET_TAP_MACS, List.of("ifname", "ether_addr"), List.of(), macs),
                new NftSet(SET_TAP_IPV4, List.of("ifname", "ether_addr", "ipv4_addr"), List.of(), ipv4),
                new NftSet(SET_TAP_IPV6, List.of("ifname", "ether_addr"), List.of(), ipv6));
        JsonNode iif = meta("iifname");
        JsonNode etherSrc = payload("ether", "saddr");
        List<NftRule> antispoof = List.of(
                rule("qf:antispoof:mac", Effect.RESTRICT, ne(concat(iif, etherSrc), Nft.setRef(SET_TAP_MACS)), counter(CTR_SPOOFED_MAC), drop()),
                rule("qf:antispoof:ethertype", Effect.RESTRICT,
                        ne(payload("ether", "type"), anonymousSet(List.of(text("ip"), text("arp"), text("ip6")))), counter(CTR_ETHERTYPE), drop()),
                rule("qf:antispoof:ipv4", Effect.RESTRICT,
                        ne(concat(iif, etherSrc, payload("ip", "saddr")), Nft.setRef(SET_TAP_IPV4)), counter(CTR_SPOOFED_IPV4), drop()),
                rule("qf:antispoof:arp", Effect.RESTRICT,
                        ne(concat(iif, payload("arp", "saddr ether"), payload("arp", "saddr ip")), Nft.setRef(SET_TAP_IPV4)),
                        counter(CTR_SPOOFED_ARP), drop()),
                rule("qf:antispoof:ipv6", Effect.RESTRICT, eq(payload("ether", "type"), text("ip6")),
                        ne(concat(iif, etherSrc), Nft.setRef(SET_TAP_IPV6)), counter(CTR_IPV6), drop()));
        List<String> trunks = policy.trunks().stream().map(IsolationPolicy.Trunk::port).sorted(Nft.IFNAME_ORDER).toList();
        List<NftRule> prerouting = new ArrayList<>();
        prerouting.add(rule("qf:antispoof", Effect.NEUTRAL, eq(iif, text(ANY_TAP)), Nft.jump(ANTISPOOF)));
        trunks.forEach(port -> prerouting.add(rule("qf:trunk", Effect.NEUTRAL, eq(iif, text(port)), Nft.jump(TRUNK))));
        List<NftChain> chains = new ArrayList<>(List.of(
                new NftChain(PREROUTING, hook("filter", PREROUTING, -200), prerouting),
                new NftChain(ANTISPOOF, Optional.empty(), antispoof)));
        List<NftSet> allSets = new ArrayList<>(sets);
        List<String> counters = new ArrayList<>(List.of(CTR_SPOOFED_MAC, CTR_ETHERTYPE, CTR_SPOOFED_IPV4, CTR_SPOOFED_ARP, CTR_IPV6));
        if (!trunks.isEmpty()) {
            // Only where a group spans hosts: a single host's tables stay exactly as they were.
            chains.add(new NftChain(TRUNK, Optional.empty(), trunkRules(allSets)));
            counters.addAll(List.of(CTR_TRUNK_GATEWAY, CTR_TRUNK_ETHERTYPE, CTR_TRUNK_MAC, CTR_TRUNK_IPV4, CTR_TRUNK_ARP));
        }
        return new NftTable("bridge", Firewall.OWNED_TABLE, chains, allSets, counters);
    }

    /**
     * The trunk's checks (DESIGN.md §20), adding their sets to {@code sets}. The gateway's MAC and addresses are the
     * same on every host (the distributed gateway): a frame from it on the trunk is another host's routing, and an
     * ARP for it, or a frame to it, is another host's VM asking this host to route; both are refused, so each host
     * routes only for its own VMs. A remote VM is known by its MAC, address and VLAN port together.
     */
    private List<NftRule> trunkRules(List<NftSet> sets) {
        List<String> gatewayMacs = new ArrayList<>();
        List<String> gateways = new ArrayList<>();
        for (Network n : policy.networks()) {
            if (policy.trunkOf(n.group()).isPresent()) {
                gatewayMacs.add(Nft.write(text(NetworkRealizer.bridgeMac(n.group()).toString())));
                gateways.add(Nft.write(Nft.address(n.subnet().gateway())));
            }
        }
        List<String> macs = new ArrayList<>();
        List<String> ipv4 = new ArrayList<>();
        for (IsolationPolicy.RemoteVm r : policy.remoteVms()) {
            if (policy.trunkOf(r.group()).isEmpty()) {
                continue;
            }
            macs.add(Nft.write(concat(text(r.trunk()), text(r.mac().toString()))));
            ipv4.add(Nft.write(concat(text(r.trunk()), text(r.mac().toString()), Nft.address(r.ip()))));
        }
        sets.add(new NftSet(SET_GATEWAY_MACS, List.of("ether_addr"), List.of(), gatewayMacs));
        sets.add(new NftSet(SET_GATEWAY_IPV4, List.of("ipv4_addr"), List.of(), gateways));
        sets.add(new NftSet(SET_TRUNK_MACS, List.of("ifname", "ether_addr"), List.of(), macs));
        sets.add(new NftSet(SET_TRUNK_IPV4, List.of("ifname", "ether_addr", "ipv4_addr"), List.of(), ipv4));
        JsonNode iif = meta("iifname");
        JsonNode etherSrc = payload("ether", "saddr");
        return List.of(
                rule("qf:trunk:gateway-mac", Effect.RESTRICT, eq(etherSrc, Nft.setRef(SET_GATEWAY_MACS)), counter(CTR_TRUNK_GATEWAY), drop()),
                rule("qf:trunk:to-gateway", Effect.RESTRICT, eq(payload("ether", "daddr"), Nft.setRef(SET_GATEWAY_MACS)),
                        counter(CTR_TRUNK_GATEWAY), drop()),
                rule("qf:trunk:ethertype", Effect.RESTRICT,
                        ne(payload("ether", "type"), anonymousSet(List.of(text("ip"), text("arp")))), counter(CTR_TRUNK_ETHERTYPE), drop()),
                rule("qf:trunk:arp-gateway", Effect.RESTRICT, eq(payload("arp", "daddr ip"), Nft.setRef(SET_GATEWAY_IPV4)),
                        counter(CTR_TRUNK_GATEWAY), drop()),
                rule("qf:trunk:mac", Effect.RESTRICT, ne(concat(iif, etherSrc), Nft.setRef(SET_TRUNK_MACS)), counter(CTR_TRUNK_MAC), drop()),
                rule("qf:trunk:ipv4", Effect.RESTRICT,
                        ne(concat(iif, etherSrc, payload("ip", "saddr")), Nft.setRef(SET_TRUNK_IPV4)), counter(CTR_TRUNK_IPV4), drop()),
                rule("qf:trunk:arp", Effect.RESTRICT,
                        ne(concat(iif, payload("arp", "saddr ether"), payload("arp", "saddr ip")), Nft.setRef(SET_TRUNK_IPV4)),
                        counter(CTR_TRUNK_ARP), drop()));
    }

    // ---- helpers

    private List<Map.Entry<JsonNode, JsonNode>> bridgeDispatch(java.util.function.Function<String, String> chainOf) {
        Map<String, String> byBridge = new LinkedHashMap<>();
        policy.networks().stream().map(Network::bridge).sorted(Nft.IFNAME_ORDER)
                .forEach(b -> byBridge.put(b, chainOf.apply(groupOfBridge(b))));
        return byBridge.entrySet().stream().map(e -> Map.entry(text(e.getKey()), (JsonNode) Nft.jump(e.getValue()))).toList();
    }

    private String groupOfBridge(String bridge) {
        return policy.networks().stream().filter(n -> n.bridge().equals(bridge)).findFirst().orElseThrow().group();
    }

    /** The inet rules placed in {@code chain}'s {@code section}, in the order they were placed. */
    private List<NftRule> section(List<Placed> placed, String chain, int section) {
        return List.copyOf(sections.getOrDefault(sectionKey("inet", chain, section), List.of()));
    }

    private static String sectionKey(String family, String chain, int section) {
        return family + " " + chain + " " + section;
    }

    /** {@code ct state established,related accept}: the right side lists as a plain array of flags. */
    private static NftRule established() {
        return rule("qf:established", Effect.NEUTRAL, in(ct("state"), Nft.flags("established", "related")), accept());
    }

    private static Optional<NftChain.Hook> hook(String type, String hook, int priority) {
        return Optional.of(new NftChain.Hook(type, hook, priority, "accept"));
    }

    private String bridge(String group) {
        Network n = networks.get(group);
        if (n == null) {
            throw new IllegalStateException("no network for group " + group);
        }
        return n.bridge();
    }

    private VmEndpoint vm(Principal p) {
        Principal.SingleVm v = (Principal.SingleVm) p;
        VmEndpoint e = vms.get(v.name());
        if (e == null) {
            throw new IllegalStateException("no endpoint for " + v);
        }
        return e;
    }

    private String destinationGroup(Principal d) {
        if (d instanceof Principal.BridgedGroup g) {
            return g.name();
        }
        if (d instanceof Principal.SingleVm v) {
            return v.group();
        }
        throw new IllegalStateException("destination " + d + " is not behind a qfence bridge");
    }

    static NftRule rule(String comment, Effect effect, JsonNode... statements) {
        return new NftRule(Nft.expr(List.of(statements)), comment, effect);
    }

    static NftRule rule(String comment, Effect effect, List<JsonNode> statements) {
        return new NftRule(Nft.expr(statements), comment, effect);
    }
}
