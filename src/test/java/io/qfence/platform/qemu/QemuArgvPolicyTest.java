package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.GuestLaunch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuArgvPolicyTest {

    private final ProbeHost.Probe probe = ProbeHost.Probe.bridged("web-01", 200123, 11);
    private final io.qfence.model.host.Guest guest = ProbeHost.guest(Path.of("/run/qfence"), Path.of("/srv/images"), "10.0.0.", "qf", probe);

    private List<String> with(List<String> argv, String... more) {
        List<String> a = new ArrayList<>(argv);
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void theRealizedShapeOfDesignSection9Passes() {
        assertThat(QemuArgvPolicy.violations(guest.argv(), guest.launch())).isEmpty();
    }

    @Test
    void aTcpMonitorOrConsoleIsRefused() {
        assertThat(QemuArgvPolicy.violations(with(guest.argv(), "-chardev", "socket,id=m,host=0.0.0.0,port=4444,server=on"), guest.launch()))
                .containsExactly("TCP chardev socket,id=m,host=0.0.0.0,port=4444,server=on");
        assertThat(QemuArgvPolicy.violations(with(guest.argv(), "-serial", "tcp:127.0.0.1:4555,server"), guest.launch()))
                .containsExactly("network transport in argument tcp:127.0.0.1:4555,server");
        assertThat(QemuArgvPolicy.violations(with(guest.argv(), "-monitor", "unix:/x"), guest.launch())).containsExactly("forbidden option -monitor");
    }

    @Test
    void privilegeChangingAndForkingOptionsAreRefused() {
        assertThat(QemuArgvPolicy.violations(with(guest.argv(), "-runas", "nobody", "-daemonize"), guest.launch()))
                .containsExactly("forbidden option -daemonize", "forbidden option -runas");
    }

    @Test
    void aWeakerSandboxOrAMissingPauseIsRefused() {
        List<String> argv = new ArrayList<>(guest.argv());
        argv.remove("-S");
        argv.set(argv.indexOf(QemuArgvPolicy.SANDBOX), "on");
        assertThat(QemuArgvPolicy.violations(argv, guest.launch())).containsExactly("missing -S",
                "-sandbox must be given once as '" + QemuArgvPolicy.SANDBOX + "', got [on]");
    }

    @Test
    void aDiskWithoutExplicitFormatIsRefused() {
        assertThat(QemuArgvPolicy.violations(with(guest.argv(), "-drive", "file=/srv/images/a.img,if=virtio"), guest.launch()))
                .containsExactly("disk without an explicit format: file=/srv/images/a.img,if=virtio");
    }

    @Test
    void aBridgedGuestMustUseTheInheritedDescriptorAndAUserModeGuestNoTap() {
        List<String> argv = new ArrayList<>(guest.argv());
        argv.set(argv.indexOf("tap,id=net0,fd=3,vhost=off"), "tap,id=net0,ifname=qft-web-01");
        assertThat(QemuArgvPolicy.violations(argv, guest.launch())).hasSize(1).first().asString().startsWith("a bridged guest needs exactly one -netdev tap,...,fd=3");

        GuestLaunch userMode = new GuestLaunch(guest.launch().runDir(), guest.launch().qmpSocket(), guest.launch().serialSocket(),
                guest.launch().serialLog(), guest.launch().pidFile(), guest.launch().images(), "qf/web-01", Optional.empty(), Duration.ofSeconds(5));
        assertThat(QemuArgvPolicy.violations(guest.argv(), userMode)).containsExactly("a guest without a tap may only use -netdev user, got tap,id=net0,fd=3,vhost=off");
    }
}
