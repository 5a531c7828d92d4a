package io.qfence.platform.nft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds the single libnftables JSON buffer that replaces qfence's tables in one transaction.
 *
 * <p>For each desired table that already exists, the buffer <em>flushes and refills</em> it rather than deleting and
 * re-adding the table: {@code flush table} drops every rule (and with them every reference), then every chain, set,
 * map and other object is deleted, except the named counters the new ruleset keeps, which are re-added with a plain
 * {@code add} (a no-op on an existing counter). So drop counters keep counting across applies, and {@code qfence
 * state} reports hits since the counter was first created, not since the last apply. The price is that the buffer
 * depends on the table's current inventory, listed just before; if the table changed in between, the kernel rejects
 * the batch (deleting a missing object) or a late addition survives until the next apply shows it as drift. Either
 * way the transaction is all-or-nothing.
 *
 * <p>Delete-and-re-add would need no inventory, but would reset every counter on every apply.
 *
 * <p>Every command in the buffer names a table this class itself writes from an {@link NftTable} or a removal, and
 * both are checked against {@link #OWNED_FAMILIES} and {@link Firewall#OWNED_TABLE}: no buffer can touch a table
 * qfence does not own, and none contains a ruleset-wide command.
 */
final class TransactionBuffer {

    /** DESIGN.md §5: qfence owns {@code inet qfence} and {@code bridge qfence}, and nothing else. */
    static final Set<String> OWNED_FAMILIES = Set.of("inet", "bridge");

    /** An object inside a listed table: {@code kind} is its libnftables JSON key ("chain", "set", "counter"...). */
    record ObjectRef(String kind, String name) {
        ObjectRef {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private TransactionBuffer() {}

    /** The qualified names of {@code desired}, each checked to be qfence's own and to appear once. */
    private static Set<String> ownedOnce(List<NftTable> desired) {
        Set<String> seen = new HashSet<>();
        for (NftTable t : desired) {
            requireOwned(t.family(), t.name());
            if (!seen.add(t.qualifiedName())) {
                throw new IllegalArgumentException("table " + t.qualifiedName() + " is desired twice");
            }
        }
        return seen;
    }

    /**
     * @param desired  the tables to hold after the transaction, complete
     * @param existing for each owned table present now (by qualified name, e.g. {@code inet qfence}), its objects
     * @param remove   owned tables to delete if present (qualified names)
     * @return the buffer, or the empty string when there is nothing to do
     */
    static String replace(List<NftTable> desired, Map<String, List<ObjectRef>> existing, List<String> remove) {
        Set<String> seen = ownedOnce(desired);
        for (String r : remove) {
            String[] parts = splitQualified(r);
            requireOwned(parts[0], parts[1]);
            if (seen.contains(r)) {
                throw new IllegalArgumentException("table " + r + " is both desired and to be removed");
            }
        }
        existing.keySet().forEach(TransactionBuffer::splitQualifiedOwned);

        ArrayNode commands = NODES.arrayNode();
        for (NftTable t : desired) {
            String family = t.family();
            commands.add(command("add", "table", table(family)));
            List<ObjectRef> present = existing.get(t.qualifiedName());
            if (present != null) {
                commands.add(command("flush", "table", table(family)));
                Set<String> keptCounters = Set.copyOf(t.counters());
                // sets and maps first (a verdict map may jump to a chain), then chains, then counters no longer wanted
                present.stream().filter(o -> !o.kind().equals("chain") && !o.kind().equals("counter"))
                        .forEach(o -> commands.add(command("delete", o.kind(), named(family, o.name()))));
                present.stream().filter(o -> o.kind().equals("chain"))
                        .forEach(o -> commands.add(command("delete", "chain", named(family, o.name()))));
                present.stream().filter(o -> o.kind().equals("counter") && !keptCounters.contains(o.name()))
                        .forEach(o -> commands.add(command("delete", "counter", named(family, o.name()))));
            }
            for (String counter : t.counters()) {
                commands.add(command("add", "counter", named(family, counter)));
            }
            for (NftSet s : t.sets()) {
                commands.add(command("add", "set", set(family, s)));
            }
            for (NftChain c : t.chains()) {
                commands.add(command("add", "chain", chain(family, c)));
            }
            for (NftChain c : t.chains()) {
                for (NftRule r : c.rules()) {
                    commands.add(command("add", "rule", rule(family, c.name(), r)));
                }
            }
        }
        for (String r : remove) {
            if (existing.containsKey(r)) {
                commands.add(command("delete", "table", table(splitQualified(r)[0])));
            }
        }
        if (commands.isEmpty()) {
            return "";
        }
        List<String> lines = new java.util.ArrayList<>();
        commands.forEach(c -> lines.add(CanonicalJson.write(c)));
        return join(lines);
    }

    /**
     * What an incremental transaction changes in one table: the chains it refills and the sets whose elements (or
     * existence) it changes. These are what the client lists again afterwards to verify the result from the kernel.
     */
    record Touched(String family, List<String> chains, List<String> sets) {
        Touched {
            chains = List.copyOf(chains);
            sets = List.copyOf(sets);
        }
    }

    /** An incremental transaction: its buffer (empty when nothing differs) and what it touches, per table. */
    record Delta(String buffer, List<Touched> touched) {
        Delta {
            touched = List.copyOf(touched);
        }
    }

    /**
     * The transaction that turns {@code current} (the owned tables exactly as the kernel holds them, normalized) into
     * {@code desired} by touching only what differs: chains whose rules differ are flushed and refilled, set elements
     * are added and deleted, sets and named counters that appear or go are added or deleted; unchanged chains, sets
     * and counters (with their values) are left alone. Still one atomic batch.
     *
     * <p>Empty (use {@link #replace}, which flushes and refills) whenever the difference is not one of those: a table
     * to add or delete, anything unmodelled in a current table, chains added, removed or reordered, a chain's hook
     * changed, a set's type or flags changed.
     *
     * @param current the owned tables present now, by qualified name
     */
    static java.util.Optional<Delta> incremental(Map<String, NftTable> current, List<NftTable> desired, List<String> remove) {
        Set<String> seen = ownedOnce(desired);
        for (String r : remove) {
            splitQualifiedOwned(r);
            if (current.containsKey(r) || seen.contains(r)) {
                return java.util.Optional.empty();
            }
        }
        current.keySet().forEach(TransactionBuffer::splitQualifiedOwned);
        List<String> lines = new java.util.ArrayList<>();
        List<Touched> touched = new java.util.ArrayList<>();
        for (NftTable want : desired) {
            NftTable have = current.get(want.qualifiedName());
            if (have == null || !have.unmodelled().isEmpty()) {
                return java.util.Optional.empty();
            }
            List<String> haveNames = have.chains().stream().map(NftChain::name).toList();
            List<String> wantNames = want.chains().stream().map(NftChain::name).toList();
            if (!haveNames.equals(wantNames)) {
                return java.util.Optional.empty();
            }
            String family = want.family();
            List<NftChain> refill = new java.util.ArrayList<>();
            for (int i = 0; i < want.chains().size(); i++) {
                NftChain h = have.chains().get(i);
                NftChain w = want.chains().get(i);
                if (!h.hook().equals(w.hook())) {
                    return java.util.Optional.empty();
                }
                if (!h.rules().equals(w.rules())) {
                    refill.add(w);
                }
            }
            Map<String, NftSet> haveSets = new java.util.LinkedHashMap<>();
            have.sets().forEach(x -> haveSets.put(x.name(), x));
            Map<String, NftSet> wantSets = new java.util.LinkedHashMap<>();
            want.sets().forEach(x -> wantSets.put(x.name(), x));
            for (NftSet w : want.sets()) {
                NftSet h = haveSets.get(w.name());
                if (h != null && (!h.type().equals(w.type()) || !h.flags().equals(w.flags()))) {
                    return java.util.Optional.empty();
                }
            }
            List<String> changedSets = new java.util.ArrayList<>();
            // 1. flush the chains to refill: their rules may reference sets and counters that go
            for (NftChain c : refill) {
                lines.add(CanonicalJson.write(command("flush", "chain", named(family, c.name()))));
            }
            // 2. elements that go, from sets that stay; then sets that go
            for (NftSet w : want.sets()) {
                NftSet h = haveSets.get(w.name());
                if (h == null) {
                    continue;
                }
                Set<String> keep = new HashSet<>(w.elements());
                List<String> gone = h.elements().stream().filter(e -> !keep.contains(e)).toList();
                if (!gone.isEmpty()) {
                    lines.add(CanonicalJson.write(command("delete", "element", elements(family, w.name(), gone))));
                }
                if (!gone.isEmpty() || !h.elements().equals(w.elements())) {
                    changedSets.add(w.name());
                }
            }
            for (NftSet h : have.sets()) {
                if (!wantSets.containsKey(h.name())) {
                    lines.add(CanonicalJson.write(command("delete", "set", named(family, h.name()))));
                }
            }
            // 3. counters that go, counters that come
            Set<String> wantCounters = Set.copyOf(want.counters());
            Set<String> haveCounters = Set.copyOf(have.counters());
            have.counters().stream().filter(c -> !wantCounters.contains(c))
                    .forEach(c -> lines.add(CanonicalJson.write(command("delete", "counter", named(family, c)))));
            want.counters().stream().filter(c -> !haveCounters.contains(c))
                    .forEach(c -> lines.add(CanonicalJson.write(command("add", "counter", named(family, c)))));
            // 4. sets that come, elements that come
            for (NftSet w : want.sets()) {
                NftSet h = haveSets.get(w.name());
                if (h == null) {
                    lines.add(CanonicalJson.write(command("add", "set", set(family, w))));
                    changedSets.add(w.name());
                    continue;
                }
                Set<String> had = new HashSet<>(h.elements());
                List<String> come = w.elements().stream().filter(e -> !had.contains(e)).toList();
                if (!come.isEmpty()) {
                    lines.add(CanonicalJson.write(command("add", "element", elements(family, w.name(), come))));
                }
            }
            // 5. the refilled chains' rules, in order
            for (NftChain c : refill) {
                for (NftRule r : c.rules()) {
                    lines.add(CanonicalJson.write(command("add", "rule", rule(family, c.name(), r))));
                }
            }
            if (!refill.isEmpty() || !changedSets.isEmpty()) {
                touched.add(new Touched(family, refill.stream().map(NftChain::name).toList(), changedSets.stream().distinct().sorted().toList()));
            }
        }
        return java.util.Optional.of(new Delta(lines.isEmpty() ? "" : join(lines), touched));
    }

    /**
     * One command per line: the same JSON to libnftables, readable in golden files and debug output, and splittable
     * by {@link #commands} to locate a failing command.
     */
    static String join(List<String> commands) {
        StringBuilder out = new StringBuilder("{\"nftables\":[\n");
        for (int i = 0; i < commands.size(); i++) {
            out.append(commands.get(i)).append(i + 1 < commands.size() ? ",\n" : "\n");
        }
        return out.append("]}\n").toString();
    }

    /** The commands of a buffer made by {@link #join}, one compact JSON object each. */
    static List<String> commands(String buffer) {
        List<String> out = new java.util.ArrayList<>();
        for (String line : buffer.split("\n")) {
            if (line.startsWith("{\"") && !line.startsWith("{\"nftables\"")) {
                out.add(line.endsWith(",") ? line.substring(0, line.length() - 1) : line);
            }
        }
        return out;
    }

    static void requireOwned(String family, String name) {
        if (!OWNED_FAMILIES.contains(family) || !Firewall.OWNED_TABLE.equals(name)) {
            throw new IllegalArgumentException("qfence writes only tables " + String.join(", ", ownedNames())
                    + ", never " + family + " " + name);
        }
    }

    static List<String> ownedNames() {
        return OWNED_FAMILIES.stream().sorted().map(f -> f + " " + Firewall.OWNED_TABLE).toList();
    }

    private static String[] splitQualifiedOwned(String qualified) {
        String[] parts = splitQualified(qualified);
        requireOwned(parts[0], parts[1]);
        return parts;
    }

    static String[] splitQualified(String qualified) {
        String[] parts = qualified.split(" ");
        if (parts.length != 2) {
            throw new IllegalArgumentException("expected a table as 'family name', got '" + qualified + "'");
        }
        return parts;
    }

    private static ObjectNode command(String verb, String kind, ObjectNode object) {
        ObjectNode inner = NODES.objectNode();
        inner.set(kind, object);
        ObjectNode cmd = NODES.objectNode();
        cmd.set(verb, inner);
        return cmd;
    }

    private static ObjectNode table(String family) {
        ObjectNode o = NODES.objectNode();
        o.put("family", family);
        o.put("name", Firewall.OWNED_TABLE);
        return o;
    }

    private static ObjectNode inTable(String family) {
        ObjectNode o = NODES.objectNode();
        o.put("family", family);
        o.put("table", Firewall.OWNED_TABLE);
        return o;
    }

    private static ObjectNode named(String family, String name) {
        ObjectNode o = inTable(family);
        o.put("name", name);
        return o;
    }

    private static ObjectNode set(String family, NftSet s) {
        ObjectNode o = named(family, s.name());
        if (s.type().size() == 1) {
            o.put("type", s.type().get(0));
        } else {
            ArrayNode type = o.putArray("type");
            s.type().forEach(type::add);
        }
        if (!s.flags().isEmpty()) {
            ArrayNode flags = o.putArray("flags");
            s.flags().forEach(flags::add);
        }
        if (!s.elements().isEmpty()) {
            ArrayNode elem = o.putArray("elem");
            s.elements().forEach(e -> elem.add(CanonicalJson.parse(e)));
        }
        return o;
    }

    private static ObjectNode elements(String family, String set, List<String> elements) {
        ObjectNode o = named(family, set);
        ArrayNode elem = o.putArray("elem");
        elements.forEach(e -> elem.add(CanonicalJson.parse(e)));
        return o;
    }

    private static ObjectNode chain(String family, NftChain c) {
        ObjectNode o = named(family, c.name());
        c.hook().ifPresent(h -> {
            o.put("type", h.type());
            o.put("hook", h.hook());
            o.put("prio", h.priority());
            o.put("policy", h.policy());
        });
        return o;
    }

    private static ObjectNode rule(String family, String chain, NftRule r) {
        ObjectNode o = inTable(family);
        o.put("chain", chain);
        JsonNode expr = CanonicalJson.parse(r.expr());
        if (!expr.isArray() || expr.isEmpty()) {
            throw new IllegalArgumentException("rule in chain " + chain + ": expr must be a non-empty JSON array, got " + r.expr());
        }
        o.set("expr", expr);
        if (!r.comment().isEmpty()) {
            o.put("comment", r.comment());
        }
        return o;
    }
}
