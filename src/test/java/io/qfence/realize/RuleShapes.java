package io.qfence.realize;

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
import static io.qfence.realize.Nft.number;
import static io.qfence.realize.Nft.payload;
import static io.qfence.realize.Nft.setRef;
import static io.qfence.realize.Nft.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.PortRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The catalogue of every nft rule shape realization emits: nft syntax, the chain it is valid in, and the JSON
 * {@code expr} the encoder produces for it. Written to {@code src/test/resources/nft/rule-shapes.json}, which the
 * kernel round-trip tests (here and in the nft adapter) load, list and compare.
 */
final class RuleShapes {

    record Shape(String family, String chain, String nft, String expr) {}

    /** Declarations the shapes refer to: tables, base and regular chains, named sets and counters. */
    static final Map<String, List<String>> PREAMBLE = Map.of(
            "inet", List.of(
                    "table inet qfence {",
                    "  counter drop_invalid { }",
                    "  counter drop_unknown_bridge { }",
                    "  counter drop_guest_to_host { }",
                    "  counter drop_bridged_uid { }",
                    "  counter drop_from_web { }",
                    "  counter drop_to_web { }",
                    "  counter drop_user_to_host { }",
                    "  counter drop_user_to_qfence { }",
                    "  counter drop_user_other { }",
                    "  set qfence_nets4 { type ipv4_addr; flags interval; elements = { 10.10.0.0/24, 10.20.0.0/24 } }",
                    "  set qfence_nets6 { type ipv6_addr; flags interval; elements = { fd00:10::/64 } }",
                    "  set bridged_uids { type uid; elements = { 200001, 200002 } }",
                    "  chain from_db { }",
                    "  chain from_web { }",
                    "  chain to_web { }",
                    "  chain user_tools_01 { }",
                    "  chain user_tools_02 { }",
                    "  chain forward { type filter hook forward priority 0; policy accept; }",
                    "  chain input { type filter hook input priority 0; policy accept; }",
                    "  chain output { type filter hook output priority 0; policy accept; }",
                    "  chain prerouting { type nat hook prerouting priority -100; policy accept; }",
                    "  chain postrouting { type nat hook postrouting priority 100; policy accept; }",
                    "}"),
            "bridge", List.of(
                    "table bridge qfence {",
                    "  counter drop_spoofed_mac { }",
                    "  counter drop_ethertype { }",
                    "  counter drop_spoofed_ipv4 { }",
                    "  counter drop_spoofed_arp { }",
                    "  counter drop_ipv6 { }",
                    "  set tap_macs { type ifname . ether_addr; elements = { \"qft-web-01\" . 0e:00:00:00:00:01 } }",
                    "  set tap_ipv4 { type ifname . ether_addr . ipv4_addr; elements = { \"qft-web-01\" . 0e:00:00:00:00:01 . 10.10.0.11 } }",
                    "  set tap_ipv6 { type ifname . ether_addr; elements = { \"qft-web-01\" . 0e:00:00:00:00:01 } }",
                    "  chain antispoof { }",
                    "  chain prerouting { type filter hook prerouting priority -200; policy accept; }",
                    "}"));

    private RuleShapes() {}

    static List<Shape> all() {
        List<Shape> s = new ArrayList<>();
        JsonNode iif = meta("iifname");
        JsonNode oif = meta("oifname");
        JsonNode web = text("qfb-web");
        JsonNode db = text("qfb-db");
        JsonNode anyBridge = text("qfb-*");
        // forward: structure
        add(s, "inet", "forward", "ct state established,related accept", in(ct("state"), Nft.flags("established", "related")), accept());
        add(s, "inet", "forward", "iifname \"qfb-*\" ct state invalid counter name \"drop_invalid\" drop",
                eq(iif, anyBridge), in(ct("state"), text("invalid")), counter("drop_invalid"), drop());
        add(s, "inet", "forward", "oifname \"qfb-*\" ct state invalid counter name \"drop_invalid\" drop",
                eq(oif, anyBridge), in(ct("state"), text("invalid")), counter("drop_invalid"), drop());
        add(s, "inet", "forward", "iifname vmap { \"qfb-web\" : jump from_web, \"qfb-db\" : jump from_db }",
                Nft.vmap(iif, List.of(Map.entry(db, Nft.jump("from_db")), Map.entry(web, Nft.jump("from_web")))));
        add(s, "inet", "forward", "oifname vmap { \"qfb-web\" : jump to_web }", Nft.vmap(oif, List.of(Map.entry(web, Nft.jump("to_web")))));
        add(s, "inet", "forward", "iifname \"qfb-*\" counter name \"drop_unknown_bridge\" drop", eq(iif, anyBridge), counter("drop_unknown_bridge"), drop());
        add(s, "inet", "forward", "oifname \"qfb-*\" counter name \"drop_unknown_bridge\" drop", eq(oif, anyBridge), counter("drop_unknown_bridge"), drop());
        // from_GROUP
        add(s, "inet", "from_web", "oifname \"qfb-web\" accept", eq(oif, web), accept());
        add(s, "inet", "from_web", "oifname \"qfb-db\" ip saddr 10.10.0.11 ip daddr 10.20.0.11 tcp dport 5432 accept",
                eq(oif, db), eq(payload("ip", "saddr"), text("10.10.0.11")), eq(payload("ip", "daddr"), text("10.20.0.11")),
                eq(payload("tcp", "dport"), number(5432)), accept());
        add(s, "inet", "from_web", "oifname \"qfb-db\" udp dport { 53, 5353, 8000-8080 } accept",
                eq(oif, db), eq(payload("udp", "dport"), Nft.ports(Ports.of(List.of(PortRange.single(5353), PortRange.single(53), new PortRange(8000, 8080))))), accept());
        add(s, "inet", "from_web", "oifname \"qfb-db\" tcp dport 8000-8080 accept",
                eq(oif, db), eq(payload("tcp", "dport"), Nft.ports(Ports.of(List.of(new PortRange(8000, 8080))))), accept());
        add(s, "inet", "from_web", "oifname \"qfb-db\" meta l4proto tcp accept", eq(oif, db), eq(meta("l4proto"), text("tcp")), accept());
        add(s, "inet", "from_web", "oifname \"qfb-db\" meta l4proto { icmp, ipv6-icmp } accept",
                eq(oif, db), eq(meta("l4proto"), anonymousSet(List.of(text("icmp"), text("ipv6-icmp")))), accept());
        add(s, "inet", "from_web", "oifname \"qfb-db\" ip saddr 10.10.0.11 meta l4proto icmp accept",
                eq(oif, db), eq(payload("ip", "saddr"), text("10.10.0.11")), eq(meta("l4proto"), text("icmp")), accept());
        add(s, "inet", "from_web", "ip daddr @qfence_nets4 counter name \"drop_from_web\" drop",
                eq(payload("ip", "daddr"), setRef("qfence_nets4")), counter("drop_from_web"), drop());
        add(s, "inet", "from_web", "ip6 daddr @qfence_nets6 counter name \"drop_from_web\" drop",
                eq(payload("ip6", "daddr"), setRef("qfence_nets6")), counter("drop_from_web"), drop());
        add(s, "inet", "from_web", "oifname != \"qfb-*\" accept", ne(oif, anyBridge), accept());
        add(s, "inet", "from_web", "oifname != \"qfb-*\" ip saddr 10.10.0.11 ip daddr 203.0.113.7 udp dport 123 accept",
                ne(oif, anyBridge), eq(payload("ip", "saddr"), text("10.10.0.11")), eq(payload("ip", "daddr"), Nft.network(Cidr.parse("203.0.113.7/32"))),
                eq(payload("udp", "dport"), number(123)), accept());
        add(s, "inet", "from_web", "oifname != \"qfb-*\" ip daddr 198.51.100.0/24 tcp dport { 873, 8000-8080 } accept",
                ne(oif, anyBridge), eq(payload("ip", "daddr"), Nft.network(Cidr.parse("198.51.100.0/24"))),
                eq(payload("tcp", "dport"), Nft.ports(Ports.of(List.of(PortRange.single(873), new PortRange(8000, 8080))))), accept());
        add(s, "inet", "from_web", "oifname != \"qfb-*\" ip6 daddr 2001:db8::/32 meta l4proto ipv6-icmp accept",
                ne(oif, anyBridge), eq(payload("ip6", "daddr"), Nft.network(Cidr.parse("2001:db8::/32"))), eq(meta("l4proto"), text("ipv6-icmp")), accept());
        add(s, "inet", "from_web", "oifname != \"qfb-*\" ip daddr 0.0.0.0/0 meta l4proto udp accept",
                ne(oif, anyBridge), eq(payload("ip", "daddr"), Nft.network(Cidr.parse("0.0.0.0/0"))), eq(meta("l4proto"), text("udp")), accept());
        add(s, "inet", "from_web", "counter name \"drop_from_web\" drop", counter("drop_from_web"), drop());
        // to_GROUP
        add(s, "inet", "to_web", "ct status dnat ip saddr 192.0.2.0/24 ip daddr 10.10.0.10 tcp dport 22 accept",
                in(ct("status"), text("dnat")), eq(payload("ip", "saddr"), Nft.network(Cidr.parse("192.0.2.0/24"))),
                eq(payload("ip", "daddr"), text("10.10.0.10")), eq(payload("tcp", "dport"), number(22)), accept());
        add(s, "inet", "to_web", "ip6 saddr 2001:db8::/32 tcp dport 80 accept",
                eq(payload("ip6", "saddr"), Nft.network(Cidr.parse("2001:db8::/32"))), eq(payload("tcp", "dport"), number(80)), accept());
        add(s, "inet", "to_web", "ip daddr 10.10.0.11 meta l4proto icmp accept",
                eq(payload("ip", "daddr"), text("10.10.0.11")), eq(meta("l4proto"), text("icmp")), accept());
        add(s, "inet", "to_web", "counter name \"drop_to_web\" drop", counter("drop_to_web"), drop());
        // input
        add(s, "inet", "input", "iifname \"qfb-*\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
                eq(iif, anyBridge), eq(payload("icmpv6", "type"), anonymousSet(List.of(text("nd-neighbor-solicit"), text("nd-neighbor-advert")))), accept());
        add(s, "inet", "input", "iifname \"qfb-web\" ip saddr 10.10.0.11 tcp dport 53 accept",
                eq(iif, web), eq(payload("ip", "saddr"), text("10.10.0.11")), eq(payload("tcp", "dport"), number(53)), accept());
        add(s, "inet", "input", "iifname \"qfb-web\" accept", eq(iif, web), accept());
        add(s, "inet", "input", "iifname \"qfb-*\" counter name \"drop_guest_to_host\" drop", eq(iif, anyBridge), counter("drop_guest_to_host"), drop());
        // output and user-mode chains
        add(s, "inet", "output", "meta skuid @bridged_uids counter name \"drop_bridged_uid\" drop",
                eq(meta("skuid"), setRef("bridged_uids")), counter("drop_bridged_uid"), drop());
        add(s, "inet", "output", "meta skuid vmap { 200002 : jump user_tools_02, 200001 : jump user_tools_01 }",
                Nft.vmap(meta("skuid"), List.of(Map.entry(number(200001), Nft.jump("user_tools_01")), Map.entry(number(200002), Nft.jump("user_tools_02")))));
        add(s, "inet", "user_tools_01", "fib daddr type local tcp dport 8080 accept",
                eq(fibDaddrType(), text("local")), eq(payload("tcp", "dport"), number(8080)), accept());
        add(s, "inet", "user_tools_01", "fib daddr type local counter name \"drop_user_to_host\" drop",
                eq(fibDaddrType(), text("local")), counter("drop_user_to_host"), drop());
        add(s, "inet", "user_tools_01", "oifname \"qfb-db\" ip daddr 10.20.0.11 tcp dport 5432 accept",
                eq(oif, db), eq(payload("ip", "daddr"), text("10.20.0.11")), eq(payload("tcp", "dport"), number(5432)), accept());
        add(s, "inet", "user_tools_01", "ip daddr @qfence_nets4 counter name \"drop_user_to_qfence\" drop",
                eq(payload("ip", "daddr"), setRef("qfence_nets4")), counter("drop_user_to_qfence"), drop());
        add(s, "inet", "user_tools_01", "oifname != \"qfb-*\" ip6 daddr 2001:db8::1 udp dport 53 accept",
                ne(oif, anyBridge), eq(payload("ip6", "daddr"), Nft.network(Cidr.parse("2001:db8::1/128"))), eq(payload("udp", "dport"), number(53)), accept());
        add(s, "inet", "user_tools_01", "counter name \"drop_user_other\" drop", counter("drop_user_other"), drop());
        // nat
        add(s, "inet", "prerouting", "iifname != \"qfb-*\" fib daddr type local ip saddr 192.0.2.0/24 tcp dport 2201 dnat ip to 10.10.0.10:22",
                ne(iif, anyBridge), eq(fibDaddrType(), text("local")), eq(payload("ip", "saddr"), Nft.network(Cidr.parse("192.0.2.0/24"))),
                eq(payload("tcp", "dport"), number(2201)), Nft.dnat(Ipv4Address.parse("10.10.0.10"), 22));
        add(s, "inet", "prerouting", "iifname != \"qfb-*\" fib daddr type local ip saddr 0.0.0.0/0 tcp dport 2202 dnat ip to 10.10.0.10:22",
                ne(iif, anyBridge), eq(fibDaddrType(), text("local")), eq(payload("ip", "saddr"), Nft.network(Cidr.parse("0.0.0.0/0"))),
                eq(payload("tcp", "dport"), number(2202)), Nft.dnat(Ipv4Address.parse("10.10.0.10"), 22));
        add(s, "inet", "postrouting", "oifname != \"qfb-*\" ip saddr 10.10.0.0/24 masquerade",
                ne(oif, anyBridge), eq(payload("ip", "saddr"), Nft.network(Cidr.parse("10.10.0.0/24"))), Nft.masquerade());
        add(s, "inet", "postrouting", "oifname != \"qfb-*\" ip6 saddr fd00:10::/64 masquerade",
                ne(oif, anyBridge), eq(payload("ip6", "saddr"), Nft.network(Cidr.parse("fd00:10::/64"))), Nft.masquerade());
        // bridge: anti-spoofing
        JsonNode etherSrc = payload("ether", "saddr");
        add(s, "bridge", "prerouting", "iifname \"qft-*\" jump antispoof", eq(iif, text("qft-*")), Nft.jump("antispoof"));
        add(s, "bridge", "antispoof", "iifname . ether saddr != @tap_macs counter name \"drop_spoofed_mac\" drop",
                ne(concat(iif, etherSrc), setRef("tap_macs")), counter("drop_spoofed_mac"), drop());
        add(s, "bridge", "antispoof", "ether type != { ip, arp, ip6 } counter name \"drop_ethertype\" drop",
                ne(payload("ether", "type"), anonymousSet(List.of(text("ip"), text("arp"), text("ip6")))), counter("drop_ethertype"), drop());
        add(s, "bridge", "antispoof", "iifname . ether saddr . ip saddr != @tap_ipv4 counter name \"drop_spoofed_ipv4\" drop",
                ne(concat(iif, etherSrc, payload("ip", "saddr")), setRef("tap_ipv4")), counter("drop_spoofed_ipv4"), drop());
        add(s, "bridge", "antispoof", "iifname . arp saddr ether . arp saddr ip != @tap_ipv4 counter name \"drop_spoofed_arp\" drop",
                ne(concat(iif, payload("arp", "saddr ether"), payload("arp", "saddr ip")), setRef("tap_ipv4")), counter("drop_spoofed_arp"), drop());
        add(s, "bridge", "antispoof", "ether type ip6 iifname . ether saddr != @tap_ipv6 counter name \"drop_ipv6\" drop",
                eq(payload("ether", "type"), text("ip6")), ne(concat(iif, etherSrc), setRef("tap_ipv6")), counter("drop_ipv6"), drop());
        return s;
    }

    private static void add(List<Shape> shapes, String family, String chain, String nft, JsonNode... statements) {
        shapes.add(new Shape(family, chain, nft, Nft.expr(List.of(statements))));
    }

    /** The catalogue as the JSON document stored in {@code rule-shapes.json}. */
    static String json() {
        ObjectNode root = RealizationJson.JSON.createObjectNode();
        root.put("about", "Every nft rule shape qfence's realization emits (nft 1.0.6 listing form). For each shape: the table family, the "
                + "chain it is valid in, the nft syntax, and the expr that `nft -j list` prints for it, which is exactly what the "
                + "realizer writes. Load the preamble of the family, add each rule to its chain, list, and compare.");
        ObjectNode preamble = root.putObject("preamble");
        for (String family : List.of("inet", "bridge")) {
            ArrayNode lines = preamble.putArray(family);
            PREAMBLE.get(family).forEach(lines::add);
        }
        ArrayNode shapes = root.putArray("shapes");
        for (Shape sh : all()) {
            ObjectNode n = shapes.addObject();
            n.put("family", sh.family());
            n.put("chain", sh.chain());
            n.put("nft", sh.nft());
            n.set("expr", RealizationJson.parse(sh.expr()));
        }
        try {
            return RealizationJson.JSON.writeValueAsString(root) + "\n";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
