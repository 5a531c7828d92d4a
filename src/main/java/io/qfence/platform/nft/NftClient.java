package io.qfence.platform.nft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.platform.os.NetNamespace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * qfence's firewall through libnftables: observe its own tables as normalized {@link NftTable}s, and replace them in
 * one atomic transaction. It never writes a table other than {@code inet qfence} and {@code bridge qfence}; of other
 * tables it reads only the names.
 *
 * <p>A client serves one network namespace, and every libnftables call runs on that {@link NetNamespace}'s thread:
 * the context's netfilter socket belongs to the namespace it was opened in. Production uses
 * {@link #inCurrentNamespace()} (the host's own namespace). Methods are synchronized: one libnftables context is not
 * thread-safe.
 */
public final class NftClient implements AutoCloseable {

    /** Runs work where the client's netfilter socket lives. */
    private interface NamespaceCalls {
        <T> T call(Callable<T> work);
    }

    private final NamespaceCalls confinement;
    private final NftContext context;
    private final NftNetlink generation;
    /**
     * The owned tables as the kernel holds them at a ruleset generation, as far as this client knows: from a listing
     * with the same generation before and after it, or from its own incremental transaction, committed alone (the
     * generation moved by one) and verified by listing what it touched. Null when unknown. Never trusted unless the
     * kernel's generation still equals {@link Known#generation}.
     */
    private Known known;

    private record Known(long generation, Map<String, NftTable> tables) {}

    /** The last consistent full listing (the same generation before and after it). */
    private Listed listed;

    private record Listed(long generation, FirewallObservation observation) {}
    /** The namespace handle this client made for itself ({@link #inCurrentNamespace}), closed with it. */
    private final NetNamespace owned;

    private NftClient(NetNamespace namespace, boolean owned) {
        this.confinement = new NamespaceCalls() {
            @Override
            public <T> T call(Callable<T> work) {
                return namespace.call(work);
            }
        };
        this.owned = owned ? namespace : null;
        this.context = confinement.call(NftContext::open);
        try {
            this.generation = confinement.call(NftNetlink::open);
        } catch (RuntimeException e) {
            confinement.call(() -> {
                context.close();
                return null;
            });
            throw e;
        }
    }

    /**
     * A client whose every libnftables call runs on {@code namespace}'s thread.
     *
     * @throws io.qfence.model.errors.HostPortException (port {@code host}) when libnftables or its netlink socket
     *                                                   cannot be opened there
     */
    public static NftClient open(NetNamespace namespace) {
        return FirewallPortEdge.call(io.qfence.model.errors.HostPortException.Port.HOST, "network namespace " + namespace.name(),
                () -> new NftClient(namespace, false));
    }

    /**
     * A client for the network namespace of the calling thread (the host's, in production), with a thread of its own
     * there ({@link NetNamespace#current()}), closed with the client.
     */
    public static NftClient inCurrentNamespace() {
        NetNamespace here = NetNamespace.current();
        try {
            return new NftClient(here, true);
        } catch (RuntimeException e) {
            here.close();
            throw e;
        }
    }

    /** Every table in the namespace as {@code family name}, in nft's listing order. Reads names only. */
    public synchronized List<String> listTableNames() {
        return confinement.call(this::tableNames);
    }

    /** {@code family qfence} normalized, with its counters, or empty if the table does not exist. */
    public synchronized Optional<ObservedTable> observe(String family) {
        TransactionBuffer.requireOwned(family, Firewall.OWNED_TABLE);
        return confinement.call(() -> listing(family).map(l -> Normalizer.normalize(l, family, Firewall.OWNED_TABLE)));
    }

    /** The normalized table, or empty if it does not exist. Only qfence's own tables can be listed. */
    public Optional<NftTable> list(String family, String name) {
        TransactionBuffer.requireOwned(family, name);
        return observe(family).map(ObservedTable::table);
    }

    /** The values of the named counters in {@code family name}; empty if the table does not exist. */
    public List<CounterSample> counters(String family, String name) {
        TransactionBuffer.requireOwned(family, name);
        return observe(family).map(ObservedTable::counters).orElse(List.of());
    }

    /**
     * Both owned tables, their counters, anything unmodelled in them, and the names of all other tables.
     *
     * <p>From one {@code list ruleset}, split by table: nft 1.0.6 fetches every set and its elements even for
     * {@code list tables}, so listing the names first and then each owned table fetched the cache three times
     * (at 1000 VMs: 0.55 to 0.75 s against 0.3 to 0.5 s for the one listing, with the nft CLI).
     */
    public synchronized FirewallObservation observeFirewall() {
        return confinement.call(() -> {
            long before = generation.current();
            if (listed != null && listed.generation() == before) {
                // nothing committed since the last listing: the tables are as listed; only counters move without a commit
                List<CounterSample> counters = new ArrayList<>();
                for (NftTable t : listed.observation().firewall().map(Firewall::tables).orElse(List.of())) {
                    counters.addAll(counterValues(t.family()));
                }
                if (generation.current() == before) {
                    FirewallObservation o = listed.observation();
                    return new FirewallObservation(o.firewall(), counters, o.unmodelled(), o.foreignTables());
                }
            }
            JsonNode ruleset = CanonicalJson.parse(context.run("list ruleset", "{\"nftables\":[{\"list\":{\"ruleset\":null}}]}", false));
            long after = generation.current();
            Map<String, ArrayNode> byTable = byTable(ruleset);
            List<NftTable> tables = new ArrayList<>();
            List<CounterSample> counters = new ArrayList<>();
            List<String> unmodelled = new ArrayList<>();
            Map<String, NftTable> byName = new LinkedHashMap<>();
            for (String family : TransactionBuffer.OWNED_FAMILIES.stream().sorted().toList()) {
                ArrayNode items = byTable.get(family + " " + Firewall.OWNED_TABLE);
                if (items == null) {
                    continue;
                }
                ObjectNode listing = JsonNodeFactory.instance.objectNode();
                listing.set("nftables", items);
                ObservedTable t = Normalizer.normalize(listing, family, Firewall.OWNED_TABLE);
                tables.add(t.table());
                byName.put(t.table().qualifiedName(), t.table());
                counters.addAll(t.counters());
                t.unmodelled().forEach(u -> unmodelled.add(family + " " + Firewall.OWNED_TABLE + ": " + u));
            }
            known = before == after ? new Known(after, byName) : null;
            List<String> foreign = byTable.keySet().stream().filter(n -> !TransactionBuffer.ownedNames().contains(n)).toList();
            FirewallObservation o = new FirewallObservation(tables.isEmpty() ? Optional.empty() : Optional.of(Firewall.of(tables)),
                    counters, unmodelled, foreign);
            listed = before == after ? new Listed(after, o) : null;
            return o;
        });
    }

    /**
     * The owned tables as they are now, for a post-condition: what this client knows them to be if the kernel's
     * ruleset generation proves that nothing committed since it listed them or since its own verified transaction
     * (see {@link #replace}); otherwise listed, as {@link #observeFirewall} does. Counters are not read.
     */
    public synchronized Optional<Firewall> currentTables() {
        Optional<Optional<Firewall>> cached = confinement.call(() -> {
            if (known != null && generation.current() == known.generation()) {
                return Optional.of(known.tables().isEmpty() ? Optional.<Firewall>empty() : Optional.of(Firewall.of(List.copyOf(known.tables().values()))));
            }
            return Optional.<Optional<Firewall>>empty();
        });
        return cached.orElseGet(() -> observeFirewall().firewall());
    }

    /** Whether the client would now take the incremental path (tests). */
    synchronized boolean knowsCurrentTables() {
        return confinement.call(() -> known != null && generation.current() == known.generation());
    }

    /** The named counters of {@code family qfence} with their values, sorted by name (as a table listing gives them). */
    private List<CounterSample> counterValues(String family) {
        // straight from the kernel: libnftables' 'list counters' fetches the table's sets and rules as well
        List<CounterSample> samples = new ArrayList<>();
        for (NftNetlink.Counter c : generation.counters(family, Firewall.OWNED_TABLE)) {
            samples.add(new CounterSample(family + " " + Firewall.OWNED_TABLE, c.name(), c.packets(), c.bytes()));
        }
        samples.sort(java.util.Comparator.comparing(CounterSample::counter));
        return samples;
    }

    /** A ruleset listing's items by table ({@code family name}), in listing order; the metainfo is left out. */
    static Map<String, ArrayNode> byTable(JsonNode ruleset) {
        Map<String, ArrayNode> out = new LinkedHashMap<>();
        for (JsonNode item : Normalizer.items(ruleset)) {
            String kind = item.fieldNames().next();
            if (kind.equals("metainfo")) {
                continue;
            }
            JsonNode o = item.get(kind);
            String table = o.path("family").asText() + " " + (kind.equals("table") ? o.path("name") : o.path("table")).asText();
            out.computeIfAbsent(table, t -> JsonNodeFactory.instance.arrayNode()).add(item);
        }
        return out;
    }

    /**
     * Replaces {@code desired} tables (each made exactly as given, existing named counters keeping their values) and
     * deletes the owned tables in {@code ownedTablesToRemove} that exist, in <b>one</b> {@code nft_run_cmd_from_buffer}
     * call: one netlink batch that the kernel commits whole or rejects whole. On failure the previous ruleset stays in
     * place, untouched, and an {@link NftException} says why.
     *
     * @param ownedTablesToRemove qualified names, e.g. {@code bridge qfence}
     */
    public synchronized void replace(List<NftTable> desired, List<String> ownedTablesToRemove) {
        confinement.call(() -> {
            long before = generation.current();
            Known was = known;
            known = null;
            Optional<TransactionBuffer.Delta> delta = was != null && was.generation() == before
                    ? TransactionBuffer.incremental(was.tables(), desired, ownedTablesToRemove) : Optional.empty();
            if (delta.isPresent() && delta.get().buffer().isEmpty()) {
                known = was;
                return null;
            }
            if (delta.isPresent()) {
                try {
                    context.run("update " + describe(desired, ownedTablesToRemove), delta.get().buffer(), false);
                    known = verifiedAfter(before, was, desired, delta.get());
                    return null;
                } catch (NftException e) {
                    // unexpected (the batch is all-or-nothing, so nothing changed): fall back to flush and refill
                }
            }
            String buffer = buffer(desired, ownedTablesToRemove);
            if (!buffer.isEmpty()) {
                runLocated("replace " + describe(desired, ownedTablesToRemove), buffer, false);
            }
            return null;
        });
    }

    /**
     * After an incremental transaction from generation {@code before}: if it committed alone (the generation moved by
     * exactly one) and every chain and set it touched lists back as desired, the tables are now exactly {@code was}
     * with {@code desired} in place (untouched parts are unchanged by the generation's proof). Otherwise null, so the
     * next post-condition lists the whole tables.
     */
    private Known verifiedAfter(long before, Known was, List<NftTable> desired, TransactionBuffer.Delta delta) {
        long after = generation.current();
        if (after != ((before + 1) & 0xffffffffL)) {
            return null;
        }
        Map<String, NftTable> want = new LinkedHashMap<>();
        desired.forEach(t -> want.put(t.qualifiedName(), t));
        for (TransactionBuffer.Touched t : delta.touched()) {
            NftTable desiredTable = want.get(t.family() + " " + Firewall.OWNED_TABLE);
            NftTable listed = listParts(t.family(), t.chains(), t.sets());
            if (!listed.unmodelled().isEmpty()) {
                return null;
            }
            for (String chain : t.chains()) {
                if (!find(listed.chains(), chain).equals(find(desiredTable.chains(), chain))) {
                    return null;
                }
            }
            for (String set : t.sets()) {
                Optional<NftSet> listedSet = listed.sets().stream().filter(x -> x.name().equals(set)).findFirst();
                if (!listedSet.equals(desiredTable.sets().stream().filter(x -> x.name().equals(set)).findFirst())) {
                    return null;
                }
            }
        }
        if (generation.current() != after) {
            return null;
        }
        Map<String, NftTable> tables = new LinkedHashMap<>(was.tables());
        tables.putAll(want);
        return new Known(after, tables);
    }

    private static Optional<NftChain> find(List<NftChain> chains, String name) {
        return chains.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Lists only the given chains and sets of {@code family qfence} (nft fetches only what they need), normalized. */
    private NftTable listParts(String family, List<String> chains, List<String> sets) {
        ArrayNode items = JsonNodeFactory.instance.arrayNode();
        ObjectNode table = items.addObject().putObject("table");
        table.put("family", family);
        table.put("name", Firewall.OWNED_TABLE);
        for (String chain : chains) {
            addItems(items, "chain", family, chain);
        }
        for (String set : sets) {
            addItems(items, "set", family, set);
        }
        ObjectNode listing = JsonNodeFactory.instance.objectNode();
        listing.set("nftables", items);
        return Normalizer.normalize(listing, family, Firewall.OWNED_TABLE).table();
    }

    private void addItems(ArrayNode into, String kind, String family, String name) {
        ObjectNode command = JsonNodeFactory.instance.objectNode();
        ObjectNode what = command.putArray("nftables").addObject().putObject("list").putObject(kind);
        what.put("family", family);
        what.put("table", Firewall.OWNED_TABLE);
        what.put("name", name);
        JsonNode out = CanonicalJson.parse(context.run("list " + kind + " " + family + " " + Firewall.OWNED_TABLE + " " + name,
                CanonicalJson.write(command), false));
        for (JsonNode item : Normalizer.items(out)) {
            if (!item.has("metainfo")) {
                into.add(item);
            }
        }
    }

    /** Makes the host's owned tables exactly {@code desired}: its tables replaced, the other owned tables deleted. */
    public void apply(Firewall desired) {
        List<String> keep = desired.tables().stream().map(NftTable::qualifiedName).toList();
        replace(desired.tables(), TransactionBuffer.ownedNames().stream().filter(n -> !keep.contains(n)).toList());
    }

    /** Runs the transaction {@link #replace} would run, as a dry run: the kernel checks it, nothing is committed. */
    public synchronized void check(List<NftTable> desired, List<String> ownedTablesToRemove) {
        confinement.call(() -> {
            String buffer = buffer(desired, ownedTablesToRemove);
            if (!buffer.isEmpty()) {
                runLocated("check " + describe(desired, ownedTablesToRemove), buffer, true);
            }
            return null;
        });
    }

    /**
     * Whether this kernel accepts {@code family qfence}: a dry run of adding it (a no-op if it exists), which needs no
     * listing of what is there.
     */
    public synchronized boolean supportsFamily(String family) {
        TransactionBuffer.requireOwned(family, Firewall.OWNED_TABLE);
        return confinement.call(() -> {
            try {
                context.run("check family " + family, "{\"nftables\":[{\"add\":{\"table\":{\"family\":\"" + family
                        + "\",\"name\":\"" + Firewall.OWNED_TABLE + "\"}}}]}", true);
                return true;
            } catch (NftException e) {
                return false;
            }
        });
    }

    public void check(List<NftTable> desired) {
        check(desired, List.of());
    }

    /** The buffer {@link #replace} would run now (for debugging and tests); it reads the current inventory. */
    synchronized String transactionFor(List<NftTable> desired, List<String> ownedTablesToRemove) {
        return confinement.call(() -> buffer(desired, ownedTablesToRemove));
    }

    /** Runs a buffer as is, e.g. to prove that a failing transaction changes nothing. Tests only. */
    synchronized void runRaw(String operation, String buffer) {
        confinement.call(() -> context.run(operation, buffer, false));
    }

    @Override
    public synchronized void close() {
        try {
            confinement.call(() -> {
                try {
                    generation.close();
                } finally {
                    context.close();
                }
                return null;
            });
        } finally {
            if (owned != null) {
                owned.close();
            }
        }
    }

    // --- on the confinement thread only ---

    /**
     * Runs a transaction buffer; if it fails, finds the command that makes it fail. libnftables reports JSON input
     * errors without a position ("internal:0:0-0: Error: No such file or directory"), which says nothing about which
     * of a thousand rules is wrong. So on failure the client dry-runs prefixes of the buffer (one command per line,
     * see {@link TransactionBuffer}) and bisects to the first command whose prefix fails: log2(n) more dry runs, only
     * on the error path, and none of them commits anything.
     */
    private void runLocated(String operation, String buffer, boolean dryRun) {
        try {
            context.run(operation, buffer, dryRun);
        } catch (NftException e) {
            List<String> commands = TransactionBuffer.commands(buffer);
            int culprit = firstFailing(commands);
            if (culprit < 0) {
                throw e;
            }
            throw new NftException(operation, e.nftMessage() + "\n  in command " + (culprit + 1) + " of " + commands.size()
                    + ": " + commands.get(culprit));
        }
    }

    /** The index of the first command whose prefix fails as a dry run, or -1 if no proper prefix fails. */
    private int firstFailing(List<String> commands) {
        int lo = 1;
        int hi = commands.size();
        // invariant: the prefix of length hi fails (the whole buffer did); find the shortest failing prefix
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (prefixFails(commands, mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return prefixFails(commands, hi) ? hi - 1 : -1;
    }

    private boolean prefixFails(List<String> commands, int length) {
        try {
            context.run("locate failing command", TransactionBuffer.join(commands.subList(0, length)), true);
            return false;
        } catch (NftException e) {
            return true;
        }
    }

    private String buffer(List<NftTable> desired, List<String> remove) {
        List<String> names = tableNames();
        Map<String, List<TransactionBuffer.ObjectRef>> existing = new LinkedHashMap<>();
        for (String owned : TransactionBuffer.ownedNames()) {
            if (names.contains(owned)) {
                listing(TransactionBuffer.splitQualified(owned)[0]).ifPresent(l -> existing.put(owned, Normalizer.inventory(l)));
            }
        }
        return TransactionBuffer.replace(desired, existing, remove);
    }

    private List<String> tableNames() {
        JsonNode out = CanonicalJson.parse(context.run("list tables", "{\"nftables\":[{\"list\":{\"tables\":null}}]}", false));
        List<String> names = new ArrayList<>();
        for (JsonNode item : Normalizer.items(out)) {
            JsonNode t = item.get("table");
            if (t != null) {
                names.add(t.path("family").asText() + " " + t.path("name").asText());
            }
        }
        return names;
    }

    private Optional<JsonNode> listing(String family) {
        String command = "{\"nftables\":[{\"list\":{\"table\":{\"family\":\"" + family + "\",\"name\":\"" + Firewall.OWNED_TABLE + "\"}}}]}";
        try {
            return Optional.of(CanonicalJson.parse(context.run("list table " + family + " " + Firewall.OWNED_TABLE, command, false)));
        } catch (NftException e) {
            if (!tableNames().contains(family + " " + Firewall.OWNED_TABLE)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static String describe(List<NftTable> desired, List<String> remove) {
        List<String> parts = new ArrayList<>(desired.stream().map(NftTable::qualifiedName).toList());
        remove.forEach(r -> parts.add("-" + r));
        return String.join(", ", parts);
    }
}
