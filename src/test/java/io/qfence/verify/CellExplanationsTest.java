package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.plan.explain.Explanation;
import io.qfence.plan.explain.Explanation.ExplainVerdict;
import io.qfence.testing.Golden;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code verify --format json} carries, for every cell of the matrix, the explanation {@code qfence explain} gives for
 * the cell's question; and it is the same answer the matrix expects, over the whole bundled matrix.
 */
class CellExplanationsTest {

    static final Map<String, Explanation> EXPLAINED = Verifier.explanations(Bundled.STATE, Bundled.REALIZATION, Bundled.PLAN, Bundled.TODAY);

    @Test
    void everyCellIsExplainedAndTheExplanationAgreesWithTheCellsExpectation() {
        assertThat(EXPLAINED.keySet()).containsExactlyElementsOf(Bundled.PLAN.cells().stream().map(ProbeCell::id).toList());
        for (ProbeCell c : Bundled.PLAN.cells()) {
            Explanation e = EXPLAINED.get(c.id());
            assertThat(e.verdict()).as("%s %s -> %s %s", c.id(), c.source(), c.target(), c.service())
                    .isEqualTo(c.expected() ? ExplainVerdict.ALLOWED : ExplainVerdict.DENIED);
            if (c.expected()) {
                assertThat(e.grounds()).as(c.id()).isNotEmpty();
                assertThat(e.rules()).as("the accept of %s", c.id()).isNotEmpty();
            } else {
                assertThat(e.rules()).as("the drop of %s", c.id()).singleElement().satisfies(r -> assertThat(r.counter()).isPresent());
            }
        }
    }

    @Test
    void theJsonOfEachCellCarriesItsExplanationAndMarkdownDrawsTheGraph() {
        ProbeCell allowed = Bundled.PLAN.cells().stream().filter(c -> c.source().equals("web-app-1") && c.target().equals("db-main")
                && c.port() == 5432).findFirst().orElseThrow();
        ProbeCell denied = Bundled.PLAN.cells().stream().filter(c -> c.source().equals("web-app-1") && c.target().equals("db-main")
                && c.port() == 9 && c.protocol() == io.qfence.realize.FlowProtocol.TCP).findFirst().orElseThrow();
        VerifyReport report = new VerifyReport("hv1", "dir:desired-state", "qfence-verify-0000test", Bundled.WORLD,
                List.of(new VerifyReport.CellResult(allowed, true, false, "QF-TCP-OK db-main"),
                        new VerifyReport.CellResult(denied, false, false, "no answer")),
                Map.of(), Map.of("probes", Duration.ofMillis(1000)), 1, List.of(), List.of())
                .explained(EXPLAINED, Verifier.graph(Bundled.STATE, "hv1", Bundled.RELATION));

        Golden.assertMatches("verify/explained.json", MatrixRenderer.json(report));
        Golden.assertMatches("verify/explained.md", MatrixRenderer.markdown(report));
    }
}
