package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftRule.Effect;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The structure of the compiled ruleset: where each kind of rule goes, and in which order. */
class FirewallCompilerTest {

    static final Realization SMALL = Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);

    static NftTable table(Firewall f, String family) {
        return f.tables().stream().filter(t -> t.family().equals(family)).findFirst().orElseThrow();
    }

    static NftChain chain(Firewall f, String family, String name) {
        return table(f, family).chains().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    static NftSet set(Firewall f, String family, String name) {
        return table(f, family).sets().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    static int indexOf(NftChain c, String fragment) {
        for (int i = 0; i < c.rules().size(); i++) {
            if (c.rules().get(i).expr().contains(fragment)) {
                return i;
            }
        }
        throw new AssertionError("no rule containing " + fragment + " in chain " + c.name());
    }

    @Test
    void qfenceOwnsExactlyTwoTablesBothNamedQfence() {
        assertThat(SMALL.firewall().tables()).extracting(NftTable::qualifiedName).containsExactly("bridge qfence", "inet qfence");
    }

    @Test
    void baseChainsAcceptByDefaultAndEndInExplicitCountedDropsForQfenceTraffic() {
        Firewall f = SMALL.firewall();
        NftChain forward = chain(f, "inet", "forward");
        assertThat(forward.hook()).hasValueSatisfying(h -> assertThat(h.policy()).isEqualTo("accept"));
        assertThat(forward.rules().get(0).expr()).contains("established");
        assertThat(forward.rules().get(forward.rules().size() - 1).expr())
                .isEqualTo("[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"oifname\"}},\"right\":\"qfb-*\"}},{\"counter\":\"drop_unknown_bridge\"},{\"drop\":null}]");
        NftChain input = chain(f, "inet", "input");
        assertThat(input.rules().get(input.rules().size() - 1).comment()).isEqualTo("qf:guest-to-host");
    }

    @Test
    void everyGroupChainEndsInADropWithTheGroupsCounter() {
        Firewall f = SMALL.firewall();
        for (String g : List.of("web", "db", "tools")) {
            for (String chain : List.of("from_" + g, "to_" + g)) {
                List<NftRule> rules = chain(f, "inet", chain).rules();
                assertThat(rules.get(rules.size() - 1).expr()).isEqualTo("[{\"counter\":\"drop_" + chain + "\"},{\"drop\":null}]");
            }
        }
    }

    @Test
    void trafficToOtherQfenceNetworksIsDroppedBeforeAnyOutwardAllowance() {
        NftChain from = chain(SMALL.firewall(), "inet", "from_web");
        assertThat(indexOf(from, "@qfence_nets4")).isLessThan(indexOf(from, "\"op\":\"!=\",\"left\":{\"meta\":{\"key\":\"oifname\"}}"));
        assertThat(indexOf(from, "\"right\":\"qfb-db\"")).isLessThan(indexOf(from, "@qfence_nets4"));
    }

    @Test
    void aUserModeVmIsPolicedByItsUidWithTheHostAndItsLoopbackDroppedFirst() {
        Firewall f = SMALL.firewall();
        VmEndpoint tools = SMALL.policy().vm("tools-01").orElseThrow();
        assertThat(chain(f, "inet", "output").rules()).anySatisfy(r -> assertThat(r.expr())
                .contains("\"key\":\"skuid\"").contains("[" + tools.uid() + ",{\"jump\":{\"target\":\"user_tools_01\"}}]"));
        NftChain user = chain(f, "inet", "user_tools_01");
        int hostAllowed = indexOf(user, "\"right\":8080");
        int hostDropped = indexOf(user, "drop_user_to_host");
        int dbAllowed = indexOf(user, "\"right\":\"qfb-db\"");
        int qfenceDropped = indexOf(user, "drop_user_to_qfence");
        int egress = indexOf(user, "\"op\":\"!=\"");
        assertThat(List.of(hostAllowed, hostDropped, dbAllowed, qfenceDropped, egress, user.rules().size() - 1)).isSorted();
        assertThat(user.rules().get(hostDropped).expr()).contains("{\"fib\":{\"result\":\"type\",\"flags\":[\"daddr\"]}},\"right\":\"local\"");
    }

    @Test
    void bridgedVmUidsMayNotOpenAnyIpSocketAndUserModeUidsAreNotInThatSet() {
        Firewall f = SMALL.firewall();
        List<String> bridgedUids = SMALL.policy().vms().stream().filter(VmEndpoint::bridged).map(v -> Long.toString(v.uid())).sorted().toList();
        assertThat(set(f, "inet", "bridged_uids").elements()).containsExactlyElementsOf(bridgedUids);
        assertThat(set(f, "inet", "bridged_uids").elements()).doesNotContain(Long.toString(SMALL.policy().vm("tools-01").orElseThrow().uid()));
        assertThat(chain(f, "inet", "output").rules().get(0).expr()).contains("@bridged_uids").contains("drop");
    }

    @Test
    void antiSpoofingAllowsEachTapOnlyItsOwnMacAndAddress() {
        Firewall f = SMALL.firewall();
        VmEndpoint web01 = SMALL.policy().vm("web-01").orElseThrow();
        assertThat(set(f, "bridge", "tap_ipv4").elements()).hasSize(5)
                .contains("{\"concat\":[\"qft-web-01\",\"" + web01.mac() + "\",\"10.10.0.11\"]}");
        assertThat(set(f, "bridge", "tap_macs").elements()).contains("{\"concat\":[\"qft-web-01\",\"" + web01.mac() + "\"]}");
        assertThat(set(f, "bridge", "tap_ipv6").elements()).as("only the group with a subnet6")
                .allMatch(e -> e.contains("qft-web-"));
        NftChain prerouting = chain(f, "bridge", "prerouting");
        assertThat(prerouting.hook()).hasValueSatisfying(h -> assertThat(h.hook()).isEqualTo("prerouting"));
        assertThat(chain(f, "bridge", "antispoof").rules()).extracting(NftRule::comment).containsExactly(
                "qf:antispoof:mac", "qf:antispoof:ethertype", "qf:antispoof:ipv4", "qf:antispoof:arp", "qf:antispoof:ipv6");
    }

    @Test
    void aBastionIsExposedOnlyForLocalDestinationsFromOutsideAndOnlyAfterDnat() {
        Firewall f = SMALL.firewall();
        List<NftRule> dnat = chain(f, "inet", "prerouting").rules();
        assertThat(dnat).hasSize(2).allSatisfy(r -> assertThat(r.expr())
                .startsWith("[{\"match\":{\"op\":\"!=\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qfb-*\"}},"
                        + "{\"match\":{\"op\":\"==\",\"left\":{\"fib\":{\"result\":\"type\",\"flags\":[\"daddr\"]}},\"right\":\"local\"}}")
                .endsWith("{\"dnat\":{\"family\":\"ip\",\"addr\":\"10.10.0.10\",\"port\":22}}]"));
        assertThat(chain(f, "inet", "to_web").rules()).filteredOn(r -> r.comment().equals("qf:expose:web"))
                .hasSize(2).allSatisfy(r -> assertThat(r.expr()).startsWith("[{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"status\"}},\"right\":\"dnat\"}}"));
    }

    @Test
    void masqueradeCoversOnlyGroupsWithOutwardFlowsAndNeverTrafficBetweenQfenceBridges() {
        List<NftRule> masq = chain(SMALL.firewall(), "inet", "postrouting").rules();
        assertThat(masq).extracting(NftRule::comment).containsExactly("qf:masquerade:db", "qf:masquerade:web", "qf:masquerade:web");
        assertThat(masq).allSatisfy(r -> assertThat(r.expr()).startsWith("[{\"match\":{\"op\":\"!=\",\"left\":{\"meta\":{\"key\":\"oifname\"}},\"right\":\"qfb-*\"}}"));
    }

    @Test
    void acceptsGrantDropsRestrictAndStructureIsNeutral() {
        for (Realization r : Scenarios.all()) {
            for (NftRule rule : FirewallKernelRoundTripTest.allRules(r.firewall())) {
                String expr = rule.expr();
                if (expr.endsWith("{\"drop\":null}]")) {
                    assertThat(rule.effect()).as(expr).isEqualTo(Effect.RESTRICT);
                } else if (rule.comment().equals("qf:established") || rule.comment().equals("qf:ndp") || expr.contains("\"jump\"")) {
                    assertThat(rule.effect()).as(expr).isEqualTo(Effect.NEUTRAL);
                } else {
                    assertThat(rule.effect()).as(expr).isEqualTo(Effect.GRANT);
                }
            }
        }
    }

    @Test
    void dispatchMapsListBridgesInNftsOwnOrder() {
        assertThat(List.of("qfb-web", "qfb-db", "qfb-tools", "qfb-aa1", "qfb-mid", "qfb-1", "qfb-b").stream().sorted(Nft.IFNAME_ORDER).toList())
                .containsExactly("qfb-1", "qfb-b", "qfb-db", "qfb-aa1", "qfb-web", "qfb-mid", "qfb-tools");
    }
}
