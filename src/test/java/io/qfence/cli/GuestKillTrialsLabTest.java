package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.lab.LabTestRunner;
import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.testing.ProductionKernel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * {@link GuestKillTrialsTest}'s start-phase trials on the lab's Debian kernel, reduced to three kill points (at the
 * spawn, between the record and {@code cont}, right after {@code cont}). After each kill, exactly one QEMU per VM runs
 * in its cgroup v2 leaf, the ones that ran at the kill are kept, and one apply converges.
 *
 * <p>The trials need QEMU processes, not booted guests: apply does not wait for a guest's boot, and the checks ask
 * QEMU (QMP, {@code /proc}, the cgroups), never the guest. Under TCG inside the lab's TCG a booting guest takes a whole
 * lab vCPU for many minutes, and five of them (restarted by every trial) left the trial's own JVMs almost no CPU;
 * lowering the groups' {@code cpu.max} to half a CPU instead made three starts of one group miss QMP's deadline. So
 * here the guests boot {@link #HALTING_KERNEL}, a multiboot image whose one instruction halts the vCPU: QEMU starts,
 * runs and answers QMP exactly as with the probe kernel, and its guest uses no CPU. The desired state is unchanged.
 */
@ProductionKernel
@Tag(LabTestRunner.NESTED_GUESTS) // not in bin/test's lab run: its minutes do not fit the 25-minute budget (DESIGN.md §16)
class GuestKillTrialsLabTest extends GuestKillTrialsTest {

    /**
     * A multiboot kernel (loaded by QEMU's own multiboot loader, so it needs no boot loader) that halts at once: the
     * header (magic, flags with only the address fields bit, checksum; header, load and entry addresses at 1 MiB, the
     * entry right after the 32-byte header), then {@code cli; hlt; jmp .-1}.
     */
    private static final byte[] HALTING_KERNEL = haltingKernel();

    @BeforeAll
    static void aV2HostWithWhatTheGuestsNeed() throws Exception {
        assertThat(CgroupLayout.detect().version()).isEqualTo(CgroupVersion.V2);
        assertThat(CgroupLayout.detect().missing()).isEmpty();
        LabHost.loadBrNetfilter();
    }

    /** Runs after the sandbox's copy of the images is made (JUnit runs the superclass's {@code @BeforeEach} first). */
    @BeforeEach
    void guestsThatHaltAtOnce() throws IOException {
        Files.write(sandbox.dir.resolve("images/kernels/vmlinuz"), HALTING_KERNEL);
    }

    private static byte[] haltingKernel() {
        int magic = 0x1BADB002;
        int flags = 0x00010000;
        int at = 0x100000;
        ByteBuffer image = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        image.putInt(magic).putInt(flags).putInt(-(magic + flags)).putInt(at).putInt(at).putInt(0).putInt(0).putInt(at + 32);
        image.put(new byte[] {(byte) 0xfa, (byte) 0xf4, (byte) 0xeb, (byte) 0xfd});
        return image.array();
    }

    @Override
    List<Kill> startKills(Random random) {
        return super.startKills(random).subList(0, 3);
    }

    /** The lab's project directory is read-only (its payload disk); the counts also go to standard output. */
    @Override
    Path reportFile() {
        return Path.of(System.getProperty("java.io.tmpdir"), "kill-trials.txt");
    }

    /**
     * Not a test here (JUnit runs an overridden test method only when the override is annotated): the stop trials wait
     * for nested-TCG guests to boot and answer the power button, minutes in the lab, and they exercise no cgroup
     * layout difference the start trials do not.
     */
    @Override
    void everyKillWhileStoppingGuestsConvergesWithOneApply() {}
}
