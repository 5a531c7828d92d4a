package io.qfence.plan.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.plan.Plan;
import io.qfence.plan.RepresentativePlans;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MarkdownLimitTest {

    private static final Pattern CHANGE_LINE = Pattern.compile("(?m)^- `[^`]+` `[^`]+` ");

    private static int count(Pattern p, String s) {
        Matcher m = p.matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void aHugePlanStaysUnderTheLimitWithCountsPerGroupAndSaysHowManyChangesItLeftOut() {
        Plan plan = RepresentativePlans.huge(100, 20);
        assertThat(plan.changes()).hasSizeGreaterThan(6000);

        String md = new MarkdownRenderer().render(plan, RenderOptions.PLAIN);

        assertThat(md.length()).isLessThanOrEqualTo(60_000);
        assertThat(md).contains(plan.summary().line(), "| `group.g0` | 42 | 0 | 0 | 20 | 0 |", "| `group.g99` |", "| **total** |",
                "The plan is too large to show in full here (" + plan.changes().size() + " changes)");
        int shown = count(CHANGE_LINE, md);
        assertThat(shown).isPositive();
        assertThat(md).contains("… and " + (plan.changes().size() - shown) + " more changes not shown.");
        assertThat(md).doesNotContain("```diff");
    }

    @Test
    void aLargePlanFirstDropsAttributeDiffsButKeepsEveryChange() {
        Plan plan = RepresentativePlans.huge(6, 20);

        String full = new MarkdownRenderer().render(plan, RenderOptions.PLAIN.withMaxLength(1_000_000));
        String md = new MarkdownRenderer().render(plan, RenderOptions.PLAIN.withMaxLength(full.length() - 1));

        assertThat(full).contains("```diff");
        assertThat(md.length()).isLessThan(full.length());
        assertThat(md).doesNotContain("```diff").doesNotContain("more changes not shown");
        assertThat(count(CHANGE_LINE, md)).isEqualTo(plan.changes().size());
    }

    @Test
    void evenTheTableIsCutWhenThereAreTooManyGroupsForTheLimit() {
        Plan plan = RepresentativePlans.huge(100, 1);

        String md = new MarkdownRenderer().render(plan, RenderOptions.PLAIN.withMaxLength(2_000));

        assertThat(md.length()).isLessThanOrEqualTo(2_000);
        assertThat(md).contains(plan.summary().line(), "(the table is cut: too many groups", "more changes not shown");
        assertThat(md).doesNotContainPattern("\\| `group\\.[^\n]*\n…");
    }
}
