package io.qfence.bench;

import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftTable;
import io.qfence.platform.nft.NftClient;
import io.qfence.platform.os.NetNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * qfence's realized firewall in nft's own text syntax, as the shell baselines need it. The text is not written by
 * hand: the realized tables go through qfence's own libnftables client into a scratch namespace, and {@code nft list
 * table} prints them back, so the baselines load exactly the ruleset qfence loads (checked again after each run by
 * comparing listings). Parsed into what a script needs: each table's counters, sets (definition and elements) and
 * chains (hook line and rules, in order).
 */
public record NftListing(List<Table> tables) {

    public record Table(String family, String text, List<String> counters, Map<String, Set> sets, Map<String, Chain> chains) {}

    /** @param kind {@code set} or {@code map}; {@code definition} the statements other than elements, e.g. {@code type ipv4_addr; flags interval} */
    public record Set(String kind, String name, String definition, List<String> elements) {}

    /** @param hook e.g. {@code type filter hook forward priority filter; policy accept;}, empty for regular chains */
    public record Chain(String name, String hook, List<String> rules) {}

    public static NftListing of(Firewall firewall) {
        try (ScratchNamespace scratch = ScratchNamespace.create("conv")) {
            NetNamespace ns = scratch.namespace();
            try (NftClient nft = NftClient.open(ns)) {
                nft.apply(firewall);
            }
            List<Table> tables = new ArrayList<>();
            for (NftTable t : firewall.tables()) {
                String text = run("nsenter", "--net=" + ns.path(), "nft", "list", "table", t.family(), t.name());
                Table parsed = parse(t.family(), text);
                check(t, parsed);
                tables.add(parsed);
            }
            return new NftListing(tables);
        }
    }

    /** The listing must have the realized tables' shape: same chains, same number of rules, same sets. */
    private static void check(NftTable realized, Table listed) {
        for (NftChain c : realized.chains()) {
            Chain l = listed.chains().get(c.name());
            if (l == null || l.rules().size() != c.rules().size()) {
                throw new IllegalStateException("nft listing of " + realized.qualifiedName() + " chain " + c.name() + " does not match the realization: "
                        + (l == null ? "missing" : l.rules().size() + " rules listed, " + c.rules().size() + " realized"));
            }
        }
        for (var s : realized.sets()) {
            Set l = listed.sets().get(s.name());
            if (l == null || l.elements().size() != s.elements().size()) {
                throw new IllegalStateException("nft listing of set " + s.name() + " does not match the realization");
            }
        }
        if (listed.chains().size() != realized.chains().size() || listed.sets().size() != realized.sets().size()
                || listed.counters().size() != realized.counters().size()) {
            throw new IllegalStateException("nft listing of " + realized.qualifiedName() + " has other objects than the realization");
        }
    }

    static Table parse(String family, String text) {
        List<String> counters = new ArrayList<>();
        Map<String, Set> sets = new LinkedHashMap<>();
        Map<String, Chain> chains = new LinkedHashMap<>();
        // Statements are one per line, except set elements, which nft spreads over lines until their brace closes.
        List<String> statements = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        int depth = 0;
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (pending.length() > 0) {
                pending.append(' ').append(line);
                depth += balance(line);
                if (depth <= 0) {
                    statements.add(pending.toString());
                    pending.setLength(0);
                }
            } else if (line.startsWith("elements = {") && balance(line) > 0) {
                pending.append(line);
                depth = balance(line);
            } else {
                statements.add(line);
            }
        }
        // Walk the statements as blocks: table { counter X { } set X { ... } chain X { ... } }
        String block = null;
        String blockName = null;
        String hook = "";
        String setKind = null;
        List<String> definition = new ArrayList<>();
        List<String> elements = new ArrayList<>();
        List<String> rules = new ArrayList<>();
        for (String s : statements) {
            if (s.startsWith("table ")) {
                continue;
            }
            if (block == null) {
                if (s.equals("}")) {
                    continue; // end of table
                }
                String[] w = s.split(" ");
                block = w[0];
                blockName = w[1];
                hook = "";
                definition = new ArrayList<>();
                elements = new ArrayList<>();
                rules = new ArrayList<>();
                setKind = block;
                continue;
            }
            if (s.equals("}")) {
                switch (block) {
                    case "counter" -> counters.add(blockName);
                    case "set", "map" -> sets.put(blockName, new Set(setKind, blockName, String.join("; ", definition), elements));
                    case "chain" -> chains.put(blockName, new Chain(blockName, hook, rules));
                    default -> throw new IllegalStateException("unexpected nft block " + block);
                }
                block = null;
                continue;
            }
            switch (block) {
                case "counter" -> { } // packets 0 bytes 0
                case "set", "map" -> {
                    if (s.startsWith("elements = {")) {
                        elements.addAll(splitElements(s.substring("elements = {".length(), s.lastIndexOf('}'))));
                    } else {
                        definition.add(s);
                    }
                }
                case "chain" -> {
                    if (s.startsWith("type ") && rules.isEmpty() && hook.isEmpty()) {
                        hook = s;
                    } else {
                        rules.add(s);
                    }
                }
                default -> throw new IllegalStateException("unexpected nft block " + block);
            }
        }
        return new Table(family, text, counters, sets, chains);
    }

    private static int balance(String line) {
        int d = 0;
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '{') {
                d++;
            } else if (!quoted && c == '}') {
                d--;
            }
        }
        return d;
    }

    /** Top-level comma-separated elements (commas inside quotes or braces belong to the element). */
    static List<String> splitElements(String body) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        for (char c : body.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '{') {
                depth++;
            } else if (!quoted && c == '}') {
                depth--;
            }
            if (c == ',' && depth == 0 && !quoted) {
                out.add(cur.toString().strip());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().strip());
        }
        return out;
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
