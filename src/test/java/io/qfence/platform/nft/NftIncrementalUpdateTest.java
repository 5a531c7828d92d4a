package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A change to tables the client knows (listed at the kernel's current ruleset generation) is one transaction that
 * touches only what differs; anything unexpected falls back to flush and refill. The nft CLI is the witness: rule
 * handles show which rules a transaction re-created.
 */
@RequiresHost(tools = {"nft", "ip"})
class NftIncrementalUpdateTest {

    private NftTestNamespace ns;
    private NftClient client;

    @BeforeEach
    void openNamespace() {
        ns = NftTestNamespace.create();
        client = NftClient.open(ns.ns);
    }

    @AfterEach
    void removeNamespace() {
        try {
            client.close();
        } finally {
            ns.close();
        }
    }

    @Test
    void theGenerationMovesByOnePerCommittedTransactionAndNotForListingsOrDryRuns() {
        try (NftNetlink generation = ns.ns.call(NftNetlink::open)) {
            long g0 = ns.ns.call(generation::current);
            client.replace(Rulesets.small(), List.of());
            long g1 = ns.ns.call(generation::current);
            client.observeFirewall();
            client.check(Rulesets.small());
            ns.nft("list", "ruleset");
            long g2 = ns.ns.call(generation::current);
            ns.nft("add", "table", "ip", "other");

            assertThat(g1).isEqualTo(g0 + 1);
            assertThat(g2).isEqualTo(g1);
            assertThat(ns.ns.call(generation::current)).isEqualTo(g2 + 1);
        }
    }

    @Test
    void namedCountersAreReadStraightFromTheKernelPerTableWithTheirValues() {
        ns.nftScript("add table inet qfence\n"
                + "add counter inet qfence b { packets 5 bytes 300 }\n"
                + "add counter inet qfence a { packets 7 bytes 4096 }\n"
                + "add quota inet qfence q { 1000 bytes }\n"
                + "add table inet other\n"
                + "add counter inet other a { packets 1 bytes 1 }\n"
                + "add table bridge qfence\n"
                + "add counter bridge qfence spoof { packets 9 bytes 900 }\n");
        try (NftNetlink netlink = ns.ns.call(NftNetlink::open)) {
            assertThat(ns.ns.call(() -> netlink.counters("inet", "qfence"))).containsExactlyInAnyOrder(
                    new NftNetlink.Counter("a", 7, 4096), new NftNetlink.Counter("b", 5, 300));
            assertThat(ns.ns.call(() -> netlink.counters("bridge", "qfence"))).containsExactly(new NftNetlink.Counter("spoof", 9, 900));
            assertThat(ns.ns.call(() -> netlink.counters("bridge", "missing"))).isEmpty();
        }
    }

    @Test
    void aChangeToKnownTablesRecreatesOnlyTheChangedChainAndKeepsEveryOtherRuleAndCounter() {
        client.replace(Rulesets.small(), List.of());
        client.observeFirewall();
        Map<String, Long> before = handles();
        List<NftTable> changed = List.of(changedInet(), Rulesets.small().get(1));

        client.replace(changed, List.of());

        assertThat(witnessTable("inet")).isEqualTo(changed.get(0));
        assertThat(witnessTable("bridge")).isEqualTo(changed.get(1));
        Map<String, Long> after = handles();
        // the unchanged chains keep their rules (same handles): not flushed and refilled
        assertThat(after).containsEntry("bridge forward qf:spoof:a", before.get("bridge forward qf:spoof:a"));
        assertThat(after).containsEntry("inet web ", before.get("inet web "));
        // the changed chain was refilled
        assertThat(after.get("inet forward qf:base")).isNotEqualTo(before.get("inet forward qf:base"));
        assertThat(counterNames("inet")).containsExactly("drop_forward", "drop_new");
        // and the client knows the result without listing it again, proven by the generation
        assertThat(client.knowsCurrentTables()).isTrue();
        assertThat(client.currentTables()).contains(Firewall.of(changed));
    }

    @Test
    void aForeignCommitSinceTheListingFallsBackToFlushAndRefillAndStillEndsExactlyAsDesired() {
        client.replace(Rulesets.small(), List.of());
        client.observeFirewall();
        // a hand edit in an owned chain the change does not touch: only a full refill removes it
        ns.nft("add", "rule", "inet", "qfence", "web", "counter");
        Map<String, Long> before = handles();
        List<NftTable> changed = List.of(changedInet(), Rulesets.small().get(1));

        assertThat(client.knowsCurrentTables()).isFalse();
        client.replace(changed, List.of());

        assertThat(witnessTable("inet")).isEqualTo(changed.get(0));
        assertThat(handles().get("bridge forward qf:spoof:a")).isNotEqualTo(before.get("bridge forward qf:spoof:a"));
        assertThat(client.currentTables()).contains(Firewall.of(changed));
    }

    @Test
    void aChangeTheKernelRejectsLeavesTheTablesAsTheyWere() {
        client.replace(Rulesets.small(), List.of());
        client.observeFirewall();
        String before = ns.nft("list", "ruleset");
        NftTable inet = Rulesets.small().get(0);
        NftTable broken = withForwardRules(inet, Rulesets.rule("[{\"jump\":{\"target\":\"no_such_chain\"}}]", ""));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.replace(List.of(broken, Rulesets.small().get(1)), List.of()))
                .isInstanceOf(NftException.class);

        assertThat(ns.nft("list", "ruleset")).isEqualTo(before);
        assertThat(client.currentTables()).contains(Firewall.of(Rulesets.small()));
    }

    @Test
    void observingWithoutACommitSinceReportsTheListedTablesWithFreshCounterValues() {
        client.replace(Rulesets.small(), List.of());
        ns.nftScript("add counter inet qfence extra { packets 5 bytes 300 }\n");
        FirewallObservation first = client.observeFirewall();
        try (NftNetlink generation = ns.ns.call(NftNetlink::open)) {
            long g = ns.ns.call(generation::current);
            ns.nft("reset", "counter", "inet", "qfence", "extra");
            assertThat(ns.ns.call(generation::current)).as("a counter reset commits nothing").isEqualTo(g);
        }

        FirewallObservation second = client.observeFirewall();

        assertThat(first.counters()).contains(new io.qfence.model.host.CounterSample("inet qfence", "extra", 5, 300));
        assertThat(second.counters()).contains(new io.qfence.model.host.CounterSample("inet qfence", "extra", 0, 0));
        assertThat(second.counters()).hasSameSizeAs(first.counters());
        assertThat(second.firewall()).isEqualTo(first.firewall());
        assertThat(second.foreignTables()).isEqualTo(first.foreignTables());
    }

    @Test
    void aCommitSinceTheLastObservationIsSeenByTheNext() {
        client.replace(Rulesets.small(), List.of());
        client.observeFirewall();
        ns.nft("add", "rule", "inet", "qfence", "web", "counter");
        ns.nft("add", "table", "ip", "other");

        FirewallObservation o = client.observeFirewall();

        assertThat(o.firewall().orElseThrow().tables().get(1).chains().get(1).rules()).hasSize(2);
        assertThat(o.foreignTables()).containsExactly("ip other");
    }

    // --- a change: one more rule in forward, a set element added and one removed, a new counter ---

    private static NftTable changedInet() {
        NftTable inet = Rulesets.small().get(0);
        NftTable withRule = withForwardRules(inet, Rulesets.rule("[{\"counter\":\"drop_new\"},{\"drop\":null}]", "qf:new"));
        NftSet ports = inet.sets().get(0);
        NftSet changedPorts = new NftSet(ports.name(), ports.type(), ports.flags(), List.of("443", "{\"range\":[8000,8080]}"));
        return new NftTable("inet", "qfence", withRule.chains(), List.of(changedPorts), List.of("drop_forward", "drop_new"));
    }

    private static NftTable withForwardRules(NftTable t, NftRule extra) {
        List<NftChain> chains = new ArrayList<>();
        for (NftChain c : t.chains()) {
            if (c.name().equals("forward")) {
                List<NftRule> rules = new ArrayList<>(c.rules());
                rules.add(rules.size() - 1, extra);
                chains.add(new NftChain(c.name(), c.hook(), rules));
            } else {
                chains.add(c);
            }
        }
        return new NftTable(t.family(), t.name(), chains, t.sets(), t.counters());
    }

    // --- the witness ---

    /** Every rule's handle by "family chain comment". */
    private Map<String, Long> handles() {
        Map<String, Long> out = new TreeMap<>();
        for (JsonNode item : CanonicalJson.parse(ns.ruleset()).get("nftables")) {
            JsonNode r = item.get("rule");
            if (r != null) {
                out.put(r.path("family").asText() + " " + r.path("chain").asText() + " " + r.path("comment").asText(""), r.path("handle").asLong());
            }
        }
        return out;
    }

    private List<String> counterNames(String family) {
        List<String> out = new ArrayList<>();
        for (JsonNode item : CanonicalJson.parse(ns.ruleset()).get("nftables")) {
            JsonNode c = item.get("counter");
            if (c != null && family.equals(c.path("family").asText())) {
                out.add(c.path("name").asText());
            }
        }
        return out.stream().sorted().toList();
    }

    private NftTable witnessTable(String family) {
        JsonNode ruleset = CanonicalJson.parse(ns.ruleset());
        var items = CanonicalJson.MAPPER.createArrayNode();
        ruleset.get("nftables").forEach(item -> {
            String kind = item.fieldNames().next();
            JsonNode o = item.get(kind);
            boolean ours = kind.equals("table") ? family.equals(o.path("family").asText()) && "qfence".equals(o.path("name").asText())
                    : family.equals(o.path("family").asText()) && "qfence".equals(o.path("table").asText());
            if (ours) {
                items.add(item);
            }
        });
        var doc = CanonicalJson.MAPPER.createObjectNode();
        doc.set("nftables", items);
        return Normalizer.normalize(doc, family, "qfence").table();
    }
}
