package io.qfence.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.cli.CliContext;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.Ipv4Address;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.UsageException;
import io.qfence.platform.netlink.RtnlClient;
import io.qfence.platform.os.NetNamespace;
import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * verify's sandbox, wired as the composition root wires it, fails as the ports do when it cannot be set up: each
 * failure of its own set-up (its namespaces, its uplink, its listeners, a missing probe image) reaches the caller in
 * the model's vocabulary ({@link HostPortException} with port, object, operation and errno; {@link UsageException}),
 * never as an adapter's own exception, which the CLI would print as an internal error. No guest is started: the
 * probe images are stand-in files, which the sandbox only copies.
 */
@RequiresHost(tools = {"ip"})
class SandboxSetupFailuresTest {

    private static final Sandbox.OutsideWorld WORLD = new Sandbox.OutsideWorld(Ipv4Address.parse("198.51.100.2"),
            Ipv4Address.parse("198.51.100.1"), 24, List.of(Ipv4Address.parse("203.0.113.10")), List.of());

    @TempDir
    Path images;

    CliContext.Verification verification;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(images.resolve("kernels"));
        Files.createDirectories(images.resolve("initrds"));
        Files.writeString(images.resolve("kernels/vmlinuz"), "not a kernel: no guest starts here\n");
        Files.writeString(images.resolve("initrds/probe.img"), "not an initramfs\n");
        verification = Main.verification(Main.liveHost());
    }

    @Test
    void anOutsideNamespaceThatExistsIsTheHostPortsFailureWithItsErrno() {
        try (Sandbox sandbox = verification.sandboxes().create("qfence-test-setup", images, Progress.SILENT)) {
            NetNamespace squatter = NetNamespace.create(NetNamespace.DEFAULT_DIR, sandbox.name() + "-out");
            try {
                assertThatThrownBy(() -> sandbox.connectOutside(WORLD, Progress.SILENT))
                        .isInstanceOfSatisfying(HostPortException.class, e -> {
                            assertThat(e.port()).isEqualTo(HostPortException.Port.HOST);
                            assertThat(e.object()).isEqualTo("network namespace " + sandbox.name() + "-out");
                            assertThat(e.reason()).isInstanceOfSatisfying(HostPortException.Errno.class,
                                    errno -> assertThat(errno.number()).isEqualTo(17));
                        });
            } finally {
                squatter.delete();
            }
        }
    }

    @Test
    void anUplinkThatCannotBeMadeIsTheLinksPortsFailureNamingTheLink() {
        try (Sandbox sandbox = verification.sandboxes().create("qfence-test-setup", images, Progress.SILENT)) {
            try (NetNamespace host = NetNamespace.open(sandbox.hostNamespace()); RtnlClient rtnl = RtnlClient.open(host)) {
                rtnl.createVethPair("vfy-up", "vfy-squat");
            }
            assertThatThrownBy(() -> sandbox.connectOutside(WORLD, Progress.SILENT))
                    .isInstanceOfSatisfying(HostPortException.class, e -> {
                        assertThat(e.port()).isEqualTo(HostPortException.Port.LINKS);
                        assertThat(e.object()).isEqualTo("link vfy-up");
                        assertThat(e.reason()).isInstanceOfSatisfying(HostPortException.Errno.class,
                                errno -> assertThat(errno.number()).isEqualTo(17));
                    });
        }
    }

    @Test
    void aListenerWhosePortIsTakenIsTheHostPortsFailure() {
        try (Sandbox sandbox = verification.sandboxes().create("qfence-test-setup", images, Progress.SILENT)) {
            Sandbox.Listener http = new Sandbox.Listener(Sandbox.Listener.Side.HOST, Optional.empty(),
                    Sandbox.ProbeProtocol.TCP, 8080, "http");
            sandbox.listen(List.of(http));

            assertThatThrownBy(() -> sandbox.listen(List.of(http)))
                    .isInstanceOfSatisfying(HostPortException.class, e -> {
                        assertThat(e.port()).isEqualTo(HostPortException.Port.HOST);
                        assertThat(e.operation()).isEqualTo("listen on tcp 0.0.0.0:8080");
                        assertThat(e.object()).isEqualTo("network namespace " + sandbox.name());
                    });
        }
    }

    @Test
    void aMissingProbeImageIsAUsageErrorAndLeavesNothingBehind() throws Exception {
        Files.delete(images.resolve("initrds/probe.img"));
        List<String> before = NetNamespace.list(NetNamespace.DEFAULT_DIR);

        assertThatThrownBy(() -> verification.sandboxes().create("qfence-test-setup", images, Progress.SILENT))
                .isInstanceOf(UsageException.class)
                .hasMessage("no probe image " + images.resolve("initrds/probe.img") + " (build it with bin/build-probe-image)");
        assertThat(NetNamespace.list(NetNamespace.DEFAULT_DIR)).containsExactlyInAnyOrderElementsOf(before);
    }
}
