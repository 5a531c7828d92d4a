package io.qfence.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.apply.ReadinessWait;
import io.qfence.host.GuestPort;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.qemu.QemuGuests;
import io.qfence.testing.MutableClock;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code apply --wait-ready} as the CLI runs it: {@link ReadinessWait} asks the live guest port, which reads each
 * guest's console log (its run directory's {@code serial.log}) and nothing else. The consoles here are files written
 * by the test, the way QEMU's {@code logfile=} writes them, and the clock and the pauses are fake; so each case shows
 * what a guest's console must say, byte for byte, for the wait to end, and what the wait prints otherwise.
 *
 * <p>Both live ports are asked: {@link LiveGuests} before it is bound to a host (what the CLI's apply holds; it once
 * answered "this port reads no consoles" and every wait timed out) and the bound port, {@link QemuGuests}.
 */
class WaitReadyConsolesTest {

    static final String SEED = "qf-0123456789abcdef";
    /** What the real image prints before cloud-init's final stage (abridged from a RealGuestsThroughTheBastionTest log). */
    static final String BOOT = "[    0.000000] Linux version 6.1.0-41-cloud-amd64 (debian-kernel@lists.debian.org)\r\n"
            + "[  OK  ] Started \u001b[0;1;39mssh.service\u001b[0m - OpenBSD Secure Shell server.\r\n"
            + "[   61.220193] cloud-init[356]: Cloud-init v. 22.4.2 running 'modules:final' at Tue, 08 Dec 2026 01:10:01 +0000. Up 60.91 seconds.\r\n";

    @TempDir
    Path run;

    private final NetNamespace netns = NetNamespace.current();
    private final List<String> lines = new ArrayList<>();
    /** Bytes appended to a guest's console when the fake clock passes a second: the guest printing while qfence waits. */
    private final Map<Long, Map<String, String>> printedAt = new HashMap<>();
    private final Instant start = Instant.parse("2026-12-08T01:00:00Z");

    @AfterEach
    void closeNamespaceHandle() {
        netns.close();
    }

    static Stream<String> ports() {
        return Stream.of("unbound", "bound");
    }

    private GuestPort port(String which) {
        CgroupFs cgroups = new CgroupFs(new CgroupLayout(CgroupVersion.V2, run.resolve("no-cgroups"), Map.of(), Set.of()));
        return which.equals("unbound") ? new LiveGuests(cgroups, netns)
                : new QemuGuests(QemuGuests.Settings.of(run.resolve("images"), run.resolve("state"), cgroups));
    }

    private final MutableClock clock = new MutableClock(start);

    /** A running guest whose console log is {@code run/<vm>/serial.log}; {@code seeded}: qfence gave it a seed. */
    private Guest guest(String vm, boolean seeded) throws IOException {
        Path dir = Files.createDirectories(run.resolve(vm));
        String d = dir.toString();
        GuestLaunch launch = new GuestLaunch(d, d + "/qmp.sock", d + "/serial.sock", d + "/serial.log", d + "/qemu.pid", List.of(),
                "qfence.slice/web/" + vm, Optional.empty(), Duration.ofSeconds(30));
        List<String> argv = seeded ? List.of("/usr/bin/qemu-system-x86_64", "-device", "virtio-blk-pci,drive=seed0,serial=" + SEED)
                : List.of("/usr/bin/qemu-system-x86_64");
        return new Guest("group.web/vm." + vm, vm, "web", 200001, 200001, argv, "d", new TreeMap<>(), GuestState.RUNNING, launch,
                GuestRuntime.NONE);
    }

    private void console(String vm, String text) throws IOException {
        Files.write(run.resolve(vm).resolve("serial.log"), text.getBytes(StandardCharsets.ISO_8859_1), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    private ReadinessWait.Waited await(String port, List<Guest> guests, Duration timeout) throws Exception {
        return ReadinessWait.await(port(port), guests, timeout, Duration.ofSeconds(1), clock, d -> {
            clock.advance(d);
            for (Map.Entry<String, String> e : printedAt.getOrDefault(Duration.between(start, clock.instant()).getSeconds(), Map.of()).entrySet()) {
                try {
                    console(e.getKey(), e.getValue());
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
            }
        }, (address, message) -> lines.add(address + ": " + message));
    }

    @ParameterizedTest(name = "{0} port")
    @MethodSource("ports")
    void aConsoleThatPrintsTheFinalLineWhileQfenceWaitsEndsTheWaitForThatGuest(String port) throws Exception {
        Guest app = guest("web-app-1", false);
        console("web-app-1", BOOT);
        printedAt.put(3L, Map.of("web-app-1", "[   63.004417] cloud-init[356]: qfence-ready boot-"));
        printedAt.put(4L, Map.of("web-app-1", "seconds=62.95\r\n[  OK  ] Finished cloud-final.service\r\n"));

        ReadinessWait.Waited outcome = await(port, List.of(app), Duration.ofMinutes(25));

        assertThat(outcome.allReady()).isTrue();
        assertThat(outcome.waited()).as("a half-printed line is not ready; the wait ends when the line is whole").isEqualTo(Duration.ofSeconds(4));
        assertThat(lines).containsExactly("group.web/vm.web-app-1: ready: cloud-init finished 62.95 s after boot, seen after 4.0 s");
    }

    @ParameterizedTest(name = "{0} port")
    @MethodSource("ports")
    void aSeededGuestIsReadyOnlyWithItsOwnSeedsInstanceId(String port) throws Exception {
        Guest app = guest("web-app-1", true);
        console("web-app-1", BOOT + "[   63.004417] cloud-init[356]: QF-CLOUD-INIT-DONE qf-fedcba9876543210\r\n");
        printedAt.put(2L, Map.of("web-app-1", BOOT + "[   58.100000] cloud-init[351]: QF-CLOUD-INIT-DONE " + SEED + "\r\n"));

        ReadinessWait.Waited outcome = await(port, List.of(app), Duration.ofMinutes(25));

        assertThat(outcome.statuses()).containsExactly(Map.entry("web-app-1", new BootStatus.Finished(Optional.of(SEED), Optional.empty())));
        assertThat(lines).containsExactly("group.web/vm.web-app-1: ready: cloud-init finished (instance " + SEED + "), seen after 2.0 s");
    }

    @ParameterizedTest(name = "{0} port")
    @MethodSource("ports")
    void aGuestStillBootingOrWithoutAConsoleYetIsNamedAtTheTimeoutWithWhatItShowed(String port) throws Exception {
        Guest booting = guest("web-app-1", false);
        Guest silent = guest("web-app-2", false);
        console("web-app-1", BOOT);

        ReadinessWait.Waited outcome = await(port, List.of(booting, silent), Duration.ofSeconds(30));

        assertThat(outcome.allReady()).isFalse();
        assertThat(outcome.waited()).isEqualTo(Duration.ofSeconds(30));
        assertThat(lines).containsExactly("group.web/vm.web-app-1: not ready after 30.0 s: booting",
                "group.web/vm.web-app-2: not ready after 30.0 s: unknown (no console log)");
    }

    /**
     * cloud-init failing (its final stage never runs, or fails before the final message) prints no readiness line:
     * the guest is not ready, and the wait says so at its timeout. (A module that fails inside the final stage does
     * not stop the final message: cloud-init prints it at the end of the stage whatever the modules did, so such a
     * guest counts as ready; its console and {@code cloud-init status} inside say what failed.)
     */
    @ParameterizedTest(name = "{0} port")
    @MethodSource("ports")
    void aGuestWhoseCloudInitFailedIsNotReady(String port) throws Exception {
        Guest app = guest("web-app-1", true);
        console("web-app-1", "[    0.000000] Linux version 6.1.0-41-cloud-amd64\r\n"
                + "[   40.118520] cloud-init[233]: 2026-12-08 01:10:01,118 - util.py[WARNING]: Getting data from <class 'cloudinit.sources."
                + "DataSourceNoCloud.DataSourceNoCloud'> failed\r\n"
                + "[\u001b[0;1;31mFAILED\u001b[0m] Failed to start \u001b[0;1;39mcloud-init.service\u001b[0m - Initial cloud-init job (metadata service crawler).\r\n"
                + "[\u001b[0;1;31mFAILED\u001b[0m] Failed to start \u001b[0;1;39mcloud-final.service\u001b[0m - Execute cloud user/final scripts.\r\n"
                + "[   52.003001] cloud-init[301]: Cloud-init v. 22.4.2 finished at Tue, 08 Dec 2026 01:10:13 +0000. Datasource DataSourceNone."
                + "  Up 51.97 seconds\r\n");

        ReadinessWait.Waited outcome = await(port, List.of(app), Duration.ofSeconds(10));

        assertThat(outcome.notReady()).containsExactly("web-app-1");
        assertThat(lines).containsExactly("group.web/vm.web-app-1: not ready after 10.0 s: booting");
    }

    /**
     * The console is the guest's: NUL bytes, terminal escapes, bytes that are not ASCII, bare carriage returns and
     * overlong lines are skipped, and a readiness line counts only when it stands whole on its line (a line made to
     * look ready on a terminal by erasing its start does not count). A real line after the garbage still does.
     */
    @ParameterizedTest(name = "{0} port")
    @MethodSource("ports")
    void garbageAndControlCharactersOnTheConsoleNeverMakeAGuestReadyButDoNotHideARealLine(String port) throws Exception {
        Guest app = guest("web-app-1", false);
        String garbage = "\u0000\u0000\u00ff\u00fe\u001b[2J\u001b[H\r\n"
                + "x\rqfence-ready boot-seconds=1\r\n"                              // a carriage return inside the line
                + "\u001b[2Kqfence-ready boot-seconds=2\r\n"                        // an erase-line escape before it
                + "qfence-ready boot-seconds=3\u0000\r\n"                           // a NUL after it
                + "qfence-ready boot-seconds=\u00b9\r\n"                            // a byte that is not ASCII
                + "[   63.004417] cloud-init[356]: qfence-ready boot-seconds=4 \u001b[0m\r\n" // an escape after it
                + "y".repeat(100_000) + "qfence-ready boot-seconds=5\r\n";          // the end of an overlong line
        console("web-app-1", garbage);

        ReadinessWait.Waited noise = await(port, List.of(app), Duration.ofSeconds(5));
        assertThat(noise.notReady()).containsExactly("web-app-1");
        assertThat(lines).containsExactly("group.web/vm.web-app-1: not ready after 5.0 s: booting");

        lines.clear();
        console("web-app-1", "[   64.500000] cloud-init[356]: qfence-ready boot-seconds=64.41\r\n");
        ReadinessWait.Waited ready = await(port, List.of(app), Duration.ofSeconds(5));
        assertThat(ready.statuses()).containsExactly(Map.entry("web-app-1", new BootStatus.Finished(Optional.empty(), new BigDecimal("64.41"))));
    }
}
