package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.testing.ProductionKernel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CrashSafetyTest}'s SIGKILL trials on the lab's Debian kernel: the cgroups an apply killed part-way leaves are
 * one cgroup v2 tree, which the next apply completes. The same class, tagged for the lab (it checks the layout it
 * finds), so nothing is copied; reduced to three kills (after three verified steps, as the firewall transaction
 * starts, as the link creations start) because each trial starts a JVM, which takes tens of seconds under TCG.
 */
@ProductionKernel
class CrashSafetyLabTest extends CrashSafetyTest {

    @BeforeAll
    static void aV2HostWithWhatTheBundledStateNeeds() throws Exception {
        assertThat(CgroupLayout.detect().version()).isEqualTo(CgroupVersion.V2);
        assertThat(CgroupLayout.detect().missing()).isEmpty();
        LabHost.loadBrNetfilter();
    }

    /** Not a test here (JUnit runs an overridden test method only when the override is annotated): see below. */
    @Override
    void anApplyKilledAfterSomeStepsIsCompletedByTheNext(int steps) {}

    @ParameterizedTest(name = "killed after {0} verified steps")
    @ValueSource(ints = {3})
    void anApplyKilledAfterAFewStepsIsCompletedByTheNext(int steps) throws Exception {
        super.anApplyKilledAfterSomeStepsIsCompletedByTheNext(steps);
    }
}
