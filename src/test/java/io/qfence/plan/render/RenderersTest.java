package io.qfence.plan.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Firewall;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Plan;
import io.qfence.plan.Planner;
import io.qfence.plan.RepresentativePlans;
import io.qfence.testing.Golden;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RenderersTest {

    private final Plan plan = RepresentativePlans.everyKindOfChange();

    @Test
    void textShowsEveryActionWithAttributeDiffsDriftApartAndTheSummary() {
        String text = new TextRenderer().render(plan, RenderOptions.PLAIN);

        Golden.assertMatches("plan/every-kind.txt", text);
        assertThat(text).doesNotContain("\u001b[")
                .contains("Plan: 3 to add, 5 to change, 3 to destroy, 3 to start, 2 to stop.");
    }

    @Test
    void textInColourOnlyWhenAsked() {
        String text = new TextRenderer().render(plan, RenderOptions.COLOUR);

        Golden.assertMatches("plan/every-kind.colour.txt", text);
        assertThat(text).contains("\u001b[32m+\u001b[0m");
    }

    @Test
    void jsonIsVersionedSortedByAddressAndWritesReplacementsAsTwoActions() {
        Golden.assertMatches("plan/every-kind.json", new JsonRenderer().render(plan, RenderOptions.PLAIN));
    }

    @Test
    void markdownHasASummaryTableAndCollapsibleDetails() {
        Golden.assertMatches("plan/every-kind.md", new MarkdownRenderer().render(plan, RenderOptions.PLAIN));
    }

    @Test
    void theSummaryTableIsOneRowPerGroupAndTheHostWithATotalAndTheSummaryLine() {
        String table = SummaryTable.text(plan);

        Golden.assertMatches("plan/every-kind.summary.txt", table);
        assertThat(table).endsWith("Plan: 3 to add, 5 to change, 3 to destroy, 3 to start, 2 to stop.\n");
        assertThat(SummaryTable.text(RepresentativePlans.noChanges())).isEqualTo("No changes.\n");
    }

    @Test
    void aPlanWithoutChangesSaysSo() {
        Plan none = RepresentativePlans.noChanges();

        Golden.assertMatches("plan/no-changes.txt", new TextRenderer().render(none, RenderOptions.PLAIN));
        Golden.assertMatches("plan/no-changes.md", new MarkdownRenderer().render(none, RenderOptions.PLAIN));
    }

    @Test
    void aFreshHostShowsEveryObjectCreatedInFull() {
        Golden.assertMatches("plan/empty-host.txt", new TextRenderer().render(RepresentativePlans.emptyHost(), RenderOptions.PLAIN));
    }

    @Test
    void aChangedSetShowsOnlyTheElementsItGainsAndLosesAndRulesReadAsNft() {
        String antispoof = "[{\"match\":{\"op\":\"!=\",\"left\":{\"concat\":[{\"meta\":{\"key\":\"iifname\"}},"
                + "{\"payload\":{\"protocol\":\"ether\",\"field\":\"saddr\"}}]},\"right\":\"@tap_macs\"}},{\"counter\":\"drop_spoofed_mac\"},{\"drop\":null}]";
        String logged = "[{\"log\":{\"prefix\":\"qfence \"}},{\"drop\":null}]";
        List<String> macs = List.of("{\"concat\":[\"qft-web-01\",\"0e:00:00:00:00:01\"]}", "{\"concat\":[\"qft-web-02\",\"0e:00:00:00:00:02\"]}");
        Firewall before = firewall(List.of(new NftRule(antispoof, "qf:antispoof:mac", NftRule.Effect.UNKNOWN), new NftRule(logged, "", NftRule.Effect.UNKNOWN)),
                new NftSet("tap_macs", List.of("ifname", "ether_addr"), List.of(), macs),
                new NftSet("nets4", List.of("ipv4_addr"), List.of(), List.of("\"10.10.0.0\"")));
        Firewall after = firewall(List.of(new NftRule(antispoof, "qf:antispoof:mac", NftRule.Effect.RESTRICT)),
                new NftSet("tap_macs", List.of("ifname", "ether_addr"), List.of(), List.of(macs.get(0), "{\"concat\":[\"qft-web-03\",\"0e:00:00:00:00:03\"]}")),
                new NftSet("nets4", List.of("ipv4_addr"), List.of("interval"), List.of("{\"prefix\":{\"addr\":\"10.10.0.0\",\"len\":24}}")));
        Plan plan = Planner.plan(List.of(after), new ObservedHost("hv1", HostFacts.TYPICAL, List.of(before), List.of(), List.of(), List.of()));

        String text = new TextRenderer().render(plan, RenderOptions.PLAIN);

        Golden.assertMatches("plan/firewall-sets.txt", text);
        assertThat(text).doesNotContain("qft-web-01").contains("{\"log\":{\"prefix\":\"qfence \"}}");
        assertThat(new MarkdownRenderer().render(plan, RenderOptions.PLAIN))
                .contains("+     bridge qfence/set tap_macs element = \"qft-web-03\" . 0e:00:00:00:00:03\n")
                .contains("-     bridge qfence/set tap_macs element = \"qft-web-02\" . 0e:00:00:00:00:02 -> null\n");
    }

    private static Firewall firewall(List<NftRule> rules, NftSet... sets) {
        NftChain antispoof = new NftChain("antispoof", Optional.of(new NftChain.Hook("filter", "prerouting", -200, "accept")), rules);
        return Firewall.of(List.of(new NftTable("bridge", "qfence", List.of(antispoof), List.of(sets), List.of("drop_spoofed_mac"))));
    }
}
