package io.qfence.model.host;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * All of qfence's nft tables on a host. One object, because the whole ruleset changes in one atomic transaction.
 * Its attributes are one entry per table/chain/set, so a plan shows which rules a change adds and removes.
 */
public record Firewall(String address, List<NftTable> tables) implements HostObject {

    public static final String OWNED_TABLE = "qfence";

    public Firewall {
        tables = tables.stream().sorted(java.util.Comparator.comparing(NftTable::qualifiedName)).toList();
        for (NftTable t : tables) {
            if (!t.name().equals(OWNED_TABLE)) {
                throw new IllegalArgumentException("qfence owns only tables named '" + OWNED_TABLE + "', not " + t.qualifiedName());
            }
        }
    }

    public static Firewall of(List<NftTable> tables) {
        return new Firewall(Addresses.FIREWALL, tables);
    }

    /**
     * Keys like {@code inet qfence/chain forward/rule 003} with the rule's JSON and comment as value, plus one key per
     * chain hook and per set. A rule change therefore shows as exactly the rules that differ; anything observation
     * found that the model cannot express shows as one {@code inet qfence/unmodelled} entry, which the desired side
     * never has.
     */
    @Override
    public SortedMap<String, String> attributes() {
        SortedMap<String, String> a = new TreeMap<>();
        for (NftTable t : tables) {
            String tk = t.qualifiedName();
            for (NftChain c : t.chains()) {
                String ck = tk + "/chain " + c.name();
                a.put(ck, c.hook().map(h -> "type " + h.type() + " hook " + h.hook() + " priority " + h.priority()
                        + " policy " + h.policy()).orElse("regular"));
                for (int i = 0; i < c.rules().size(); i++) {
                    NftRule r = c.rules().get(i);
                    a.put(ck + "/rule " + String.format("%04d", i), r.expr() + (r.comment().isEmpty() ? "" : " comment " + r.comment()));
                }
            }
            for (NftSet s : t.sets()) {
                a.put(tk + "/set " + s.name(), String.join(" . ", s.type()) + " flags " + s.flags() + " = " + s.elements());
            }
            if (!t.counters().isEmpty()) {
                a.put(tk + "/counters", String.join(", ", t.counters()));
            }
            if (!t.unmodelled().isEmpty()) {
                a.put(tk + "/unmodelled", String.join("; ", t.unmodelled()));
            }
        }
        return a;
    }
}
