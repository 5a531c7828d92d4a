package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.ByteSize;
import io.qfence.model.MilliCpus;
import io.qfence.model.host.CgroupLimits;
import io.qfence.testing.Golden;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The exact text people and scripts see: usage, and validate's text and JSON reports. */
class CliGoldenTest {

    static final Path GOLDEN = Golden.RESOURCES.resolve("golden/cli");
    static final Path INVALID = Golden.RESOURCES.resolve("golden/validate/input");

    @Test
    void validateReportsEveryProblemAsText() {
        CliRun run = CliRun.of("validate", "--dir", INVALID.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEmpty();
        Golden.assertMatches(GOLDEN.resolve("validate-invalid.txt"), run.out());
    }

    @Test
    void validateReportsTheSameProblemsAsJson() {
        CliRun run = CliRun.of("validate", "--dir", INVALID.toString(), "--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEmpty();
        Golden.assertMatches(GOLDEN.resolve("validate-invalid.json"), run.out());
    }

    @Test
    void validateOfTheBundledExampleSucceedsWithItsOneWarning() {
        CliRun run = CliRun.of("validate", "--dir", "desired-state");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("""
                groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored
                valid: 1 host, 3 groups, 9 VMs, 1 warning
                """);
    }

    @Test
    void theJsonOfAValidStateNamesItsRevisionAndCounts() {
        CliRun run = CliRun.of("validate", "--format", "json");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("\"valid\" : true", "\"revision\" : \"dir:desired-state\"", "\"vms\" : 9",
                "\"errors\" : 0", "\"warnings\" : 1");
    }

    @Test
    void theDemoShowsTheLimitsTheCgroupAdapterReadBackAndMaxWhereThereIsNone() {
        CgroupLimits guest = new CgroupLimits(Optional.of(ByteSize.ofMebibytes(320)), Optional.of(new MilliCpus(500)), OptionalLong.of(128));

        assertThat(DemoCommand.limitCells(Optional.of(guest))).containsExactly("320Mi", "0.5", "128");
        assertThat(DemoCommand.limitCells(Optional.of(CgroupLimits.none()))).containsExactly("max", "max", "max");
        assertThat(DemoCommand.limitCells(Optional.empty())).as("no such cgroup").containsExactly("-", "-", "-");
    }

    @Test
    void theDemoReportsTheUsersWholeWaitFromWhenBinQfenceStarted() {
        assertThat(DemoCommand.waited("1000000", 1_091_400)).hasValue(91);
        assertThat(DemoCommand.waited(null, 1_091_400)).isEmpty();
        assertThat(DemoCommand.waited("not a number", 1_091_400)).isEmpty();
        assertThat(DemoCommand.waited("2000000", 1_091_400)).as("a clock that went back says nothing").isEmpty();
    }
}
