package io.qfence.platform.nft;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns nft's JSON listing of one table ({@code nft -j list table inet qfence}) into the canonical
 * {@link NftTable} of DESIGN.md §7. Every normalization, and why:
 * <ul>
 *   <li>{@code handle}s are dropped (tables, chains, sets, rules, counters): the kernel assigns them, and every
 *       apply re-creates chains and rules with new ones.</li>
 *   <li>a rule's {@code family}, {@code table} and {@code chain} are dropped: the rule sits in its chain's list,
 *       whose table says them once.</li>
 *   <li>counter values: a named counter becomes just its name in {@link NftTable#counters()}, and its values a
 *       {@link CounterSample}; an anonymous counter inside a rule keeps its statement with zero values (see
 *       {@link CanonicalJson}). Values change with traffic, so they must never read as drift.</li>
 *   <li>a named set's elements are sorted by their canonical text (as {@link NftSet} keeps them): the order in which
 *       nft lists a set's elements is its own, and a set has none. Anonymous sets inside rules keep nft's listing
 *       order, which depends only on their content (see {@link CanonicalJson}).</li>
 *   <li>JSON is compact, with object keys in the order nft lists them.</li>
 * </ul>
 * Nothing else: everything nft lists about a rule is compared, including its comment. Whatever the model cannot
 * express is reported in {@link ObservedTable#unmodelled()} instead of being silently dropped.
 */
public final class Normalizer {

    private static final Set<String> TABLE_KEYS = Set.of("family", "name", "handle");
    private static final Set<String> CHAIN_KEYS = Set.of("family", "table", "name", "handle", "type", "hook", "prio", "policy");
    private static final Set<String> SET_KEYS = Set.of("family", "table", "name", "handle", "type", "flags", "elem");
    private static final Set<String> RULE_KEYS = Set.of("family", "table", "chain", "handle", "comment", "expr");
    private static final Set<String> COUNTER_KEYS = Set.of("family", "table", "name", "handle", "packets", "bytes");

    private Normalizer() {}

    /**
     * Normalizes the listing of table {@code family name}.
     *
     * @param listingJson the output of {@code list table} in JSON
     * @throws IllegalArgumentException if the listing is not a libnftables JSON document for that table
     */
    public static ObservedTable normalize(String listingJson, String family, String name) {
        return normalize(CanonicalJson.parse(listingJson), family, name);
    }

    static ObservedTable normalize(JsonNode listing, String family, String name) {
        String qualified = family + " " + name;
        boolean sawTable = false;
        Map<String, NftChain.Hook> hooks = new LinkedHashMap<>();
        Map<String, List<NftRule>> rules = new LinkedHashMap<>();
        List<NftSet> sets = new ArrayList<>();
        List<String> counters = new ArrayList<>();
        List<CounterSample> samples = new ArrayList<>();
        List<String> unmodelled = new ArrayList<>();
        List<String> regular = new ArrayList<>();

        for (JsonNode item : items(listing)) {
            String kind = item.fieldNames().next();
            JsonNode o = item.get(kind);
            if (kind.equals("metainfo")) {
                continue;
            }
            if (!kind.equals("table") && !belongsTo(o, family, name)) {
                throw new IllegalArgumentException("listing of " + qualified + " contains " + kind + " of another table: " + item);
            }
            switch (kind) {
                case "table" -> {
                    if (!text(o, "family").equals(family) || !text(o, "name").equals(name)) {
                        throw new IllegalArgumentException("listing of " + qualified + " contains table " + text(o, "family") + " " + text(o, "name"));
                    }
                    sawTable = true;
                    extraKeys(o, TABLE_KEYS).forEach(k -> unmodelled.add("table " + qualified + ": attribute '" + k + "' = " + o.get(k)));
                }
                case "chain" -> {
                    String chain = text(o, "name");
                    if (o.has("hook")) {
                        hooks.put(chain, new NftChain.Hook(text(o, "type"), text(o, "hook"), o.path("prio").asInt(), o.path("policy").asText("accept")));
                    } else {
                        hooks.put(chain, null);
                        regular.add(chain);
                    }
                    rules.put(chain, new ArrayList<>());
                    extraKeys(o, CHAIN_KEYS).forEach(k -> unmodelled.add("chain " + chain + ": attribute '" + k + "' = " + o.get(k)));
                }
                case "rule" -> {
                    String chain = text(o, "chain");
                    List<NftRule> list = rules.get(chain);
                    if (list == null) {
                        throw new IllegalArgumentException("rule listed before its chain " + chain + ": " + item);
                    }
                    list.add(new NftRule(CanonicalJson.canonicalText(o.path("expr")), o.path("comment").asText(""), NftRule.Effect.UNKNOWN));
                    extraKeys(o, RULE_KEYS).forEach(k -> unmodelled.add("rule in chain " + chain + ": attribute '" + k + "' = " + o.get(k)));
                }
                case "set" -> {
                    String set = text(o, "name");
                    sets.add(new NftSet(set, setType(o.path("type")), strings(o.path("flags")), elements(o.path("elem"))));
                    extraKeys(o, SET_KEYS).forEach(k -> unmodelled.add("set " + set + ": attribute '" + k + "' = " + o.get(k)));
                }
                case "counter" -> {
                    String counter = text(o, "name");
                    counters.add(counter);
                    samples.add(new CounterSample(qualified, counter, o.path("packets").asLong(), o.path("bytes").asLong()));
                    extraKeys(o, COUNTER_KEYS).forEach(k -> unmodelled.add("counter " + counter + ": attribute '" + k + "' = " + o.get(k)));
                }
                default -> unmodelled.add(kind + " " + o.path("name").asText("?") + " (qfence writes no " + kind + " objects)");
            }
        }
        if (!sawTable) {
            throw new IllegalArgumentException("listing does not contain table " + qualified);
        }
        List<NftChain> chains = new ArrayList<>();
        hooks.forEach((chain, hook) -> chains.add(new NftChain(chain, Optional.ofNullable(hook), rules.get(chain))));
        samples.sort(java.util.Comparator.comparing(CounterSample::counter));
        return new ObservedTable(new NftTable(family, name, chains, sets, counters, unmodelled), samples, unmodelled);
    }

    /** The objects of a listed table, by kind and name, in listing order: what a replace must delete first. */
    static List<TransactionBuffer.ObjectRef> inventory(JsonNode listing) {
        List<TransactionBuffer.ObjectRef> objects = new ArrayList<>();
        for (JsonNode item : items(listing)) {
            String kind = item.fieldNames().next();
            if (kind.equals("metainfo") || kind.equals("table") || kind.equals("rule")) {
                continue;
            }
            objects.add(new TransactionBuffer.ObjectRef(kind, text(item.get(kind), "name")));
        }
        return objects;
    }

    static Iterable<JsonNode> items(JsonNode listing) {
        JsonNode array = listing.path("nftables");
        if (!array.isArray()) {
            throw new IllegalArgumentException("not a libnftables JSON document (no \"nftables\" array)");
        }
        return array;
    }

    private static boolean belongsTo(JsonNode o, String family, String name) {
        return o.path("family").asText().equals(family) && o.path("table").asText().equals(name);
    }

    /** nft lists a single type as a string and a concatenation as an array; the model always holds a list. */
    private static List<String> setType(JsonNode type) {
        return type.isArray() ? strings(type) : List.of(type.asText());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.asText()));
        return out;
    }

    /** nft lists one element bare and several as an array; each becomes its canonical text (sorted by the model). */
    private static List<String> elements(JsonNode elem) {
        List<String> out = new ArrayList<>();
        if (elem.isMissingNode()) {
            return out;
        }
        if (elem.isArray()) {
            elem.forEach(e -> out.add(CanonicalJson.canonicalText(e)));
        } else {
            out.add(CanonicalJson.canonicalText(elem));
        }
        return out;
    }

    private static List<String> extraKeys(JsonNode o, Set<String> known) {
        List<String> extra = new ArrayList<>();
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                extra.add(k);
            }
        }
        return extra;
    }

    private static String text(JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing \"" + key + "\" in " + o);
        }
        return v.asText();
    }
}
