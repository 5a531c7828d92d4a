package io.qfence.realize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.PortRange;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Builders for libnftables JSON in <em>nft's own listing form</em> (what {@code nft -j list table} prints on nft
 * 1.0.6), compact, with object keys in nft's order. Every expression realization emits must be a fixed point of
 * "load, list, normalize"; {@code src/test/resources/nft/rule-shapes.json} records each shape with its nft syntax, and
 * a kernel round-trip test holds the promise.
 *
 * <p>Listing rules this encoder follows: a one-element anonymous set lists as its element; a /32 (or /128) prefix
 * lists as a plain address; implicit protocol dependencies ({@code meta l4proto tcp} before {@code tcp dport},
 * {@code meta nfproto ipv4} before {@code ip saddr}, {@code ether type ip} before {@code ip saddr} in the bridge
 * family) are not listed, so they are never written; anonymous set elements list sorted by value, see
 * {@link #IFNAME_ORDER}.
 */
final class Nft {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** nft's wildcard for every interface with qfence's bridge prefix. */
    static final String ANY_BRIDGE = "qfb-*";
    /** nft's wildcard for every interface with qfence's tap prefix. */
    static final String ANY_TAP = "qft-*";

    /**
     * The order in which nft lists the interface-name keys of an anonymous set: as the little-endian integer of the
     * zero-padded 16-byte name, i.e. shorter names first, then by the last byte, then the one before it, and so on.
     */
    static final Comparator<String> IFNAME_ORDER = (a, b) -> {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        if (x.length != y.length) {
            return Integer.compare(x.length, y.length);
        }
        for (int i = x.length - 1; i >= 0; i--) {
            int c = Integer.compare(x[i] & 0xff, y[i] & 0xff);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    };

    private Nft() {}

    // ---- left-hand sides

    static ObjectNode meta(String key) {
        return obj("meta", obj("key", F.textNode(key)));
    }

    static ObjectNode payload(String protocol, String field) {
        ObjectNode p = F.objectNode();
        p.put("protocol", protocol);
        p.put("field", field);
        return obj("payload", p);
    }

    static ObjectNode ct(String key) {
        return obj("ct", obj("key", F.textNode(key)));
    }

    /** {@code fib daddr type}. */
    static ObjectNode fibDaddrType() {
        ObjectNode fib = F.objectNode();
        fib.put("result", "type");
        fib.set("flags", F.arrayNode().add("daddr"));
        return obj("fib", fib);
    }

    static ObjectNode concat(JsonNode... parts) {
        ArrayNode a = F.arrayNode();
        for (JsonNode p : parts) {
            a.add(p);
        }
        return obj("concat", a);
    }

    // ---- right-hand sides

    static JsonNode text(String s) {
        return F.textNode(s);
    }

    static JsonNode number(long n) {
        return F.numberNode(n);
    }

    /** A named set reference, {@code @name}. */
    static JsonNode setRef(String name) {
        return F.textNode("@" + name);
    }

    static JsonNode address(Ipv4Address a) {
        return F.textNode(a.toString());
    }

    /** A network: {@code {"prefix":{...}}}, or a plain address for a host prefix (/32, /128), as nft lists it. */
    static JsonNode network(Cidr c) {
        String addr;
        int full;
        if (c instanceof Ipv4Cidr v4) {
            addr = v4.network().toString();
            full = 32;
        } else {
            addr = ((Ipv6Cidr) c).network().toString();
            full = 128;
        }
        if (c.prefixLength() == full) {
            return F.textNode(addr);
        }
        ObjectNode p = F.objectNode();
        p.put("addr", addr);
        p.put("len", c.prefixLength());
        return obj("prefix", p);
    }

    static String family(Cidr c) {
        return c instanceof Ipv4Cidr ? "ip" : "ip6";
    }

    /** Several flags of a bitmask ({@code ct state established,related}) list as a plain JSON array. */
    static JsonNode flags(String... names) {
        ArrayNode a = F.arrayNode();
        for (String n : names) {
            a.add(n);
        }
        return a;
    }

    /** Elements in the order given (the caller sorts them as nft lists them); one element lists as itself. */
    static JsonNode anonymousSet(List<JsonNode> elements) {
        if (elements.size() == 1) {
            return elements.get(0);
        }
        ArrayNode a = F.arrayNode();
        elements.forEach(a::add);
        return obj("set", a);
    }

    static JsonNode portRange(PortRange r) {
        return r.first() == r.last() ? F.numberNode(r.first()) : obj("range", F.arrayNode().add(r.first()).add(r.last()));
    }

    /** Canonical {@link Ports} are sorted by value, which is also nft's listing order. */
    static JsonNode ports(Ports ports) {
        return anonymousSet(ports.ranges().stream().map(Nft::portRange).toList());
    }

    // ---- statements

    static ObjectNode match(String op, JsonNode left, JsonNode right) {
        ObjectNode m = F.objectNode();
        m.put("op", op);
        m.set("left", left);
        m.set("right", right);
        return obj("match", m);
    }

    static ObjectNode eq(JsonNode left, JsonNode right) {
        return match("==", left, right);
    }

    static ObjectNode ne(JsonNode left, JsonNode right) {
        return match("!=", left, right);
    }

    /** {@code ct state} and {@code ct status} list with the {@code in} operator, even for a single flag. */
    static ObjectNode in(JsonNode left, JsonNode right) {
        return match("in", left, right);
    }

    static ObjectNode accept() {
        return obj("accept", F.nullNode());
    }

    static ObjectNode drop() {
        return obj("drop", F.nullNode());
    }

    /** A reference to a named counter, {@code counter name "NAME"}. */
    static ObjectNode counter(String name) {
        return obj("counter", F.textNode(name));
    }

    static ObjectNode jump(String chain) {
        return obj("jump", obj("target", F.textNode(chain)));
    }

    /** {@code KEY vmap { K : VERDICT, ... }}; entries must already be in nft's listing order. */
    static ObjectNode vmap(JsonNode key, List<Map.Entry<JsonNode, JsonNode>> entries) {
        ArrayNode set = F.arrayNode();
        for (Map.Entry<JsonNode, JsonNode> e : entries) {
            set.add(F.arrayNode().add(e.getKey()).add(e.getValue()));
        }
        ObjectNode v = F.objectNode();
        v.set("key", key);
        v.set("data", obj("set", set));
        return obj("vmap", v);
    }

    /** {@code dnat ip to ADDR:PORT}. */
    static ObjectNode dnat(Ipv4Address to, int port) {
        ObjectNode d = F.objectNode();
        d.put("family", "ip");
        d.put("addr", to.toString());
        d.put("port", port);
        return obj("dnat", d);
    }

    static ObjectNode masquerade() {
        return obj("masquerade", F.nullNode());
    }

    // ---- serialization

    /** The compact JSON array of a rule's statements: the {@code expr} of an {@code NftRule}. */
    static String expr(List<? extends JsonNode> statements) {
        ArrayNode a = F.arrayNode();
        statements.forEach(a::add);
        return write(a);
    }

    static String write(JsonNode node) {
        return Json.compact(node);
    }

    private static ObjectNode obj(String key, JsonNode value) {
        ObjectNode o = F.objectNode();
        o.set(key, value);
        return o;
    }
}
