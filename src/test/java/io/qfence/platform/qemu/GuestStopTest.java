package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.qfence.model.host.Guest;
import io.qfence.platform.os.ExitStatus;
import io.qfence.platform.os.Signal;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stop sequence against real guests: powerdown, then quit, then SIGKILL, each step reported. */
@RequiresHost(tools = {"qemu-system-x86_64", "ip", "setpriv", "apt-get", "dpkg-deb", "cpio"})
class GuestStopTest {

    private static ProbeHost host;
    private final List<GuestProcess> started = new ArrayList<>();

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

    @AfterEach
    void killWhatIsLeft() {
        for (GuestProcess p : started) {
            if (!p.hasExited()) {
                p.kill();
            }
            p.close();
        }
    }

    private GuestProcess bootedGuest(ProbeHost.Probe probe) throws IOException {
        Guest guest = host.guest(probe);
        GuestProcess process = GuestLauncher.launch(guest, host.prepare(probe)).process();
        started.add(process);
        try (SerialConsole console = ProbeHost.console(guest)) {
            // booted: init has run, so acpid (if enabled) is listening
            assertThat(console.run("true", Duration.ofSeconds(10)).succeeded()).isTrue();
        }
        return process;
    }

    @Test
    void aGuestThatHandlesThePowerButtonShutsDownOnPowerdown() throws Exception {
        GuestProcess process = bootedGuest(ProbeHost.Probe.bridged("grace", 200131, 31));
        List<StopStep> reported = new ArrayList<>();

        List<StopStep> steps = process.stop(Duration.ofSeconds(30), reported::add);

        assertThat(steps).isEqualTo(reported).extracting(StopStep::phase, StopStep::outcome).containsExactly(
                tuple(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.SENT),
                tuple(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.EXITED));
        assertThat(process.exitStatus().orElseThrow().get(10, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
        System.out.printf("MEASURE stop: powerdown to exit %d ms%n", steps.get(1).elapsed().toMillis());
    }

    @Test
    void aGuestThatIgnoresPowerdownIsEndedWithQuitAfterStopTimeout() throws Exception {
        GuestProcess process = bootedGuest(ProbeHost.Probe.bridged("deaf", 200132, 32).withoutAcpi());

        List<StopStep> steps = process.stop(Duration.ofSeconds(2), step -> { });

        assertThat(steps).extracting(StopStep::phase, StopStep::outcome).containsExactly(
                tuple(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.SENT),
                tuple(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.TIMED_OUT),
                tuple(StopStep.Phase.QUIT, StopStep.StepOutcome.SENT),
                tuple(StopStep.Phase.QUIT, StopStep.StepOutcome.EXITED));
        assertThat(steps.get(1).elapsed()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(process.exitStatus().orElseThrow().get(10, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
    }

    @Test
    void aQemuThatNoLongerAnswersItsMonitorIsKilled() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("hung", 200133, 33);
        GuestProcess process = GuestLauncher.launch(host.guest(probe), host.prepare(probe)).process();
        started.add(process);
        io.qfence.platform.os.PidFd.open(process.pid()).signal(Signal.SIGSTOP); // QMP hangs from here on

        List<StopStep> steps = process.stop(Duration.ofSeconds(1), step -> { });

        assertThat(steps).extracting(StopStep::phase, StopStep::outcome).containsExactly(
                tuple(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.FAILED),
                tuple(StopStep.Phase.QUIT, StopStep.StepOutcome.FAILED),
                tuple(StopStep.Phase.SIGKILL, StopStep.StepOutcome.SENT),
                tuple(StopStep.Phase.SIGKILL, StopStep.StepOutcome.EXITED));
        assertThat(process.exitStatus().orElseThrow().get(10, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Killed(9, false));
    }

    @Test
    void stoppingAGuestThatHasAlreadyExitedReportsJustThat() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("gone", 200134, 34);
        GuestProcess process = GuestLauncher.launch(host.guest(probe), host.prepare(probe)).process();
        started.add(process);
        process.kill();

        assertThat(process.stop(Duration.ofSeconds(1), step -> { })).extracting(StopStep::phase, StopStep::outcome, StopStep::detail)
                .containsExactly(tuple(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.EXITED, "already exited"));
    }
}
