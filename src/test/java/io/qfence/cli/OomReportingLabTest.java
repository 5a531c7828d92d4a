package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.testing.ProductionKernel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link OomReportingTest} on the lab's Debian kernel, where the VM cgroup is a cgroup v2 leaf and the count comes from
 * {@code memory.events}. The same test class, tagged for the lab: it is layout-aware, so nothing is copied.
 *
 * <p>Only the cause of the kill differs. Under TCG inside the lab's TCG the probe guest boots in minutes, so it did not
 * outgrow its 80Mi limit within the test's 60 s; here the test itself lowers the running guest's {@code memory.max}
 * far below its {@code memory.current} (no swap in the lab: QEMU's anonymous memory cannot be reclaimed), and the
 * kernel's OOM killer ends QEMU at once, in its own VM cgroup, as the guest's growth would. qfence's part is unchanged:
 * it only reads {@code memory.events}.
 */
@ProductionKernel
class OomReportingLabTest extends OomReportingTest {

    /** Far below what a started QEMU holds (30 to 80 MiB under TCG), so no reclaim can satisfy it. */
    private static final long SQUEEZED = 4L << 20;

    @BeforeEach
    void theUnifiedHierarchyHoldsTheMemoryController() {
        CgroupLayout layout = CgroupLayout.detect();
        assertThat(layout.version()).isEqualTo(CgroupVersion.V2);
        assertThat(layout.hierarchies()).containsKey("memory");
    }

    @Override
    void outgrowTheLimit(CgroupLayout layout) throws Exception {
        JsonNode guest = guestInState();
        assertThat(guest).as("the guest in state after apply").isNotNull();
        Path vm = layout.hierarchies().get("memory").resolve(guest.path("launch").path("cgroup_path").asText());
        long current = Long.parseLong(Files.readString(vm.resolve("memory.current")).strip());
        // The write reclaims what it can, then invokes the OOM killer in this cgroup until the usage fits. The guest's
        // own boot may have outgrown the 80Mi limit first (seen in one lab run of two): QEMU is gone then, the cgroup
        // holds a few pages and the write changes nothing; the kill is in memory.events either way.
        Files.writeString(vm.resolve("memory.max"), Long.toString(SQUEEZED));
        System.out.printf("MEASURE lab oom: %s memory.current %d KiB, memory.max lowered to %d MiB; memory.events: %s%n", vm,
                current >> 10, SQUEEZED >> 20, Files.readString(vm.resolve("memory.events")).replace('\n', ' ').strip());
    }
}
