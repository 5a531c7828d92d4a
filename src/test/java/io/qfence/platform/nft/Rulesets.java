package io.qfence.platform.nft;

import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.List;
import java.util.Optional;

/** Small rulesets in canonical form, shared by the buffer, client and counter tests. */
final class Rulesets {

    private Rulesets() {}

    static NftRule rule(String expr, String comment) {
        return new NftRule(expr, comment, NftRule.Effect.UNKNOWN);
    }

    static NftChain base(String name, String type, String hook, int priority, String policy, NftRule... rules) {
        return new NftChain(name, Optional.of(new NftChain.Hook(type, hook, priority, policy)), List.of(rules));
    }

    static NftChain regular(String name, NftRule... rules) {
        return new NftChain(name, Optional.empty(), List.of(rules));
    }

    static final String TCP_DPORT_PORTS = "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":\"@ports\"}}";
    static final String CT_ESTABLISHED = "[{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\",\"related\"]}},{\"accept\":null}]";

    /** A forward chain with a set lookup, a jump and a named drop counter; a bridge anti-spoofing rule. */
    static List<NftTable> small() {
        NftTable inet = new NftTable("inet", "qfence",
                List.of(
                        base("forward", "filter", "forward", 0, "drop",
                                rule(CT_ESTABLISHED, "qf:base"),
                                rule("[" + TCP_DPORT_PORTS + ",{\"jump\":{\"target\":\"web\"}}]", "qf:exception:web:1"),
                                rule("[{\"counter\":\"drop_forward\"},{\"drop\":null}]", "qf:default-drop")),
                        regular("web", rule("[{\"accept\":null}]", ""))),
                List.of(new NftSet("ports", List.of("inet_service"), List.of("interval"), List.of("22", "{\"range\":[8000,8080]}"))),
                List.of("drop_forward"));
        NftTable bridge = new NftTable("bridge", "qfence",
                List.of(base("forward", "filter", "forward", 0, "accept",
                        rule("[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qft-a\"}},"
                                + "{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\"ether\",\"field\":\"saddr\"}},\"right\":\"52:54:00:00:00:01\"}},"
                                + "{\"counter\":\"spoof\"},{\"drop\":null}]", "qf:spoof:a"))),
                List.of(),
                List.of("spoof"));
        return List.of(inet, bridge);
    }
}
