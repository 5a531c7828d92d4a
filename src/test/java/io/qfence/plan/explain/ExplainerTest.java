package io.qfence.plan.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.NftTable;
import io.qfence.plan.explain.Explanation.ExplainVerdict;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.Principal;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.testing.BundledState;
import io.qfence.testing.Golden;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code qfence explain} on the bundled desired state (host hv1): what allows a flow, what denies it, and where in nft. */
class ExplainerTest {

    static final DesiredState STATE = BundledState.state();
    static final Realization REALIZATION = Realizer.realize(STATE, BundledState.HOST, HostFacts.TYPICAL, BundledState.TODAY);

    static final Principal WEB_APP_1 = Principal.vm("web-app-1", "web");
    static final Principal DB_MAIN = Principal.vm("db-main", "db");

    static Explanation explain(Principal from, Principal to, FlowProtocol p, int port) {
        return Explainer.explain(STATE, REALIZATION, ExplainQuery.of(from, to, p, port), InvariantCoverage.NONE);
    }

    @Test
    void anAllowedFlowNamesTheExceptionAtItsLineAndTheAcceptThatImplementsIt() {
        Explanation e = explain(WEB_APP_1, DB_MAIN, FlowProtocol.TCP, 5432);

        assertThat(e.verdict()).isEqualTo(ExplainVerdict.ALLOWED);
        assertThat(e.grounds()).singleElement().satisfies(g -> {
            assertThat(g.what()).isEqualTo("exception 1 of group web: group:web -> db-main tcp 5432");
            assertThat(g.origin()).contains("groups/web.yaml:26:9");
        });
        assertThat(e.rules()).singleElement().satisfies(r -> {
            assertThat(r.table()).isEqualTo("inet qfence");
            assertThat(r.chain()).isEqualTo("from_web");
            assertThat(r.rule().comment()).isEqualTo("qf:exception:web:1");
        });
        Golden.assertMatches("explain/allowed.txt", ExplanationRenderer.text(e));
        Golden.assertMatches("explain/allowed.json", ExplanationRenderer.json(e));
    }

    @Test
    void aDeniedFlowNamesTheDefaultAndTheCountedDropThatEndsIt() {
        Explanation e = explain(WEB_APP_1, DB_MAIN, FlowProtocol.TCP, 22);

        assertThat(e.verdict()).isEqualTo(ExplainVerdict.DENIED);
        assertThat(e.grounds()).isEmpty();
        assertThat(e.defaults()).extracting(Explanation.Grounds::what).first().isEqualTo("default deny: no exception or group setting allows it");
        assertThat(e.rules()).singleElement().satisfies(r -> {
            assertThat(r.chain()).isEqualTo("from_web");
            assertThat(r.counter()).contains("drop_from_web");
        });
        Golden.assertMatches("explain/denied.txt", ExplanationRenderer.text(e));
    }

    @Test
    void aGroupSettingThatDeniesIsNamedWithItsGroupsFile() {
        Explanation e = explain(DB_MAIN, Principal.vm("db-bastion", "db"), FlowProtocol.TCP, 5432);

        assertThat(e.verdict()).isEqualTo(ExplainVerdict.DENIED);
        assertThat(e.defaults()).extracting(Explanation.Grounds::what)
                .contains("group db: intraGroup: deny (VMs of the group reach each other only where an exception says so)");
        Golden.assertMatches("explain/denied-intra.txt", ExplanationRenderer.text(e));
    }

    @Test
    void aGuestToTheHostIsAllowedOnlyByAnExceptionAndOtherwiseDroppedInInput() {
        Explanation allowed = explain(WEB_APP_1, Principal.HOST, FlowProtocol.UDP, 53);
        Explanation denied = explain(DB_MAIN, Principal.HOST, FlowProtocol.TCP, 22);

        assertThat(allowed.verdict()).isEqualTo(ExplainVerdict.ALLOWED);
        assertThat(allowed.rules()).extracting(r -> r.chain()).containsExactly("input");
        assertThat(denied.verdict()).isEqualTo(ExplainVerdict.DENIED);
        assertThat(denied.rules()).singleElement().satisfies(r -> assertThat(r.counter()).contains("drop_guest_to_host"));
        Golden.assertMatches("explain/host-allowed.txt", ExplanationRenderer.text(allowed));
        Golden.assertMatches("explain/host-denied.txt", ExplanationRenderer.text(denied));
    }

    @Test
    void theHostsOwnConnectionsAreNotFilteredAndSaySo() {
        Explanation e = Explainer.explain(STATE, REALIZATION, ExplainQuery.anyTraffic(Principal.HOST, DB_MAIN), InvariantCoverage.NONE);

        assertThat(e.verdict()).isEqualTo(ExplainVerdict.NOT_FILTERED);
        assertThat(e.rules()).isEmpty();
        Golden.assertMatches("explain/host-source.txt", ExplanationRenderer.text(e));
    }

    @Test
    void anOutsideAddressReachesTheBastionOnlyThroughItsExposure() {
        Explanation e = explain(Principal.address("198.51.100.7"), Principal.vm("web-bastion", "web"), FlowProtocol.TCP, 22);

        assertThat(e.verdict()).isEqualTo(ExplainVerdict.ALLOWED);
        assertThat(e.note()).hasValueSatisfying(n -> assertThat(n).contains("host's tcp port 2222"));
        assertThat(e.rules()).extracting(r -> r.chain()).containsExactly("prerouting", "to_web");
        Golden.assertMatches("explain/exposure.txt", ExplanationRenderer.text(e));
    }

    @Test
    void withoutAProtocolEveryFlowBetweenThePairIsListedAndTheRestIsDenied() {
        Explanation e = Explainer.explain(STATE, REALIZATION, ExplainQuery.anyTraffic(Principal.vm("db-bastion", "db"), DB_MAIN),
                InvariantCoverage.NONE);

        assertThat(e.verdict()).isEqualTo(ExplainVerdict.PARTLY_ALLOWED);
        assertThat(e.grounds()).extracting(Explanation.Grounds::what).containsExactly("exception 2 of group db: db-bastion -> group:db tcp 22");
        assertThat(e.rules()).last().satisfies(r -> assertThat(r.counter()).contains("drop_from_db"));
    }

    @Test
    void liveSaysWhetherTheHostHoldsEachRuleAndWhatItsCounterCounted() {
        Explanation denied = explain(WEB_APP_1, DB_MAIN, FlowProtocol.TCP, 22);
        Firewall realized = REALIZATION.firewall();

        Explanation onHost = Explainer.live(denied, Optional.of(realized), List.of(new CounterSample("inet qfence", "drop_from_web", 12, 720)));
        Explanation emptied = Explainer.live(denied, Optional.of(withoutChain(realized, "from_web")), List.of());

        assertThat(onHost.live().orElseThrow()).singleElement().satisfies(l -> {
            assertThat(l.present()).isTrue();
            assertThat(l.counter()).hasValueSatisfying(c -> assertThat(c.packets()).isEqualTo(12));
        });
        assertThat(emptied.live().orElseThrow()).singleElement().satisfies(l -> assertThat(l.present()).isFalse());
        Golden.assertMatches("explain/live.txt", ExplanationRenderer.text(onHost) + "\n" + ExplanationRenderer.text(emptied));
    }

    @Test
    void invariantsThatCoverTheQuestionAreListedWithWhetherTheyHold() {
        InvariantCoverage one = (q, allowed) -> List.of(new InvariantCoverage.InvariantNote("web-db-only-5432", "policies/isolation.yaml:4:5",
                "only into group:db from group:web tcp 5432", allowed));
        Explanation e = Explainer.explain(STATE, REALIZATION, ExplainQuery.of(WEB_APP_1, DB_MAIN, FlowProtocol.TCP, 5432), one);

        assertThat(ExplanationRenderer.text(e)).contains("Invariants:\n  holds  web-db-only-5432 (policies/isolation.yaml:4:5)");
    }

    @Test
    void questionsAboutGroupsOrImpossiblePortsAreRefused() {
        assertThatThrownBy(() -> ExplainQuery.of(Principal.group("web"), DB_MAIN, FlowProtocol.TCP, 1))
                .hasMessage("ask about single endpoints, not groups");
        assertThatThrownBy(() -> ExplainQuery.of(WEB_APP_1, DB_MAIN, FlowProtocol.TCP, 0)).hasMessage("a port is 1..65535, got 0");
    }

    private static Firewall withoutChain(Firewall f, String chain) {
        return Firewall.of(f.tables().stream().map(t -> new NftTable(t.family(), t.name(),
                t.chains().stream().filter(c -> !c.name().equals(chain)).toList(), t.sets(), t.counters(), t.unmodelled())).toList());
    }
}
