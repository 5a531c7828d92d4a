package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against the real kernel, each test in its own network namespace, with {@code nft -j list ruleset}
 * (the CLI, which shares no code with the client) as the witness.
 */
@RequiresHost(tools = {"nft", "ip"})
class NftClientTest {

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
    void aReplacedRulesetListsBackAsExactlyTheDesiredNormalizedTables() {
        client.replace(Rulesets.small(), List.of());

        assertThat(client.list("inet", "qfence")).contains(Rulesets.small().get(0));
        assertThat(client.list("bridge", "qfence")).contains(Rulesets.small().get(1));
        // the witness sees the same tables
        assertThat(witnessTable("inet")).isEqualTo(Rulesets.small().get(0));
        assertThat(witnessTable("bridge")).isEqualTo(Rulesets.small().get(1));
    }

    @Test
    void replacingTwiceLeavesOneCopyOfEveryRuleSetAndCounter() {
        client.replace(Rulesets.small(), List.of());
        Optional<ObservedTable> first = client.observe("inet");
        client.replace(Rulesets.small(), List.of());

        assertThat(client.observe("inet")).isEqualTo(first);
        JsonNode ruleset = CanonicalJson.parse(ns.ruleset());
        assertThat(count(ruleset, "rule", "inet")).isEqualTo(4);
        assertThat(count(ruleset, "set", "inet")).isEqualTo(1);
        assertThat(count(ruleset, "counter", "inet")).isEqualTo(1);
        assertThat(count(ruleset, "chain", "inet")).isEqualTo(2);
        assertThat(count(ruleset, "rule", "bridge")).isEqualTo(1);
        assertThat(count(ruleset, "table", "inet") + count(ruleset, "table", "bridge")).isEqualTo(2);
    }

    @Test
    void handEditsShowAsDriftExactlyWhereTheyWereMade() {
        client.replace(Rulesets.small(), List.of());
        NftTable desired = Rulesets.small().get(0);
        long established = handleOf("forward", "qf:base");
        long exception = handleOf("forward", "qf:exception:web:1");

        ns.nft("replace", "rule", "inet", "qfence", "forward", "handle", Long.toString(established), "ct", "state", "established", "accept", "comment", "\"qf:base\"");
        ns.nft("delete", "rule", "inet", "qfence", "forward", "handle", Long.toString(exception));
        ns.nft("add", "rule", "inet", "qfence", "web", "ip", "saddr", "192.0.2.66", "accept");

        NftTable observed = client.list("inet", "qfence").orElseThrow();
        List<NftRule> forward = chain(observed, "forward").rules();
        List<NftRule> desiredForward = chain(desired, "forward").rules();
        assertThat(forward).hasSize(2);
        assertThat(forward.get(0).expr()).isEqualTo("[{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":\"established\"}},{\"accept\":null}]");
        assertThat(forward.get(0).comment()).isEqualTo("qf:base");
        assertThat(forward.get(1)).isEqualTo(desiredForward.get(2));
        assertThat(chain(observed, "web").rules()).containsExactly(chain(desired, "web").rules().get(0),
                Rulesets.rule("[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"192.0.2.66\"}},{\"accept\":null}]", ""));
        assertThat(observed.sets()).isEqualTo(desired.sets());
        assertThat(observed.counters()).isEqualTo(desired.counters());

        client.replace(Rulesets.small(), List.of());
        assertThat(client.list("inet", "qfence")).contains(desired);
    }

    @Test
    void aForeignTableAndALookAlikeTableAreNeverTouched() {
        ns.nftScript("""
                table inet other {
                  counter seen { }
                  chain input {
                    type filter hook input priority 10; policy accept;
                    tcp dport 22 counter name "seen" accept
                  }
                }
                table ip qfence {
                  chain c {
                    ip saddr 10.9.9.9 drop
                  }
                }
                """);
        JsonNode before = CanonicalJson.parse(ns.ruleset());

        client.replace(Rulesets.small(), List.of());
        client.replace(List.of(Rulesets.small().get(0)), List.of("bridge qfence"));
        client.apply(Firewall.of(List.of()));

        JsonNode after = CanonicalJson.parse(ns.ruleset());
        assertThat(tableItems(after, "inet", "other")).isEqualTo(tableItems(before, "inet", "other")).isNotEmpty();
        assertThat(tableItems(after, "ip", "qfence")).isEqualTo(tableItems(before, "ip", "qfence")).isNotEmpty();
        assertThat(tableItems(after, "inet", "qfence")).isEmpty();
        assertThat(client.listTableNames()).containsExactly("inet other", "ip qfence");
        assertThat(client.observeFirewall().foreignTables()).containsExactly("inet other", "ip qfence");
        assertThatThrownBy(() -> client.list("inet", "other")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.replace(List.of(new NftTable("ip", "qfence", List.of(), List.of(), List.of())), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailingTransactionLeavesThePreviousRulesetExactlyInPlace() {
        client.replace(Rulesets.small(), List.of());
        String before = ns.ruleset();

        // Every part of this transaction is valid except the last rule, which looks up a set that does not exist.
        NftTable broken = withExtraRule(Rulesets.small().get(0), "forward",
                "[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"@missing\"}},{\"drop\":null}]");
        NftTable otherwiseNew = new NftTable("bridge", "qfence", List.of(Rulesets.regular("spare")), List.of(), List.of());
        assertThatThrownBy(() -> client.replace(List.of(broken, otherwiseNew), List.of()))
                .isInstanceOfSatisfying(NftException.class, e -> {
                    assertThat(e.operation()).isEqualTo("replace inet qfence, bridge qfence");
                    // nft's own message has no position; the client names the command that fails
                    assertThat(e.nftMessage()).contains("No such file or directory")
                            .contains("in command 13 of 19: {\"add\":{\"rule\":{\"family\":\"inet\",\"table\":\"qfence\",\"chain\":\"forward\","
                                    + "\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"@missing\"}}");
                });

        // same handles, same counters, same everything: nothing was flushed, deleted or added
        assertThat(ns.ruleset()).isEqualTo(before);
    }

    @Test
    void throughThePortTheKernelsRefusalIsTheModelsHostPortExceptionWithNftsWords() {
        client.replace(Rulesets.small(), List.of());
        String before = ns.ruleset();
        NftTable broken = withExtraRule(Rulesets.small().get(0), "forward",
                "[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"@missing\"}},{\"drop\":null}]");

        assertThatThrownBy(() -> new NftFirewall(client).apply(io.qfence.model.host.Firewall.of(List.of(broken, Rulesets.small().get(1)))))
                .isInstanceOfSatisfying(io.qfence.model.errors.HostPortException.class, e -> {
                    assertThat(e.port()).isEqualTo(io.qfence.model.errors.HostPortException.Port.FIREWALL);
                    assertThat(e.object()).isEqualTo("nft tables inet qfence, bridge qfence");
                    assertThat(e.reason()).isInstanceOf(io.qfence.model.errors.HostPortException.Refusal.class);
                    assertThat(e.reason().text()).contains("No such file or directory");
                    assertThat(e.getCause()).isInstanceOf(NftException.class);
                });
        assertThat(ns.ruleset()).isEqualTo(before);
    }

    @Test
    void aCheckRunsTheTransactionThroughTheKernelWithoutCommittingIt() {
        client.replace(Rulesets.small(), List.of());
        String before = ns.ruleset();

        NftTable changed = withExtraRule(Rulesets.small().get(0), "web", "[{\"drop\":null}]");
        client.check(List.of(changed));
        assertThat(ns.ruleset()).isEqualTo(before);

        // ct state is refused by the kernel in the bridge family: only the kernel can say so
        NftTable kernelRefuses = withExtraRule(Rulesets.small().get(1), "forward", Rulesets.CT_ESTABLISHED);
        assertThatThrownBy(() -> client.check(List.of(kernelRefuses)))
                .isInstanceOfSatisfying(NftException.class, e -> assertThat(e.operation()).isEqualTo("check bridge qfence"));
        assertThat(ns.ruleset()).isEqualTo(before);
    }

    @Test
    void applyDeletesTheOwnedTablesTheFirewallNoLongerHas() {
        client.apply(Firewall.of(Rulesets.small()));
        assertThat(client.listTableNames()).containsExactlyInAnyOrder("inet qfence", "bridge qfence");

        client.apply(Firewall.of(List.of(Rulesets.small().get(0))));
        assertThat(client.listTableNames()).containsExactly("inet qfence");
        FirewallObservation seen = client.observeFirewall();
        assertThat(seen.firewall()).contains(Firewall.of(List.of(Rulesets.small().get(0))));
        assertThat(seen.unmodelled()).isEmpty();

        client.apply(Firewall.of(List.of()));
        assertThat(client.observeFirewall().firewall()).isEmpty();
        assertThat(client.observe("inet")).isEmpty();
    }

    @Test
    void objectsQfenceNeverWritesAreReportedAndRemovedByTheNextReplace() {
        client.replace(Rulesets.small(), List.of());
        ns.nftScript("""
                add map inet qfence handmade { type ipv4_addr : verdict; elements = { 10.0.0.1 : accept } }
                add set inet qfence timed { type ipv4_addr; timeout 1h; }
                add rule inet qfence web ip daddr vmap @handmade
                """);
        assertThat(client.observeFirewall().unmodelled()).containsExactly(
                "inet qfence: map handmade (qfence writes no map objects)",
                "inet qfence: set timed: attribute 'timeout' = 3600");

        client.replace(Rulesets.small(), List.of());
        assertThat(client.observeFirewall().unmodelled()).isEmpty();
        assertThat(client.list("inet", "qfence")).contains(Rulesets.small().get(0));
    }

    @Test
    void anAnonymousSetWrittenOutOfNftsOrderListsInItSoARealizerMustEmitNftsOrder() {
        NftTable unordered = withExtraRule(Rulesets.small().get(0), "web",
                "[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":{\"set\":[8080,443,22,80]}}},{\"accept\":null}]");
        client.replace(List.of(unordered), List.of());
        assertThat(chain(client.list("inet", "qfence").orElseThrow(), "web").rules().get(1).expr())
                .isEqualTo("[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":{\"set\":[22,80,443,8080]}}},{\"accept\":null}]");
    }

    @Test
    void aClientBoundToTheCurrentNamespaceWorksInTheNamespaceOfItsCaller() throws Exception {
        String netnsOfCaller = ns.ns.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
        ns.ns.run(() -> {
            try (NftClient here = NftClient.inCurrentNamespace()) {
                here.replace(List.of(Rulesets.small().get(0)), List.of());
            }
        });
        assertThat(netnsOfCaller).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
        assertThat(witnessTable("inet")).isEqualTo(Rulesets.small().get(0));
    }

    // --- helpers ---

    private NftTable witnessTable(String family) {
        JsonNode ruleset = CanonicalJson.parse(ns.ruleset());
        var items = CanonicalJson.MAPPER.createArrayNode();
        ruleset.get("nftables").forEach(item -> {
            JsonNode o = item.elements().next();
            if (item.has("table") ? isTable(o, family, "qfence") : family.equals(o.path("family").asText()) && "qfence".equals(o.path("table").asText())) {
                items.add(item);
            }
        });
        var doc = CanonicalJson.MAPPER.createObjectNode();
        doc.set("nftables", items);
        return Normalizer.normalize(doc, family, "qfence").table();
    }

    private static boolean isTable(JsonNode t, String family, String name) {
        return family.equals(t.path("family").asText()) && name.equals(t.path("name").asText());
    }

    private static List<JsonNode> tableItems(JsonNode ruleset, String family, String name) {
        List<JsonNode> items = new ArrayList<>();
        ruleset.get("nftables").forEach(item -> {
            String kind = item.fieldNames().next();
            JsonNode o = item.get(kind);
            if (kind.equals("table") ? isTable(o, family, name) : family.equals(o.path("family").asText()) && name.equals(o.path("table").asText())) {
                items.add(item);
            }
        });
        return items;
    }

    private static long count(JsonNode ruleset, String kind, String family) {
        long n = 0;
        for (JsonNode item : ruleset.get("nftables")) {
            if (item.has(kind) && family.equals(item.get(kind).path("family").asText())) {
                n++;
            }
        }
        return n;
    }

    private long handleOf(String chain, String comment) {
        for (JsonNode item : CanonicalJson.parse(ns.ruleset()).get("nftables")) {
            JsonNode r = item.get("rule");
            if (r != null && chain.equals(r.path("chain").asText()) && comment.equals(r.path("comment").asText())) {
                return r.path("handle").asLong();
            }
        }
        throw new AssertionError("no rule with comment " + comment + " in " + chain);
    }

    private static NftChain chain(NftTable t, String name) {
        return t.chains().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    static NftTable withExtraRule(NftTable t, String chainName, String expr) {
        List<NftChain> chains = new ArrayList<>();
        for (NftChain c : t.chains()) {
            if (c.name().equals(chainName)) {
                List<NftRule> rules = new ArrayList<>(c.rules());
                rules.add(Rulesets.rule(expr, ""));
                chains.add(new NftChain(c.name(), c.hook(), rules));
            } else {
                chains.add(c);
            }
        }
        return new NftTable(t.family(), t.name(), chains, t.sets(), t.counters());
    }

}
