package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.lab.LabTestRunner;
import io.qfence.testing.ProductionKernel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link OomReportingTest} on the lab's Debian kernel, where the VM cgroup is a cgroup v2 leaf and the count comes from
 * {@code memory.events}. The same test class, tagged for the lab: it is layout-aware, so nothing is copied.
 */
@ProductionKernel
@Tag(LabTestRunner.NESTED_GUESTS) // not in bin/test's lab run yet: a nested guest takes minutes under TCG inside TCG, and this one has not passed there
class OomReportingLabTest extends OomReportingTest {

    @BeforeEach
    void theUnifiedHierarchyHoldsTheMemoryController() {
        CgroupLayout layout = CgroupLayout.detect();
        assertThat(layout.version()).isEqualTo(CgroupVersion.V2);
        assertThat(layout.hierarchies()).containsKey("memory");
    }
}
