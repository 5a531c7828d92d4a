package io.qfence.plan.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * nft's own text syntax for the canonical libnftables JSON that qfence carries (DESIGN.md §7): what {@code nft list}
 * prints for a rule, a named set's declaration and its elements. For people reviewing plans and state; nothing parses
 * it back.
 *
 * <p>Pure and total: it never throws. A shape it does not know exactly (an unknown statement or expression, or a known
 * one with a key it does not render) is shown whole as its compact JSON, with control characters escaped, so no part
 * of a rule is ever dropped or guessed. Strings are quoted where nft quotes them (interface names) and wherever they
 * are not plain tokens, with {@code "}, {@code \} and control characters escaped: an edit made on the host cannot
 * forge lines of a plan.
 *
 * <p>It lives in {@code plan.render} because it needs Jackson (kept out of {@code model}) and because everything that
 * prints firewall objects for people ({@code plan}, and {@code cli}/{@code engine} for state) may depend on
 * {@code plan}.
 */
public final class NftText {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** meta keys nft prints without the {@code meta} keyword. */
    private static final Set<String> UNQUALIFIED_META = Set.of("iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup");

    /** meta keys whose values are interface names, which nft prints quoted. */
    private static final Set<String> NAME_META = Set.of("iifname", "oifname", "ibrname", "obrname", "iifkind", "oifkind");

    /** Set element types whose values nft prints quoted. */
    private static final Set<String> NAME_TYPES = Set.of("ifname");

    private static final Set<String> VERDICTS = Set.of("accept", "drop", "continue", "return");

    /** A string nft prints as a bare token: addresses, numbers, symbolic constants, MACs. */
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_.:\\-]+");

    /** A named set or map reference on the right of a match. */
    private static final Pattern SET_REF = Pattern.compile("@[A-Za-z0-9_]+");

    private NftText() {}

    /** A rule's statements and its comment: {@code oifname "qfb-db" tcp dport 22 accept comment "qf:exception:db:2"}. */
    public static String rule(NftRule rule) {
        String statements = statements(rule.expr());
        return rule.comment().isEmpty() ? statements : statements + " comment " + quoted(rule.comment());
    }

    /** The statements of a canonical {@code expr} array, or the array itself as compact JSON when its shape is unknown. */
    public static String statements(String expr) {
        try {
            JsonNode array = JSON.readTree(expr);
            if (array == null || !array.isArray() || array.isEmpty()) {
                return fallback(expr);
            }
            List<String> out = new ArrayList<>();
            for (JsonNode statement : array) {
                out.add(statement(statement));
            }
            return String.join(" ", out);
        } catch (JsonProcessingException | Unknown e) {
            return fallback(expr);
        }
    }

    /** A named set's declaration without its elements: {@code type ifname . ether_addr}, {@code type ipv4_addr; flags interval}. */
    public static String setDeclaration(NftSet set) {
        String type = "type " + String.join(" . ", set.type().stream().map(NftText::token).toList());
        return set.flags().isEmpty() ? type : type + "; flags " + String.join(",", set.flags().stream().map(NftText::token).toList());
    }

    /**
     * One element of a named set, typed by the set: {@code "qft-web-01" . 0e:00:00:00:00:01 . 10.10.0.11},
     * {@code 10.10.0.0/24}; the element's compact JSON when its shape is unknown.
     */
    public static String setElement(NftSet set, String element) {
        try {
            JsonNode node = JSON.readTree(element);
            if (node == null || node.isMissingNode()) {
                return fallback(element);
            }
            return value(node, set.type().stream().map(t -> NAME_TYPES.contains(t) ? Kind.NAME : Kind.PLAIN).toList());
        } catch (JsonProcessingException | Unknown e) {
            return fallback(element);
        }
    }

    // ---- statements ----

    private static String statement(JsonNode s) {
        Map.Entry<String, JsonNode> only = single(s);
        String keyword = only.getKey();
        JsonNode arg = only.getValue();
        if (VERDICTS.contains(keyword) || keyword.equals("masquerade")) {
            requireNull(arg);
            return keyword;
        }
        return switch (keyword) {
            case "match" -> match(arg);
            case "jump", "goto" -> keyword + " " + token(text(exactly(arg, "target").get("target")));
            case "counter" -> counter(arg);
            case "vmap" -> vmap(arg);
            case "dnat", "snat" -> nat(keyword, arg);
            case "reject" -> reject(arg);
            default -> throw Unknown.INSTANCE;
        };
    }

    private static String match(JsonNode m) {
        exactly(m, "op", "left", "right");
        String op = text(m.get("op"));
        JsonNode right = m.get("right");
        List<Kind> kinds = kinds(m.get("left"));
        String left = expression(m.get("left"));
        String value;
        if (op.equals("in") && right.isArray()) {
            // a flag list (ct state established,related): nft joins the flags with commas, no spaces
            List<String> flags = new ArrayList<>();
            right.forEach(f -> flags.add(token(text(f))));
            value = String.join(",", flags);
        } else {
            value = value(right, kinds);
        }
        return switch (op) {
            case "==", "in" -> left + " " + value;
            case "!=", "<", ">", "<=", ">=" -> left + " " + op + " " + value;
            default -> throw Unknown.INSTANCE;
        };
    }

    private static String counter(JsonNode c) {
        if (c.isTextual()) {
            return "counter name " + quoted(c.asText());
        }
        exactly(c, "packets", "bytes");
        return "counter packets " + number(c.get("packets")) + " bytes " + number(c.get("bytes"));
    }

    private static String vmap(JsonNode v) {
        exactly(v, "key", "data");
        return expression(v.get("key")) + " vmap " + value(v.get("data"), kinds(v.get("key")));
    }

    private static String nat(String keyword, JsonNode n) {
        if (!n.isObject() || !n.has("addr") || n.size() != 1 + (n.has("family") ? 1 : 0) + (n.has("port") ? 1 : 0)) {
            throw Unknown.INSTANCE;
        }
        String family = n.has("family") ? token(text(n.get("family"))) + " " : "";
        String addr = token(text(n.get("addr")));
        if (n.has("port")) {
            addr = (addr.contains(":") ? "[" + addr + "]" : addr) + ":" + number(n.get("port"));
        }
        return keyword + " " + family + "to " + addr;
    }

    private static String reject(JsonNode r) {
        if (r.isNull()) {
            return "reject";
        }
        if (r.isObject() && r.size() == 1 && r.has("type")) {
            return "reject with " + words(text(r.get("type")));
        }
        exactly(r, "type", "expr");
        String type = token(text(r.get("type")));
        String code = token(text(r.get("expr")));
        // nft lists its default, icmpx port-unreachable, as a bare reject
        return type.equals("icmpx") && code.equals("port-unreachable") ? "reject" : "reject with " + type + " " + code;
    }

    // ---- expressions (left-hand sides) ----

    private static String expression(JsonNode e) {
        if (e.isObject() && e.has("concat") && e.size() == 1 && e.get("concat").isArray()) {
            List<String> parts = new ArrayList<>();
            e.get("concat").forEach(p -> parts.add(expression(p)));
            return String.join(" . ", parts);
        }
        Map.Entry<String, JsonNode> only = single(e);
        JsonNode arg = only.getValue();
        return switch (only.getKey()) {
            case "meta" -> {
                String key = token(text(exactly(arg, "key").get("key")));
                yield UNQUALIFIED_META.contains(key) ? key : "meta " + key;
            }
            case "payload" -> {
                exactly(arg, "protocol", "field");
                // arp's fields are two words ("saddr ether"); each word is a token
                yield token(text(arg.get("protocol"))) + " " + words(text(arg.get("field")));
            }
            case "ct" -> "ct " + token(text(exactly(arg, "key").get("key")));
            case "fib" -> {
                exactly(arg, "result", "flags");
                JsonNode flags = arg.get("flags");
                List<String> names = new ArrayList<>();
                if (flags.isArray()) {
                    flags.forEach(f -> names.add(token(text(f))));
                } else {
                    names.add(token(text(flags)));
                }
                yield "fib " + String.join(" . ", names) + " " + token(text(arg.get("result")));
            }
            default -> throw Unknown.INSTANCE;
        };
    }

    /** How the values compared with an expression are printed, per concatenated component. */
    private enum Kind {
        NAME, PLAIN
    }

    private static List<Kind> kinds(JsonNode e) {
        if (e.isObject() && e.has("concat") && e.get("concat").isArray()) {
            List<Kind> kinds = new ArrayList<>();
            e.get("concat").forEach(p -> kinds.add(kinds(p).get(0)));
            return kinds;
        }
        JsonNode meta = e.path("meta").path("key");
        return List.of(meta.isTextual() && NAME_META.contains(meta.asText()) ? Kind.NAME : Kind.PLAIN);
    }

    // ---- values (right-hand sides, set elements) ----

    private static String value(JsonNode v, List<Kind> kinds) {
        if (v.isTextual()) {
            String s = v.asText();
            if (SET_REF.matcher(s).matches()) {
                return s;
            }
            return kinds.get(0) == Kind.NAME ? quoted(s) : token(s);
        }
        if (v.isIntegralNumber()) {
            return v.asText();
        }
        if (v.isArray() && v.size() == 2) {
            // a map element: key : verdict
            return value(v.get(0), kinds) + " : " + statement(v.get(1));
        }
        Map.Entry<String, JsonNode> only = single(v);
        JsonNode arg = only.getValue();
        return switch (only.getKey()) {
            case "set" -> {
                if (!arg.isArray() || arg.isEmpty()) {
                    throw Unknown.INSTANCE;
                }
                List<String> elements = new ArrayList<>();
                arg.forEach(e -> elements.add(value(e, kinds)));
                yield "{ " + String.join(", ", elements) + " }";
            }
            case "range" -> {
                if (!arg.isArray() || arg.size() != 2) {
                    throw Unknown.INSTANCE;
                }
                yield value(arg.get(0), kinds) + "-" + value(arg.get(1), kinds);
            }
            case "prefix" -> {
                exactly(arg, "addr", "len");
                yield token(text(arg.get("addr"))) + "/" + number(arg.get("len"));
            }
            case "concat" -> {
                if (!arg.isArray()) {
                    throw Unknown.INSTANCE;
                }
                List<String> parts = new ArrayList<>();
                for (int i = 0; i < arg.size(); i++) {
                    parts.add(value(arg.get(i), List.of(i < kinds.size() ? kinds.get(i) : Kind.PLAIN)));
                }
                yield String.join(" . ", parts);
            }
            default -> throw Unknown.INSTANCE;
        };
    }

    // ---- helpers ----

    /** A shape this renderer does not know; caught at the top, where the whole rule falls back to JSON. */
    private static final class Unknown extends RuntimeException {
        static final Unknown INSTANCE = new Unknown();

        private Unknown() {
            super(null, null, false, false);
        }
    }

    private static Map.Entry<String, JsonNode> single(JsonNode n) {
        if (!n.isObject() || n.size() != 1) {
            throw Unknown.INSTANCE;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = n.fields();
        return fields.next();
    }

    /** {@code n}, if it is an object with exactly these keys. */
    private static JsonNode exactly(JsonNode n, String... keys) {
        if (!n.isObject() || n.size() != keys.length) {
            throw Unknown.INSTANCE;
        }
        for (String k : keys) {
            if (!n.has(k)) {
                throw Unknown.INSTANCE;
            }
        }
        return n;
    }

    private static void requireNull(JsonNode n) {
        if (!n.isNull()) {
            throw Unknown.INSTANCE;
        }
    }

    private static String text(JsonNode n) {
        if (n == null || !n.isTextual()) {
            throw Unknown.INSTANCE;
        }
        return n.asText();
    }

    private static String number(JsonNode n) {
        if (n == null || !n.isIntegralNumber()) {
            throw Unknown.INSTANCE;
        }
        return n.asText();
    }

    private static String words(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.split(" ", -1)) {
            out.add(token(w));
        }
        return String.join(" ", out);
    }

    /** A keyword or plain value as nft prints it; anything that is not a plain token is quoted, so it cannot pass for syntax. */
    private static String token(String s) {
        return BARE.matcher(s).matches() ? s : quoted(s);
    }

    /** An nft string literal, with quotes, backslashes and control characters escaped. */
    static String quoted(String s) {
        return "\"" + escape(s, true) + "\"";
    }

    /** Compact JSON as it came, with any control character escaped (valid JSON has none outside strings). */
    private static String fallback(String json) {
        return escape(json, false);
    }

    /** Characters that change how a terminal lays text out (bidirectional overrides, line separators). */
    private static boolean invisible(char ch) {
        int type = Character.getType(ch);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    private static String escape(String s, boolean quotes) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quotes && (ch == '"' || ch == '\\')) {
                b.append('\\').append(ch);
            } else if (Character.isISOControl(ch) || invisible(ch)) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
