package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.qemu.SerialConsole;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fail-open of issue 22, as a regression test on the real host: a user-mode VM is removed from the desired state
 * while its guest runs, and {@code apply --scope firewall} would have removed its {@code meta skuid} dispatch (and
 * with it the drop toward the host's loopback), letting the guest reach a listener on {@code 127.0.0.1}. Now the plan
 * is refused, naming the guest; the guest keeps running, its rules stay (checked with {@code nft}), and it still
 * cannot reach the loopback listener (checked from inside the guest, with {@code nc} on its console). An apply with
 * guests in scope then stops it first and converges.
 *
 * <p>Other test runs on this machine start guests with the bundled uid range at the same time: this test gives its
 * host a uid range of its own.
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "setpriv"})
class ScopedApplyKeepsGuestIsolationTest {

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
    void aScopedApplyThatWouldRemoveARunningUserModeGuestsRulesIsRefusedAndTheGuestStillCannotReachTheLoopback() throws Exception {
        CliRun first = cli("apply", "--auto-approve");
        assertThat(first.exitCode()).as(first.out() + first.err()).isZero();
        long pid = GuestKills.recordedPids(sandbox).get("u-1");
        long uid = ProcessInfo.read(pid).orElseThrow().uids().get(0);
        sandbox.witness("ip", "link", "set", "lo", "up"); // the sandbox's own loopback, for the listener

        try (ServerSocket listener = NetNamespace.open(NetNamespace.DEFAULT_DIR.resolve(sandbox.name))
                .call(() -> new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
             SerialConsole console = SerialConsole.connect(sandbox.dir.resolve("run/u-1/serial.sock"))) {
            AtomicInteger answered = serve(listener);
            console.awaitShell(Duration.ofSeconds(240), Duration.ofSeconds(1));
            String probe = "nc -w 2 10.0.2.2 " + listener.getLocalPort() + " </dev/null";
            assertThat(console.run(probe, Duration.ofSeconds(30)).exitCode()).as("u-1 is desired: its loopback drop holds").isNotZero();

            replace("groups/p1.yaml", group -> group.substring(0, group.indexOf("    - name: u-1\n")));
            CliRun scoped = cli("apply", "--auto-approve", "--scope", "firewall");

            assertThat(scoped.exitCode()).as(scoped.out() + scoped.err()).isEqualTo(1);
            assertThat(scoped.out() + scoped.err()).contains("firewall would take away", "of group.p1/vm.u-1, which is running",
                    "the plan must stop it first");
            assertThat(ProcessInfo.read(pid).filter(i -> !i.hasEnded())).as("u-1 still runs").isPresent();
            String inet = sandbox.witness("nft", "list", "table", "inet", "qfence");
            assertThat(inet).as("u-1's skuid dispatch and chain stay").contains(uid + " : jump user_u_1", "chain user_u_1",
                    "fib daddr type local");
            assertThat(console.run(probe, Duration.ofSeconds(30)).exitCode()).as("u-1 still cannot reach the host's loopback").isNotZero();
            assertThat(answered.get()).as("connections the loopback listener accepted from the guest").isZero();

            // with guests in scope the plan stops u-1 before its rules go, and converges
            CliRun whole = cli("apply", "--auto-approve");
            assertThat(whole.exitCode()).as(whole.out() + whole.err()).isZero();
            assertThat(whole.out()).contains("< guest \"group.p1/vm.u-1\"");
            assertThat(ProcessInfo.read(pid).filter(i -> !i.hasEnded())).as("u-1 was stopped").isEmpty();
            assertThat(sandbox.witness("nft", "list", "table", "inet", "qfence")).doesNotContain("user_u_1");
            CliRun again = cli("plan");
            assertThat(again.exitCode()).as(again.out() + again.err()).isZero();
        }
    }

    /** Accepts connections in the background and answers each; counts them. */
    private static AtomicInteger serve(ServerSocket listener) {
        AtomicInteger count = new AtomicInteger();
        Thread t = new Thread(() -> {
            while (!listener.isClosed()) {
                try (Socket s = listener.accept(); OutputStream out = s.getOutputStream()) {
                    count.incrementAndGet();
                    out.write("QF-LOOPBACK\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closed) {
                    return;
                }
            }
        }, "loopback-listener");
        t.setDaemon(true);
        t.start();
        return count;
    }

    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir", sandbox.dir.resolve("run").toString(),
                "--images-root", sandbox.dir.resolve("images").toString(), "--cgroup-parent", sandbox.cgroupParent, "--dir", desired.toString()));
        return CliRun.onHost(io.qfence.app.Main.liveHost(), "", args.toArray(String[]::new));
    }

    void replace(String file, String from, String to) throws IOException {
        replace(file, s -> {
            assertThat(s).contains(from);
            return s.replace(from, to);
        });
    }

    void replace(String file, java.util.function.UnaryOperator<String> edit) throws IOException {
        Path f = desired.resolve(file);
        Files.writeString(f, edit.apply(Files.readString(f)));
    }
}
