package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresHost
class SpawnerTest {

    @TempDir
    Path dir;

    private static Descriptor openForReading(Path file) {
        int fd = OsNative.check(OsNative.LIBC.open(file.toString(), OsNative.LibC.O_RDONLY | OsNative.LibC.O_CLOEXEC, 0), "open");
        return new Descriptor(fd, file.toString());
    }

    @Test
    void childGetsExactlyTheRequestedDescriptorsItsOwnSessionAndTheGivenEnvironment() throws Exception {
        Path inherited = Files.writeString(dir.resolve("inherited"), "x");
        Path log = dir.resolve("child.log");
        // A descriptor that is not close-on-exec, to show that closefrom catches what CLOEXEC would miss.
        int leaky = OsNative.check(OsNative.LIBC.open("/dev/null", OsNative.LibC.O_RDONLY, 0), "open");
        try (Descriptor source = openForReading(inherited)) {
            Spawner.Spawned child = Spawner.spawn(new Spawner.Request(Path.of("/bin/sleep"), List.of("sleep", "60"),
                    new TreeMap<>(Map.of("PATH", "/usr/bin:/bin", "QF", "1")),
                    List.of(new Spawner.FdAction.OpenRead(0, Path.of("/dev/null")),
                            new Spawner.FdAction.CreateNew(1, log, 0600),
                            new Spawner.FdAction.Duplicate(1, 2),
                            new Spawner.FdAction.Inherit(source, 3)),
                    4, true));
            try (PidFd process = PidFd.open(child.pid())) {
                Path fds = Path.of("/proc/" + child.pid() + "/fd");
                assertThat(settledDescriptors(fds, List.of("0", "1", "2", "3"))).containsExactlyInAnyOrder("0", "1", "2", "3");
                assertThat(Files.readSymbolicLink(fds.resolve("3"))).isEqualTo(inherited);
                assertThat(Files.readSymbolicLink(fds.resolve("2"))).isEqualTo(log);
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-------");

                ProcessInfo info = ProcessInfo.read(child.pid()).orElseThrow();
                assertThat(info.sessionId()).as("setsid").isEqualTo(child.pid());
                assertThat(info.ppid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(environOnceExecDone(child.pid())).isEqualTo("PATH=/usr/bin:/bin\0QF=1\0");
                List<String> status = Files.readAllLines(Path.of("/proc/" + child.pid() + "/status"));
                assertThat(status).contains("SigBlk:\t0000000000000000");
                // No standard signal (1-31) ignored. glibc keeps its internal signals 32 and 33 out of
                // POSIX_SPAWN_SETSIGDEF; every glibc program installs its own handlers for them at start.
                long ignored = Long.parseUnsignedLong(status.stream().filter(l -> l.startsWith("SigIgn:")).findFirst()
                        .orElseThrow().substring(7).strip(), 16);
                assertThat(ignored & 0x7fffffffL).isZero();

                process.signal(Signal.SIGKILL);
                assertThat(child.exit().get(10, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Killed(9, false));
                assertThat(process.hasExited()).isTrue();
            }
        } finally {
            OsNative.LIBC.close(leaky);
        }
    }

    /**
     * posix_spawn returns once the kernel has released the parent during exec, a moment before it has filled in the
     * new program's environment pointers; until then /proc/PID/environ reads empty. Bounded, and only that window.
     */
    /**
     * The child's descriptors once its program has started: posix_spawn returns after the exec, but the dynamic
     * loader of the new program then briefly opens its libraries on the next free descriptor (seen as a passing "4"
     * on a busy machine). A descriptor that stays open (a leak) is still there after the bounded wait and fails.
     */
    private static List<String> settledDescriptors(Path fds, List<String> expected) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        List<String> seen;
        do {
            try (Stream<Path> entries = Files.list(fds)) {
                seen = entries.map(p -> p.getFileName().toString()).sorted().toList();
            }
            if (seen.equals(expected) || System.nanoTime() > deadline) {
                return seen;
            }
            Thread.sleep(20);
        } while (true);
    }

    private static String environOnceExecDone(long pid) throws Exception {
        Path environ = Path.of("/proc/" + pid + "/environ");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String content = Files.readString(environ);
        while (content.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
            content = Files.readString(environ);
        }
        return content;
    }

    @Test
    void exitStatusOfTheChildIsReported() throws Exception {
        Spawner.Spawned child = Spawner.spawn(Spawner.Request.of(Path.of("/bin/sh"), List.of("sh", "-c", "exit 7"), Map.of()));
        assertThat(child.exit().get(10, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(7));
        assertThat(child.exit().get().describe()).isEqualTo("exited with status 7");
    }

    @Test
    void aMissingProgramFailsWithItsErrno() {
        assertThatThrownBy(() -> Spawner.spawn(Spawner.Request.of(Path.of("/nonexistent/qemu"), List.of("qemu"), Map.of())))
                .isInstanceOfSatisfying(OsException.class, e -> assertThat(e.errno()).isEqualTo(2))
                .hasMessageContaining("posix_spawn /nonexistent/qemu");
    }

    @Test
    void anExistingLogFileIsNeverOpenedSoAPlantedSymlinkCannotRedirectIt() throws IOException {
        Path target = Files.writeString(dir.resolve("target"), "precious");
        Path log = Files.createSymbolicLink(dir.resolve("child.log"), target);
        // posix_spawn reports a failing file action as the spawn's own error (glibc 2.24+)
        assertThatThrownBy(() -> Spawner.spawn(Spawner.Request.of(Path.of("/bin/true"), List.of("true"), Map.of())
                .withFdActions(List.of(new Spawner.FdAction.CreateNew(1, log, 0600)), 3)))
                .isInstanceOfSatisfying(OsException.class, e -> assertThat(e.errno()).isEqualTo(17));
        assertThat(Files.readString(target)).isEqualTo("precious");
    }

    @Test
    void pidFdWaitsForTheEndOfAProcess() {
        Spawner.Spawned child = Spawner.spawn(Spawner.Request.of(Path.of("/bin/sleep"), List.of("sleep", "0.2"), Map.of()));
        try (PidFd process = PidFd.open(child.pid())) {
            assertThat(process.hasExited()).isFalse();
            assertThat(process.awaitExit(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void requestsAreValidated() {
        assertThatThrownBy(() -> Spawner.Request.of(Path.of("sh"), List.of("sh"), Map.of()))
                .hasMessage("program must be an absolute path, got sh");
        assertThatThrownBy(() -> Spawner.Request.of(Path.of("/bin/sh"), List.of("sh", "a\0b"), Map.of()))
                .hasMessage("argument contains a NUL character");
        assertThatThrownBy(() -> Spawner.Request.of(Path.of("/bin/sh"), List.of("sh"), Map.of()).withFdActions(List.of(), 2))
                .hasMessage("closeFrom must be >= 3 (stdin, stdout and stderr stay), got 2");
    }
}
