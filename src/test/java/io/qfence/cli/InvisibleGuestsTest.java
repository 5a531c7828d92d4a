package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No guest is invisible (issue 22): a QEMU of qfence's without a record (as an apply killed between spawn and record
 * leaves it) is shown by {@code state} and {@code plan} and stopped when its VM is removed, before its cgroup goes; a
 * QEMU that runs as one of the host's VM uids outside qfence's cgroups is reported and left alone. Checked from
 * outside too ({@code /proc}, the cgroup file system). Each run has a uid range of its own.
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "setpriv"})
class InvisibleGuestsTest {

    LiveSandbox sandbox;
    Path desired;
    long firstUid;

    @BeforeEach
    void createSandbox() throws IOException {
        sandbox = LiveSandbox.create();
        desired = sandbox.forGuests(ApplyGuestsTest.DESIRED);
        firstUid = LiveSandbox.privateUidRange(desired);
        LiveSandbox.removeVm(desired, "p1", "p-2"); // p-1 (bridged) and u-1 (user-mode): p-2 adds only boot time
    }

    @AfterEach
    void removeSandbox() throws Exception {
        try {
            GuestKills.killAll(sandbox);
        } finally {
            sandbox.close();
            ApplyGuestsTest.assertNothingLeftOf(sandbox);
        }
    }

    @Test
    void aGuestWithoutARecordIsShownAndStoppedWhenItsVmIsRemovedBeforeItsCgroupGoes() throws Exception {
        CliRun first = cli("apply", "--auto-approve");
        assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
        long pid = GuestKills.recordedPids(sandbox).get("p-1");
        Files.delete(sandbox.stateDir().resolve("guests/p-1.json")); // as if the apply had died before writing it
        Files.delete(sandbox.dir.resolve("run/p-1/qemu.pid")); // and the VM's uid had removed its pidfile
        Path group = desired.resolve("groups/p1.yaml");
        String s = Files.readString(group);
        Files.writeString(group, s.substring(0, s.indexOf("    - name: p-1\n")) + s.substring(s.indexOf("    - name: u-1\n")));

        CliRun state = cli("state", "--format", "json");
        assertThat(state.exitCode()).as(state.err()).isZero();
        assertThat(state.out()).contains("\"group.p1/vm.p-1\"", "\"unrecorded\" : true");
        CliRun plan = cli("plan");
        assertThat(plan.exitCode()).as(plan.out() + plan.err()).isEqualTo(2);
        assertThat(plan.out()).contains("< guest \"group.p1/vm.p-1\"", "interrupted start: running (pid " + pid + ") without qfence's record; "
                + "not wanted, so stopped");

        CliRun apply = cli("apply", "--auto-approve");

        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
        assertThat(apply.out()).doesNotContain("Device or resource busy");
        assertThat(ProcessInfo.read(pid).filter(i -> !i.hasEnded())).as("p-1's QEMU, from /proc").isEmpty();
        assertThat(sandbox.cgroupDirs("pids")).as("p-1's cgroup is gone").doesNotContain("p1/p-1");
        assertThat(cli("plan").exitCode()).isZero();
    }

    @Test
    void aQemuRunningAsAVmUidOutsideQfencesCgroupsIsReportedAndLeftAlone() throws Exception {
        long uid = firstUid + 999;
        Process qemu = new ProcessBuilder("setpriv", "--reuid", Long.toString(uid), "--regid", Long.toString(uid), "--clear-groups",
                "/usr/bin/qemu-system-x86_64", "-S", "-nodefaults", "-display", "none", "-accel", "tcg", "-m", "16")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long pid = qemu.pid();
            for (int i = 0; i < 50 && ProcessInfo.read(pid).map(p -> p.cmdline().isEmpty() || !p.cmdline().get(0).contains("qemu")).orElse(true); i++) {
                Thread.sleep(100);
            }
            CliRun state = cli("state");
            assertThat(state.exitCode()).as(state.err()).isZero();
            assertThat(state.err()).contains("QEMU process pid " + pid + " is not qfence's (it runs as uid " + uid
                    + ", one of this host's VM uids, but outside qfence's cgroups and records");
            CliRun plan = cli("plan");
            assertThat(plan.out() + plan.err()).contains("QEMU process pid " + pid).doesNotContain("< guest");
            assertThat(ProcessInfo.read(pid).filter(i -> !i.hasEnded())).as("left alone").isPresent();
        } finally {
            try (PidFd fd = PidFd.open(qemu.pid())) {
                fd.signal(Signal.SIGKILL);
                fd.awaitExit(Duration.ofSeconds(10));
            } catch (RuntimeException gone) {
                // ended
            }
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
    }

    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir", sandbox.dir.resolve("run").toString(),
                "--images-root", sandbox.dir.resolve("images").toString(), "--cgroup-parent", sandbox.cgroupParent, "--dir", desired.toString()));
        return CliRun.onHost(io.qfence.app.Main.liveHost(), "", args.toArray(String[]::new));
    }
}
