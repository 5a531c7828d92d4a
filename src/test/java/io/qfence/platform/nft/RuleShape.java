package io.qfence.platform.nft;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.NftRule;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of a rule-shape catalogue: a rule in nft syntax, the chain it is valid in, the nft script that creates
 * its table (the preamble: every set, counter and chain the rule may name), and the canonical JSON {@code expr} nft
 * lists for it. Two catalogue formats are read:
 * <ul>
 *   <li>the adapter's own ({@code nft/adapter-rule-shapes.json}): an array of {@code {name, family?, chain?, nft,
 *       expr, comment?, note?, fixedPoint?}}, where {@code chain} is {@code "TYPE HOOK"} (default
 *       {@code filter forward}) of a base chain {@code shape} in a fixed scaffold (named counter {@code drop_fwd},
 *       sets {@code ports} and {@code allowed}, regular chain {@code sub});</li>
 *   <li>the realizer's ({@code nft/rule-shapes.json}): {@code {preamble: {FAMILY: [lines]}, shapes: [{family, chain,
 *       nft, expr}]}}, where {@code chain} names a chain of the family's preamble.</li>
 * </ul>
 * {@code fixedPoint: false} marks a listing form that nft itself does not reproduce when it is written back (a pitfall
 * the catalogue documents: a realizer must never emit it).
 */
record RuleShape(String name, String family, String chain, String preamble, String nft, String expr, String comment, boolean fixedPoint) {

    static boolean exists(String resource) {
        try (InputStream in = RuleShape.class.getResourceAsStream(resource)) {
            return in != null;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static List<RuleShape> load(String resource) {
        JsonNode root = CanonicalJson.parse(NormalizerTest.resource(resource));
        return root.isArray() ? loadAdapterFormat(root) : loadRealizerFormat(root);
    }

    private static List<RuleShape> loadAdapterFormat(JsonNode root) {
        List<RuleShape> shapes = new ArrayList<>();
        for (JsonNode e : root) {
            String family = e.path("family").asText("inet");
            String[] chain = e.path("chain").asText("filter forward").split(" ");
            shapes.add(new RuleShape(e.path("name").asText(), family, "shape", scaffold(family, chain[0], chain[1]),
                    e.path("nft").asText(), CanonicalJson.write(e.path("expr")), e.path("comment").asText(""),
                    e.path("fixedPoint").asBoolean(true)));
        }
        return shapes;
    }

    private static List<RuleShape> loadRealizerFormat(JsonNode root) {
        List<RuleShape> shapes = new ArrayList<>();
        int i = 0;
        for (JsonNode e : root.path("shapes")) {
            String family = e.path("family").asText();
            StringBuilder preamble = new StringBuilder();
            root.path("preamble").path(family).forEach(line -> preamble.append(line.asText()).append('\n'));
            shapes.add(new RuleShape(String.format("%02d %s %s: %s", i++, family, e.path("chain").asText(), e.path("nft").asText()),
                    family, e.path("chain").asText(), preamble.toString(), e.path("nft").asText(),
                    CanonicalJson.write(e.path("expr")), e.path("comment").asText(""), e.path("fixedPoint").asBoolean(true)));
        }
        return shapes;
    }

    private static String scaffold(String family, String type, String hook) {
        int priority = switch (hook) {
            case "prerouting" -> -100;
            case "postrouting" -> 100;
            default -> 0;
        };
        return "table " + family + " qfence {\n"
                + "  counter drop_fwd {\n  }\n"
                + "  set ports {\n    type inet_service\n    flags interval\n    elements = { 22, 80-90 }\n  }\n"
                + "  set allowed {\n    type ifname . ether_addr . ipv4_addr\n    elements = { \"qft-a\" . 52:54:00:00:00:01 . 10.1.0.2 }\n  }\n"
                + "  chain shape {\n    type " + type + " hook " + hook + " priority " + priority + "; policy accept;\n  }\n"
                + "  chain sub {\n    return\n  }\n"
                + "}\n";
    }

    /** The preamble, then the shape's rule appended to its chain, in nft syntax: what the CLI witness loads. */
    String script() {
        return preamble + "add rule " + family + " qfence " + chain + " " + nft + "\n";
    }

    NftRule rule() {
        return new NftRule(expr, comment, NftRule.Effect.UNKNOWN);
    }

    @Override
    public String toString() {
        return name;
    }
}
