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

    /**
     * @param desired  the tables to hold after the transaction, complete
     * @param existing for each owned table present now (by qualified name, e.g. {@code inet qfence}), its objects
     * @param remove   owned tables to delete if present (qualified names)
     * @return the buffer, or the empty string when there is nothing to do
     */
    static String replace(List<NftTable> desired, Map<String, List<ObjectRef>> existing, List<String> remove) {
        Set<String> seen = new HashSet<>();
        for (NftTable t : desired) {
            requireOwned(t.family(), t.name());
            if (!seen.add(t.qualifiedName())) {
                throw new IllegalArgumentException("table " + t.qualifiedName() + " is desired twice");
            }
        }
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
