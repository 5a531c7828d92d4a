package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.ByteSize;
import io.qfence.model.MilliCpus;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.HostFacts;
import io.qfence.model.desired.Limits;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** cgroup paths and limit files, with values exactly as the kernel reads them back. */
class CgroupRealizerTest {

    static final Realization V2 = Realizer.realize(Fixtures.small(), "hv1", HostFacts.TYPICAL, Fixtures.TODAY);
    static final Realization V1 = Realizer.realize(Fixtures.small(), "hv1", withIoWeight(Fixtures.THIS_MACHINE), Fixtures.TODAY);
    static final Realization HERE = Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);

    /** A v1 host like this one, but whose block devices use BFQ, so blkio.bfq.weight exists. */
    static HostFacts withIoWeight(HostFacts facts) {
        java.util.EnumSet<io.qfence.model.host.Capability> caps = java.util.EnumSet.of(io.qfence.model.host.Capability.CGROUP_IO_WEIGHT);
        caps.addAll(facts.capabilities());
        return new HostFacts(facts.cgroupVersion(), caps);
    }

    static Cgroup cgroup(Realization r, String address) {
        return (Cgroup) r.object(address).orElseThrow();
    }

    @Test
    void aGroupHasOneCgroupUnderTheParentAndEachVmAChildOfIt() {
        assertThat(cgroup(V2, "group.db/cgroup").path()).isEqualTo("qfence.slice/db");
        assertThat(cgroup(V2, "group.db/vm.db-01/cgroup").path()).isEqualTo("qfence.slice/db/db-01");
        assertThat(V2.objects(io.qfence.model.host.Guest.class)).allSatisfy(g ->
                assertThat(g.launch().cgroupPath()).isEqualTo(cgroup(V2, g.address() + "/cgroup").path()));
    }

    @Test
    void aVmsV2LimitsFollowItsSizeWithRamPlusTheQemuOverhead() {
        assertThat(cgroup(V2, "group.db/vm.db-01/cgroup").files()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "cpu.max", "200000 100000",
                "cpu.weight", "200",
                "memory.max", Long.toString(ByteSize.ofMebibytes(512 + 224).bytes()),
                "memory.high", "max",
                "memory.swap.max", "0",
                "pids.max", "64",
                "io.weight", "default 200"));
        assertThat(cgroup(V2, "group.web/vm.web-01/cgroup").files()).containsEntry("pids.max", Long.toString(io.qfence.model.desired.Vm.DEFAULT_PIDS)).doesNotContainKey("io.weight");
    }

    @Test
    void aV2GroupEnablesTheControllersForItsVmsAndWritesOnlyTheLimitsItSets() {
        assertThat(cgroup(V2, "group.web/cgroup").files()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "cgroup.subtree_control", "cpu io memory pids",
                "cpu.max", "150000 100000",
                "cpu.weight", "150",
                "memory.max", "2147483648",
                "pids.max", "512"));
        assertThat(cgroup(V2, "group.db/cgroup").files()).containsOnlyKeys("cgroup.subtree_control");
    }

    @Test
    void withoutIoWeightControlTheWeightIsLeftOutWithAWarningNamingWhatIsMissing() {
        assertThat(HERE.objects(Cgroup.class)).allSatisfy(c ->
                assertThat(c.files().keySet()).noneMatch(k -> k.contains("weight") && k.startsWith("blkio")));
        assertThat(HERE.warnings()).anySatisfy(w -> assertThat(w.message())
                .isEqualTo("vm db-01: ioWeight 200 is not applied: this host lacks "
                        + io.qfence.model.host.Capability.CGROUP_IO_WEIGHT.requirement()));
        assertThat(V1.warnings()).noneMatch(w -> w.message().contains("ioWeight"));
    }

    @Test
    void v1LimitsLiveInOneDirectoryPerControllerHierarchy() {
        assertThat(cgroup(V1, "group.db/vm.db-01/cgroup").files()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "cpu/cpu.cfs_period_us", "100000",
                "cpu/cpu.cfs_quota_us", "200000",
                "cpu/cpu.shares", "2048",
                "memory/memory.limit_in_bytes", Long.toString(ByteSize.ofMebibytes(736).bytes()),
                "pids/pids.max", "64",
                "blkio/blkio.bfq.weight", "200"));
        assertThat(cgroup(V1, "group.db/cgroup").files()).isEmpty();
    }

    @Test
    void valuesAreRoundedTheWayTheKernelStoresThem() {
        Limits odd = new Limits(Optional.of(new MilliCpus(1)), Optional.of(new ByteSize(1_000_000)), OptionalLong.empty(), OptionalInt.of(9000));
        Map<String, String> v1 = CgroupRealizer.group("p", "g", odd, CgroupVersion.V1, true).files();
        assertThat(v1).containsEntry("memory/memory.limit_in_bytes", "999424")
                .containsEntry("cpu/cpu.cfs_quota_us", "1000")
                .containsEntry("cpu/cpu.shares", "2")
                .containsEntry("blkio/blkio.bfq.weight", "1000");
        Map<String, String> v2 = CgroupRealizer.group("p", "g", odd, CgroupVersion.V2, true).files();
        assertThat(v2).containsEntry("memory.max", "999424").containsEntry("cpu.max", "1000 100000")
                .containsEntry("cpu.weight", "1").containsEntry("io.weight", "default 9000");
    }

    @Test
    void everyFileRealizedIsOneThePlatformObservesAndEveryLimitIsRealizedSomewhere() {
        Limits all = new Limits(Optional.of(MilliCpus.ofCpus(2)), Optional.of(ByteSize.ofMebibytes(512)), OptionalLong.of(64),
                OptionalInt.of(300));
        for (CgroupVersion version : CgroupVersion.values()) {
            Map<String, String> group = CgroupRealizer.group("p", "g", all, version, true).files();
            java.util.Set<String> written = new java.util.TreeSet<>(group.keySet());
            written.addAll(CgroupRealizer.render(new CgroupRealizer.Resolved(all.cpus(), all.memory(), all.pids(),
                    all.ioWeight()), version, true).keySet());
            written.remove("cgroup.subtree_control");

            assertThat(CgroupLimitFile.inWriteOrder(version)).as("%s", version)
                    .containsExactlyInAnyOrderElementsOf(written);
        }
    }
}
