package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code confinement.apparmor} where AppArmor is unavailable ({@code plan --empty} assumes a typical host without it,
 * as these test machines are): {@code required} fails the plan with a message naming what is missing, {@code preferred}
 * plans with a warning. (The warning in {@code state} is checked against the live host in LiveApplyTest.)
 */
class AppArmorConfinementTest {

    @TempDir
    Path tmp;

    @Test
    void requiredAppArmorWhereItIsUnavailableFailsThePlanNamingWhatIsMissing() throws IOException {
        Path dir = ApplyGuestsTest.DESIRED;
        Path copy = tmp.resolve("state");
        ApplyGuestsTest.copyTree(dir, copy);
        Path host = copy.resolve("hosts/h1.yaml");
        Files.writeString(host, Files.readString(host).replace("apparmor: preferred", "apparmor: required"));

        CliRun run = CliRun.of("plan", "--empty", "--dir", copy.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("confinement.apparmor is required, but AppArmor is not available on this host");
        assertThat(run.out()).doesNotContain("Plan:");
    }

    @Test
    void preferredAppArmorWhereItIsUnavailablePlansWithAWarning() {
        CliRun run = CliRun.of("plan", "--empty", "--dir", ApplyGuestsTest.DESIRED.toString());

        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.out() + run.err()).contains("AppArmor is preferred but not available on this host");
    }
}
