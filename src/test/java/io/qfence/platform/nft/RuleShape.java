package io.qfence.platform.nft;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One entry of a rule-shape catalogue ({@code src/test/resources/nft/*rule-shapes.json}): a rule in nft syntax and
 * the canonical JSON {@code expr} nft lists for it. Optional keys: {@code family} (default {@code inet}),
 * {@code chain} ({@code "TYPE HOOK"}; by default inferred: masquerade/snat in nat postrouting, dnat/redirect in nat
 * prerouting, meta skuid in filter output, else filter forward), {@code comment}, {@code note}, and
 * {@code fixedPoint: false} for a listing form that nft itself does not reproduce when it is written back (a pitfall
 * the catalogue documents: a realizer must never emit it).
 *
 * <p>Each shape is tested inside the same scaffold: named counter {@code drop_fwd}, interval set {@code ports},
 * concatenated set {@code allowed}, regular chain {@code sub}, and a base chain {@code shape} holding the rule.
 */
record RuleShape(String name, String family, String chainType, String hook, String nft, String expr, String comment, boolean fixedPoint) {

    static final String CHAIN = "shape";

    static List<RuleShape> load(String resource) {
        JsonNode root = CanonicalJson.parse(NormalizerTest.resource(resource));
        List<RuleShape> shapes = new ArrayList<>();
        int index = 0;
        for (JsonNode e : root) {
            String nft = e.path("nft").asText();
            String expr = CanonicalJson.write(e.path("expr"));
            String[] chain = e.has("chain") ? e.get("chain").asText().split(" ") : inferChain(expr);
            shapes.add(new RuleShape(e.path("name").asText("#" + index + " " + nft), e.path("family").asText("inet"),
                    chain[0], chain[1], nft, expr, e.path("comment").asText(""), e.path("fixedPoint").asBoolean(true)));
            index++;
        }
        return shapes;
    }

    private static String[] inferChain(String expr) {
        if (expr.contains("\"masquerade\"") || expr.contains("\"snat\"")) {
            return new String[] {"nat", "postrouting"};
        }
        if (expr.contains("\"dnat\"") || expr.contains("\"redirect\"")) {
            return new String[] {"nat", "prerouting"};
        }
        if (expr.contains("\"skuid\"")) {
            return new String[] {"filter", "output"};
        }
        return new String[] {"filter", "forward"};
    }

    int priority() {
        return switch (hook) {
            case "prerouting" -> -100;
            case "postrouting" -> 100;
            default -> 0;
        };
    }

    NftRule rule() {
        return new NftRule(expr, comment, NftRule.Effect.UNKNOWN);
    }

    /** The scaffold with this shape's rule, as the client writes it. */
    NftTable table() {
        return table(List.of(rule()));
    }

    NftTable table(List<NftRule> rules) {
        return new NftTable(family, "qfence",
                List.of(new NftChain(CHAIN, Optional.of(new NftChain.Hook(chainType, hook, priority(), "accept")), rules),
                        new NftChain("sub", Optional.empty(), List.of(new NftRule("[{\"return\":null}]", "", NftRule.Effect.UNKNOWN)))),
                List.of(new NftSet("ports", List.of("inet_service"), List.of("interval"), List.of("22", "{\"range\":[80,90]}")),
                        new NftSet("allowed", List.of("ifname", "ether_addr", "ipv4_addr"), List.of(),
                                List.of("{\"concat\":[\"qft-a\",\"52:54:00:00:00:01\",\"10.1.0.2\"]}"))),
                List.of("drop_fwd"));
    }

    /** The same scaffold in nft syntax, with the shape's rule as nft syntax: what the CLI witness loads. */
    String script() {
        return "table " + family + " qfence {\n"
                + "  counter drop_fwd {\n  }\n"
                + "  set ports {\n    type inet_service\n    flags interval\n    elements = { 22, 80-90 }\n  }\n"
                + "  set allowed {\n    type ifname . ether_addr . ipv4_addr\n    elements = { \"qft-a\" . 52:54:00:00:00:01 . 10.1.0.2 }\n  }\n"
                + "  chain " + CHAIN + " {\n    type " + chainType + " hook " + hook + " priority " + priority() + "; policy accept;\n"
                + "    " + nft + "\n  }\n"
                + "  chain sub {\n    return\n  }\n"
                + "}\n";
    }

    @Override
    public String toString() {
        return name;
    }
}
