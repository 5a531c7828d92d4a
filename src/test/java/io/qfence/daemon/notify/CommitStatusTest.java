package io.qfence.daemon.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A commit status's description fits the forges' limit ({@value CommitStatus#MAX_DESCRIPTION} characters, GitHub's)
 * and keeps what the reader acts on: the revision's id and the {@code qfence approve} hint with an id the command
 * takes.
 */
class CommitStatusTest {

    static final String SHA = "9624fc62ac6e82e2db360bb511e6158ca8cab9bc";

    /** RevisionGrader's reason for a widening revision, naming {@code flows} flows (it names at most 3, then "and N more"). */
    static String awaitingApproval(String flows) {
        return "revision " + SHA.substring(0, 12) + " widens access (" + flows + ") and waits for approval: run qfence "
                + "approve " + SHA;
    }

    @Test
    void aShortReasonIsTheDescriptionAsItIs() {
        assertThat(status("applied on hv1: 1 action").description()).isEqualTo("applied on hv1: 1 action");
        assertThat(status("  two\n lines ").description()).isEqualTo("two lines");
    }

    @Test
    void theApproveHintOfAWideningRevisionKeepsAWholeIdWhereTheFullShaWouldBeCutInside() {
        String reason = awaitingApproval("vm:alpha-app -> vm:beta-db tcp/5432");
        assertThat(reason).hasSizeGreaterThan(CommitStatus.MAX_DESCRIPTION);
        // the old cut, at 139 characters and an ellipsis, ended inside the sha: "...approve 9624fc62ac6e82e2db…"
        assertThat(reason.substring(0, CommitStatus.MAX_DESCRIPTION - 1)).doesNotEndWith(SHA);

        assertThat(status(reason).description()).isEqualTo("revision 9624fc62ac6e widens access (vm:alpha-app -> "
                + "vm:beta-db tcp/5432) and waits for approval: run qfence approve 9624fc62ac6e");
    }

    @Test
    void withManyFlowsTheMiddleIsCutAndTheHintKept() {
        String reason = awaitingApproval("vm:alpha-app -> vm:beta-db tcp/5432, vm:alpha-app -> vm:beta-cache tcp/6379, "
                + "group:ci -> vm:beta-db tcp/5432 and 4 more");
        String description = status(reason).description();

        assertThat(description).hasSize(CommitStatus.MAX_DESCRIPTION)
                .startsWith("revision 9624fc62ac6e widens access (vm:alpha-app -> vm:beta-db tcp/5432, ")
                .contains("\u2026")
                .endsWith("\u2026: run qfence approve 9624fc62ac6e");
    }

    @Test
    void aLongLastClauseIsNotKeptWholeTheStartIs() {
        String reason = "apply failed on hv1: " + "links: group.alpha/bridge: create: File exists; ".repeat(5)
                + "the last applied revision stays in place, and the daemon retries with back-off until the host lets it";
        String description = status(reason).description();

        assertThat(description).hasSize(CommitStatus.MAX_DESCRIPTION).startsWith("apply failed on hv1: links: ")
                .endsWith("\u2026");
    }

    @Test
    void everyDescriptionFitsTheLimitWhateverTheReason() {
        SplittableRandom random = new SplittableRandom(20);
        String alphabet = "ab: ;()->" + SHA.substring(0, 5) + "\u00e9";
        for (int i = 0; i < 2000; i++) {
            StringBuilder reason = new StringBuilder("r");
            int length = random.nextInt(400);
            for (int c = 0; c < length; c++) {
                reason.append(random.nextInt(50) == 0 ? SHA : String.valueOf(alphabet.charAt(random.nextInt(alphabet.length()))));
            }
            String description = status(reason.toString()).description();
            assertThat(description.length()).as(reason.toString()).isLessThanOrEqualTo(CommitStatus.MAX_DESCRIPTION);
            assertThat(description).as(reason.toString()).doesNotContain("\n");
        }
    }

    private static CommitStatus status(String reason) {
        return new CommitStatus(SHA, RevisionState.AWAITING_APPROVAL, "hv1", reason);
    }
}
