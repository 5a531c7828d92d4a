package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Guest;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Guests are never qfence's children in a way that matters: they outlive it, and a new qfence adopts them. */
@RequiresHost(tools = {"qemu-system-x86_64", "ip", "setpriv", "apt-get", "dpkg-deb", "cpio"})
class GuestSurvivalTest {

    private static ProbeHost host;

    @BeforeAll
    static void createHost() throws IOException {
        host = new ProbeHost();
    }

    @AfterAll
    static void removeHost() throws IOException {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aGuestOutlivesTheQfenceThatStartedItAndIsAdoptedFromItsPidfile() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("phoenix", 200141, 41);
        Guest guest = host.guest(probe);
        GuestLauncher.Options options = host.prepare(probe);

        List<String> command = new ArrayList<>(ChildJvm.command(LaunchInSeparateJvm.class.getName()));
        command.addAll(List.of(host.ns.path().toString(), host.runRoot.toString(), host.imagesRoot.toString(), host.subnetPrefix, host.name,
                probe.vm(), Long.toString(probe.uid()), Integer.toString(probe.lastOctet())));
        options.cgroupDirs().forEach(d -> command.add(d.toString()));
        Process launcher = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(launcher.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(launcher.exitValue()).as(output).isZero();
        long pid = Long.parseLong(output.lines().filter(l -> l.startsWith("PID ")).findFirst().orElseThrow().substring(4));

        try (PidFd survivor = PidFd.open(pid)) {
            ProcessInfo info = ProcessInfo.read(pid).orElseThrow();
            assertThat(info.hasEnded()).isFalse();
            assertThat(info.ppid()).as("re-parented away from the launcher that exited").isNotEqualTo(launcher.pid());
            assertThat(info.sessionId()).isEqualTo(pid);

            GuestPidFiles.Finding finding = GuestPidFiles.find(guest);
            assertThat(finding).isInstanceOf(GuestPidFiles.Finding.Running.class);
            GuestPidFiles.Finding.Running running = (GuestPidFiles.Finding.Running) finding;
            try (GuestProcess adopted = running.process()) {
                assertThat(adopted.pid()).isEqualTo(pid);
                assertThat(running.observedDigest()).isEqualTo(guest.configDigest());
                assertThat(adopted.exitStatus()).as("not our child: its status goes to its new parent").isEmpty();
                assertThat(adopted.queryStatus(Duration.ofSeconds(10))).isEqualTo(new QmpStatus("running", true));
                Optional<String> name = adopted.withQmp(Duration.ofSeconds(10), qmp -> qmp.queryName(Duration.ofSeconds(10)));
                assertThat(name).contains("phoenix");

                // A crash: the pidfile stays, the process ends. Observation says so, and gathers what evidence is left.
                survivor.signal(Signal.SIGKILL);
                assertThat(adopted.awaitExit(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(GuestPidFiles.find(guest)).isInstanceOf(GuestPidFiles.Finding.Ended.class);
            assertThat(CrashEvidence.describe(Path.of(guest.launch().runDir()), java.util.OptionalLong.empty())).isNotEmpty();
        }
    }

    @Test
    void aPidfileNamingSomeoneElsesProcessIsForeignAndNeverAdopted() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("imposter", 200142, 42);
        Guest guest = host.guest(probe);
        Path runDir = Path.of(guest.launch().runDir());
        GuestFiles.prepareRunDir(runDir, probe.uid(), probe.uid());
        // The VM's uid owns its run directory and could write any pid there: e.g. this JVM's.
        java.nio.file.Files.writeString(runDir.resolve("qemu.pid"), ProcessHandle.current().pid() + "\n");

        GuestPidFiles.Finding finding = GuestPidFiles.find(guest);

        assertThat(finding).isInstanceOf(GuestPidFiles.Finding.Foreign.class);
        assertThat(((GuestPidFiles.Finding.Foreign) finding).reason()).contains("runs as uids [0, 0, 0, 0], not 200142");
        assertThat(GuestPidFiles.find(host.guest(ProbeHost.Probe.bridged("nobody", 200143, 43)))).isEqualTo(new GuestPidFiles.Finding.Missing());
    }
}
