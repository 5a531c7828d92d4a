package io.qfence.plan.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.plan.Plan;
import io.qfence.plan.RepresentativePlans;
import io.qfence.testing.Golden;
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
    void aPlanWithoutChangesSaysSo() {
        Plan none = RepresentativePlans.noChanges();

        Golden.assertMatches("plan/no-changes.txt", new TextRenderer().render(none, RenderOptions.PLAIN));
        Golden.assertMatches("plan/no-changes.md", new MarkdownRenderer().render(none, RenderOptions.PLAIN));
    }

    @Test
    void aFreshHostShowsEveryObjectCreatedInFull() {
        Golden.assertMatches("plan/empty-host.txt", new TextRenderer().render(RepresentativePlans.emptyHost(), RenderOptions.PLAIN));
    }
}
