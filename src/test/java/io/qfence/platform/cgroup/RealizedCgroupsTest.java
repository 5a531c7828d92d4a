package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Capability;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.HostFacts;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import io.qfence.testing.BothCgroupLayouts;
import io.qfence.testing.CgroupHost;
import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The realizer and this adapter together, on this host's cgroups in whichever layout it has ({@link CgroupHost}: v1
 * here, v2 in the production-kernel lab, which runs this class too): the cgroups realized for that version from the
 * bundled desired state are created with their files, under a private {@code qfence-test-<random>} prefix instead of the host's
 * {@code cgroupParent}, and read back exactly as realized (except limits the kernel here does not support, which are
 * reported, not failed): no drift right after an apply.
 */
@RequiresHost(cgroups = true)
@BothCgroupLayouts
class RealizedCgroupsTest {

    static final LocalDate TODAY = LocalDate.of(2026, 3, 1);
    static final HostFacts THIS_MACHINE = new HostFacts(CgroupHost.version(), EnumSet.of(Capability.BRIDGE, Capability.TUN,
            Capability.VETH, Capability.BR_NETFILTER, Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP,
            Capability.NAMESPACES));

    private final CgroupFs fs = CgroupHost.fs();
    private final String base = "qfence-test-" + UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void removeSubtree() {
        fs.remove(base);
    }

    static List<Cgroup> realizedCgroups() {
        Clock clock = Clock.fixed(TODAY.atStartOfDay(ZoneOffset.UTC).toInstant(), ZoneOffset.UTC);
        var loaded = DesiredStateLoader.loadDirectory(Path.of("desired-state"), clock);
        assertThat(loaded.errors()).isEmpty();
        return Realizer.realize(loaded.state().orElseThrow(), "hv1", THIS_MACHINE, TODAY).objects(Cgroup.class);
    }

    @Test
    void theRealizedCgroupsAreCreatedAndReadBackAsRealized() {
        List<Cgroup> realized = realizedCgroups().stream()
                .map(c -> new Cgroup(c.address(), base + "/" + c.path(), c.version(), c.files())).toList();
        assertThat(realized).isNotEmpty().allSatisfy(c -> assertThat(c.version()).isEqualTo(CgroupHost.version()));

        List<CgroupFs.Written> results = fs.applyAll(realized);

        List<String> unsupported = new ArrayList<>();
        results.forEach(w -> unsupported.addAll(w.unsupported()));
        for (Cgroup c : realized) {
            Cgroup observed = fs.read(c.address(), c.path(), c.files().keySet()).orElseThrow();
            // only files this kernel lacks may be missing, e.g. blkio.weight without a weighted I/O scheduler
            c.files().forEach((file, value) -> {
                Path onDisk = CgroupHost.file(c.path(), file);
                if (Files.exists(onDisk)) {
                    assertThat(observed.files()).as("%s %s", c.path(), file).containsEntry(file, value);
                } else {
                    assertThat(unsupported).contains(file);
                    assertThat(observed.files()).doesNotContainKey(file);
                }
            });
        }
        // a second apply writes nothing
        assertThat(fs.applyAll(realized)).allSatisfy(w -> assertThat(w.written()).isEmpty());
    }
}
