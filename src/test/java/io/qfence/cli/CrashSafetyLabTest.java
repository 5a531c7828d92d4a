package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.testing.ProductionKernel;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link CrashSafetyTest}'s SIGKILL trials on the lab's Debian kernel: the cgroups an apply killed part-way leaves are
 * one cgroup v2 tree, which the next apply completes. The same class, tagged for the lab (it checks the layout it
 * finds), so nothing is copied.
 */
@ProductionKernel
class CrashSafetyLabTest extends CrashSafetyTest {

    @BeforeAll
    static void aV2HostWithWhatTheBundledStateNeeds() throws Exception {
        assertThat(CgroupLayout.detect().version()).isEqualTo(CgroupVersion.V2);
        assertThat(CgroupLayout.detect().missing()).isEmpty();
        LabHost.loadBrNetfilter();
    }
}
