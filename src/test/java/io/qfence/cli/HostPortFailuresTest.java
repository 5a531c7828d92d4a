package io.qfence.cli;

import static io.qfence.model.errors.HostPortException.Port.CGROUPS;
import static io.qfence.model.errors.HostPortException.Port.FIREWALL;
import static io.qfence.model.errors.HostPortException.Port.GUESTS;
import static io.qfence.model.errors.HostPortException.Port.HOST;
import static io.qfence.model.errors.HostPortException.Port.LINKS;
import static io.qfence.model.errors.HostPortException.Port.SYSCTLS;
import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.host.FakeHost;
import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.Ipv4Address;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No failure of the host reaches the user untranslated: each kind of port failure, injected through the fake host in
 * each phase (observing for {@code plan} and {@code state}, changing for {@code apply}), is said in one line that names
 * the part of the host, the object, the operation and the errno or cause, with exit code 1, and never as an "internal
 * error" with a stack trace. So does a failure of {@code verify}'s sandbox while it sets itself up (its namespaces,
 * uplink, listeners and the guests' serial consoles), injected through the sandbox port. A programming error below the
 * ports still is one.
 */
class HostPortFailuresTest {

    @TempDir
    Path tmp;

    private final FakeHost host = new FakeHost();

    private CliRun run(String... args) {
        String[] all = Stream.concat(Stream.of(args), Stream.of("--state-dir", tmp.resolve("state").toString())).toArray(String[]::new);
        return CliRun.onHost(CliRun.connector(host), "", all);
    }

    /** One failure of each port while observing: the refused observation, the failure, and the line the user reads. */
    static Stream<Arguments> observationFailures() {
        return Stream.of(
                Arguments.of("facts", FakeHost.refusal(HOST, "probe link kinds", "link capabilities", 1,
                                "Operation not permitted (EPERM, errno 1)"),
                        "qfence: error: host: link capabilities: probe link kinds: Operation not permitted (EPERM, errno 1)"),
                Arguments.of("observe links", FakeHost.refusal(LINKS, "dump links", "links", 105, "No buffer space available (ENOBUFS, errno 105)"),
                        "qfence: error: links: links: dump links: No buffer space available (ENOBUFS, errno 105)"),
                Arguments.of("read sysctl net.ipv4.ip_forward", FakeHost.refusal(SYSCTLS, "read sysctl net.ipv4.ip_forward",
                                "sysctl net.ipv4.ip_forward", 5, "Input/output error (errno 5)"),
                        "qfence: error: sysctls: sysctl net.ipv4.ip_forward: read sysctl net.ipv4.ip_forward: Input/output error (errno 5)"),
                Arguments.of("observe firewall", FakeHost.refusal(FIREWALL, "list ruleset", "nft ruleset",
                                "netlink: Error: cache initialization failed: Operation not permitted"),
                        "qfence: error: firewall: nft ruleset: list ruleset: netlink: Error: cache initialization failed: Operation not permitted"),
                Arguments.of("list cgroups qfence.slice", FakeHost.refusal(CGROUPS, "list /sys/fs/cgroup/qfence.slice", "cgroup qfence.slice", 13,
                                "Permission denied (errno 13)"),
                        "qfence: error: cgroups: cgroup qfence.slice: list /sys/fs/cgroup/qfence.slice: Permission denied (errno 13)"),
                Arguments.of("observe guests", FakeHost.refusal(GUESTS, "observe", "guests in /var/lib/qfence",
                                "unreadable guest record /var/lib/qfence/guests/web-app-1.json: not a regular file"),
                        "qfence: error: guests: guests in /var/lib/qfence: observe: unreadable guest record "
                                + "/var/lib/qfence/guests/web-app-1.json: not a regular file"));
    }

    @ParameterizedTest(name = "plan, {0}")
    @MethodSource("observationFailures")
    void anObservationFailureDuringPlanIsOneLineAndExitCodeOne(String observation, HostPortException failure, String line) {
        host.refuse(observation, failure);

        CliRun plan = run("plan");

        assertThat(plan.exitCode()).isEqualTo(1);
        assertThat(plan.err()).isEqualTo(line + "\n");
        assertThat(plan.out()).isEmpty();
        assertThat(host.calls()).as("nothing changed").isEmpty();
    }

    @ParameterizedTest(name = "state, {0}")
    @MethodSource("observationFailures")
    void anObservationFailureDuringStateIsOneLineAndExitCodeOne(String observation, HostPortException failure, String line) {
        host.refuse(observation, failure);

        CliRun state = run("state");

        assertThat(state.exitCode()).isEqualTo(1);
        assertThat(state.err()).isEqualTo(line + "\n");
        assertThat(state.out()).isEmpty();
    }

    /** One failure of each port while changing: the refused change, the failure, and how its step's line ends. */
    static Stream<Arguments> changeFailures() {
        return Stream.of(
                Arguments.of("write host/sysctl/net.ipv4.ip_forward", FakeHost.refusal(SYSCTLS, "write sysctl net.ipv4.ip_forward",
                                "sysctl net.ipv4.ip_forward", 30, "Read-only file system (errno 30)"),
                        "host/sysctl/net.ipv4.ip_forward: could not create it: sysctl net.ipv4.ip_forward: write sysctl "
                                + "net.ipv4.ip_forward: Read-only file system (errno 30)"),
                Arguments.of("create group.db/bridge", FakeHost.refusal(LINKS, "create bridge qfb-db", "link qfb-db", 17,
                                "File exists (EEXIST, errno 17)"),
                        "group.db/bridge: could not create it: link qfb-db: create bridge qfb-db: File exists (EEXIST, errno 17)"),
                Arguments.of("apply firewall", FakeHost.refusal(FIREWALL, "apply ruleset", "nft tables inet qfence, bridge qfence",
                                "Error: Could not process rule: No such file or directory"),
                        "firewall: could not create it: nft tables inet qfence, bridge qfence: apply ruleset: Error: Could not "
                                + "process rule: No such file or directory"),
                Arguments.of("apply group.web/cgroup", FakeHost.refusal(CGROUPS, "write /sys/fs/cgroup/cpu/qfence.slice/web/cpu.shares",
                                "cgroup qfence.slice/web", 22, "Invalid argument (errno 22)"),
                        "group.web/cgroup: could not create it: cgroup qfence.slice/web: write "
                                + "/sys/fs/cgroup/cpu/qfence.slice/web/cpu.shares: Invalid argument (errno 22)"),
                Arguments.of("start group.web/vm.web-app-1", FakeHost.refusal(GUESTS, "start", "vm web-app-1",
                                "guest web-app-1 runs with seccomp mode 0, expected 2; it was killed before it ran"),
                        "group.web/vm.web-app-1: could not start it: vm web-app-1: start: guest web-app-1 runs with seccomp "
                                + "mode 0, expected 2; it was killed before it ran"));
    }

    @ParameterizedTest(name = "apply, {0}")
    @MethodSource("changeFailures")
    void aChangeFailureDuringApplyFailsItsStepWithTheHostsWordsAndExitCodeOne(String change, HostPortException failure, String stepEnd) {
        host.refuse(change, failure);

        CliRun apply = run("apply", "--auto-approve");

        assertThat(apply.exitCode()).isEqualTo(1);
        assertThat(apply.out()).containsPattern(" … failed \\(\\d+ ms\\): " + java.util.regex.Pattern.quote(stepEnd) + "\n");
        assertThat(apply.out() + apply.err()).as("said once, on its step's line").containsOnlyOnce(stepEnd)
                .doesNotContain("internal error", "Exception", "\tat ");
        assertThat(apply.err()).containsPattern("\nApply failed: \\d+ of \\d+ changes done, 1 failed(, \\d+ not run \\(nothing runs after "
                + "a failure\\))?\\. The next plan shows what remains\\.\n$");
    }

    @Test
    void anObservationFailureDuringApplyStopsItBeforeAnyChange() {
        host.refuse("observe firewall", FakeHost.refusal(FIREWALL, "list ruleset", "nft ruleset", "Error: cache initialization failed"));

        CliRun apply = run("apply", "--auto-approve");

        assertThat(apply.exitCode()).isEqualTo(1);
        assertThat(apply.err()).isEqualTo("qfence: error: firewall: nft ruleset: list ruleset: Error: cache initialization failed\n");
        assertThat(host.calls()).isEmpty();
    }

    /** Where {@code verify}'s sandbox fails while it sets itself up, the failure (as the sandbox says it), and the line. */
    static Stream<Arguments> sandboxFailures() {
        return Stream.of(
                Arguments.of("create", FakeHost.refusal(HOST, "create netns /run/netns/qfence-verify-0", "network namespace "
                                + "qfence-verify-0", 17, "File exists (EEXIST, errno 17)"),
                        "qfence: error: host: network namespace qfence-verify-0: create netns /run/netns/qfence-verify-0: "
                                + "File exists (EEXIST, errno 17)"),
                Arguments.of("connectOutside", FakeHost.refusal(LINKS, "create veth pair vfy-up", "link vfy-up", 17,
                                "File exists (EEXIST, errno 17)"),
                        "qfence: error: links: link vfy-up: create veth pair vfy-up: File exists (EEXIST, errno 17)"),
                Arguments.of("listen", FakeHost.refusal(HOST, "listen on tcp 0.0.0.0:8080", "network namespace qfence-verify-0",
                                "Address already in use"),
                        "qfence: error: host: network namespace qfence-verify-0: listen on tcp 0.0.0.0:8080: Address already in use"),
                Arguments.of("awaitConsole", FakeHost.refusal(GUESTS, "connect to the serial console", "vm web-app-1", 111,
                                "Connection refused (ECONNREFUSED, errno 111)"),
                        "qfence: error: guests: vm web-app-1: connect to the serial console: Connection refused (ECONNREFUSED, errno 111)"));
    }

    @ParameterizedTest(name = "verify, the sandbox's {0}")
    @MethodSource("sandboxFailures")
    void aSandboxThatCannotBeSetUpIsOneLineAndExitCodeOneAndIsTornDown(String step, HostPortException failure, String line) {
        FailingSandbox sandbox = new FailingSandbox(step, failure, host.new FakeGuests(), tmp);
        CliContext.Verification verification = new CliContext.Verification((prefix, images, progress) -> sandbox.created(),
                (box, guests, realization, progress) -> realization.objects(Guest.class).forEach(g -> guests.start(g, progress)),
                () -> FakeHost.FACTS);
        CliContext context = new CliContext(CliRun.TODAY, HostRealization.realizer(), CliRun.connector(host),
                new BufferedReader(new StringReader("")), verification);

        CliRun verify = CliRun.run(context, "verify", "--probe-images", tmp.toString());

        assertThat(verify.exitCode()).isEqualTo(1);
        assertThat(verify.out()).isEmpty();
        assertThat(verify.err()).endsWith("\n" + line + "\n").doesNotContain("internal error", "Exception", "\tat ");
        List<String> calls = List.copyOf(sandbox.calls);
        if (step.equals("create")) {
            assertThat(calls).as("nothing to tear down").containsExactly("create");
        } else {
            // console waits run on threads of their own: only the order of the first failure and the teardown is fixed
            assertThat(calls).as("it failed where it was told to, then was torn down").contains(step, "close");
            assertThat(calls.indexOf(step)).isLessThan(calls.indexOf("close"));
        }
    }

    /** A sandbox of fakes that fails at {@code failAt} as a port does, and records what verify asked of it. */
    private static final class FailingSandbox implements Sandbox {
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        private final String failAt;
        private final HostPortException failure;
        private final GuestPort guests;
        private final Path dir;

        FailingSandbox(String failAt, HostPortException failure, GuestPort guests, Path dir) {
            this.failAt = failAt;
            this.failure = failure;
            this.guests = guests;
            this.dir = dir;
        }

        private void call(String what) {
            calls.add(what);
            if (what.equals(failAt)) {
                throw failure;
            }
        }

        Sandbox created() {
            call("create");
            return this;
        }

        @Override
        public String name() {
            return "qfence-verify-0";
        }

        @Override
        public Path hostNamespace() {
            return Path.of("/run/netns/qfence-verify-0");
        }

        @Override
        public HostOverrides overrides() {
            return new HostOverrides(Optional.of(dir.resolve("images").toString()), Optional.of(dir.resolve("run").toString()),
                    Optional.of(dir.resolve("state").toString()), Optional.of(name()));
        }

        @Override
        public HostFacts facts() {
            return FakeHost.FACTS;
        }

        @Override
        public GuestPort guests() {
            return guests;
        }

        @Override
        public void connectOutside(OutsideWorld world, Progress progress) {
            call("connectOutside");
        }

        @Override
        public void listen(List<Listener> listeners) {
            call("listen");
        }

        @Override
        public void awaitConsole(Guest guest, Duration timeout) {
            call("awaitConsole");
        }

        @Override
        public List<ProbeResult> probeFromGuest(Guest guest, List<Probe> probes) {
            throw new AssertionError("no probe runs after a failed set-up");
        }

        @Override
        public List<ProbeResult> probeFromOutside(Ipv4Address source, List<Probe> probes) {
            throw new AssertionError("no probe runs after a failed set-up");
        }

        @Override
        public Optional<CgroupLimits> cgroupLimits(String path) {
            return Optional.empty();
        }

        @Override
        public void close() {
            calls.add("close");
        }

        @Override
        public List<String> teardownReport() {
            return List.of();
        }
    }

    @Test
    void aProgrammingErrorBelowThePortsIsShownAsOneNotDressedUpAsAHostFailure() {
        io.qfence.host.GuestPort fakes = host.new FakeGuests();
        host.guestPort(new FakeHost.ForwardingGuests(() -> fakes) {
            @Override
            public List<Guest> observe(List<Guest> realized) {
                throw new IllegalStateException("a bug in the guest adapter");
            }
        });

        CliRun plan = run("plan");

        assertThat(plan.exitCode()).isEqualTo(1);
        assertThat(plan.err()).startsWith("qfence: internal error: java.lang.IllegalStateException: a bug in the guest adapter\n")
                .contains("\tat ");
    }
}
