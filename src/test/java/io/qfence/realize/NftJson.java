package io.qfence.realize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Test-side helpers: a realized firewall as an nft JSON batch, and rule shapes with their values abstracted. */
final class NftJson {

    private NftJson() {}

    /** {@code {"nftables":[add table, counters, sets, chains, rules]}}: chains before rules, so jumps resolve. */
    static String batch(Firewall firewall) {
        ObjectNode root = RealizationJson.JSON.createObjectNode();
        ArrayNode cmds = root.putArray("nftables");
        for (NftTable t : firewall.tables()) {
            ObjectNode table = cmds.addObject().putObject("add").putObject("table");
            table.put("family", t.family());
            table.put("name", t.name());
            for (String c : t.counters()) {
                ObjectNode counter = cmds.addObject().putObject("add").putObject("counter");
                counter.put("family", t.family());
                counter.put("table", t.name());
                counter.put("name", c);
            }
            for (NftSet s : t.sets()) {
                ObjectNode set = cmds.addObject().putObject("add").putObject("set");
                set.put("family", t.family());
                set.put("table", t.name());
                set.put("name", s.name());
                set.set("type", s.type().size() == 1 ? RealizationJson.JSON.getNodeFactory().textNode(s.type().get(0))
                        : RealizationJson.JSON.valueToTree(s.type()));
                if (!s.flags().isEmpty()) {
                    set.set("flags", RealizationJson.JSON.valueToTree(s.flags()));
                }
                if (!s.elements().isEmpty()) {
                    ArrayNode elem = set.putArray("elem");
                    s.elements().forEach(e -> elem.add(RealizationJson.parse(e)));
                }
            }
            for (NftChain c : t.chains()) {
                ObjectNode chain = cmds.addObject().putObject("add").putObject("chain");
                chain.put("family", t.family());
                chain.put("table", t.name());
                chain.put("name", c.name());
                c.hook().ifPresent(h -> {
                    chain.put("type", h.type());
                    chain.put("hook", h.hook());
                    chain.put("prio", h.priority());
                    chain.put("policy", h.policy());
                });
            }
            for (NftChain c : t.chains()) {
                for (NftRule r : c.rules()) {
                    ObjectNode rule = cmds.addObject().putObject("add").putObject("rule");
                    rule.put("family", t.family());
                    rule.put("table", t.name());
                    rule.put("chain", c.name());
                    rule.set("expr", RealizationJson.parse(r.expr()));
                    rule.put("comment", r.comment());
                }
            }
        }
        return root.toString();
    }

    /** The distinct abstract statements of a rule expr. */
    static Set<String> abstractStatements(String expr) {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode stmt : RealizationJson.parse(expr)) {
            out.add(abstractStatement(stmt).toString());
        }
        return out;
    }

    /**
     * A statement with its values replaced by placeholders (interface names, addresses, ports, uids, counter names,
     * jump targets, DNAT targets), keeping everything that decides how nft lists it: keywords, operators, set
     * references, wildcards, the structure of sets, ranges and prefixes.
     */
    static JsonNode abstractStatement(JsonNode stmt) {
        ObjectNode copy = stmt.deepCopy();
        if (copy.has("match")) {
            ObjectNode m = (ObjectNode) copy.get("match");
            if (isValueSide(m.get("left"))) {
                m.set("right", abstractValue(m.get("right")));
            }
        } else if (copy.has("counter")) {
            copy.put("counter", "C");
        } else if (copy.has("jump")) {
            ((ObjectNode) copy.get("jump")).put("target", "T");
        } else if (copy.has("dnat")) {
            ((ObjectNode) copy.get("dnat")).put("addr", "A");
            ((ObjectNode) copy.get("dnat")).put("port", 0);
        } else if (copy.has("vmap")) {
            ObjectNode data = (ObjectNode) copy.get("vmap").get("data");
            JsonNode first = data.get("set").get(0);
            ArrayNode pair = RealizationJson.JSON.createArrayNode();
            pair.add(abstractValue(first.get(0)));
            pair.add(abstractStatement(first.get(1)));
            data.set("set", RealizationJson.JSON.createArrayNode().add(pair));
        }
        return copy;
    }

    private static boolean isValueSide(JsonNode left) {
        String s = left.toString();
        return s.contains("\"iifname\"") || s.contains("\"oifname\"") || s.contains("\"saddr\"") || s.contains("\"daddr\"")
                || s.contains("\"dport\"") || s.contains("\"skuid\"");
    }

    private static JsonNode abstractValue(JsonNode v) {
        var f = RealizationJson.JSON.getNodeFactory();
        if (v.isTextual()) {
            String t = v.asText();
            return t.startsWith("@") || t.endsWith("*") ? v : f.textNode("S");
        }
        if (v.isNumber()) {
            return f.numberNode(0);
        }
        if (v.has("prefix")) {
            ObjectNode p = f.objectNode();
            p.put("addr", "A");
            p.put("len", 0);
            return f.objectNode().set("prefix", p);
        }
        if (v.has("range")) {
            return f.objectNode().set("range", f.arrayNode().add(0).add(0));
        }
        if (v.has("set")) {
            Set<String> seen = new LinkedHashSet<>();
            ArrayNode elems = f.arrayNode();
            for (JsonNode e : v.get("set")) {
                JsonNode a = abstractValue(e);
                if (seen.add(a.toString())) {
                    elems.add(a);
                }
            }
            return f.objectNode().set("set", elems);
        }
        return v;
    }

    static List<String> lines(String text) {
        return new ArrayList<>(text.lines().toList());
    }
}
