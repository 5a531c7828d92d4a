package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.model.host.Guest;
import io.qfence.realize.Reachability;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ProbeStandInsTest {

    static final DesiredState PROBES = ProbeStandIns.transform(Bundled.STATE, "hv1", Bundled.REALIZATION.policy(), Bundled.PLAN.vmPorts());

    static Vm vm(DesiredState s, String name) {
        return s.groups().stream().flatMap(g -> g.vms().stream()).filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aBridgedProbeGuestIsToldItsNameAddressGatewayAndPorts() {
        BootSource.Kernel boot = (BootSource.Kernel) vm(PROBES, "web-app-1").boot();
        assertThat(boot.kernel()).isEqualTo("kernels/vmlinuz");
        assertThat(boot.initrd()).contains("initrds/probe.img");
        assertThat(boot.cmdline()).isEqualTo("console=ttyS0 quiet panic=-1 qf.name=web-app-1 qf.ip=10.10.0.11/24 qf.gw=10.10.0.1 qf.tcp=9,22,5432 qf.udp=9");
    }

    @Test
    void aUserModeProbeGuestTakesSlirpsAddressAndRunsEvenWhereTheVmIsDesiredStopped() {
        Vm runner = vm(PROBES, "ci-runner");
        assertThat(vm(Bundled.STATE, "ci-runner").state()).isEqualTo(VmState.STOPPED);
        assertThat(runner.state()).isEqualTo(VmState.RUNNING);
        assertThat(((BootSource.Kernel) runner.boot()).cmdline()).contains("qf.ip=10.0.2.15/24 qf.gw=10.0.2.2");
    }

    @Test
    void everythingButTheBootIsTheVmsOwnSoThePolicyUidsTapsAndLimitsAreTheSame() {
        Realization probes = Realizer.realize(PROBES, "hv1", Bundled.FACTS, Bundled.TODAY);
        assertThat(Reachability.of(probes)).isEqualTo(Bundled.RELATION);
        assertThat(probes.policy()).isEqualTo(Bundled.REALIZATION.policy());
        Map<String, Guest> before = Bundled.REALIZATION.objects(Guest.class).stream().collect(Collectors.toMap(Guest::vm, Function.identity()));
        for (Guest g : probes.objects(Guest.class)) {
            Guest original = before.get(g.vm());
            assertThat(g.uid()).isEqualTo(original.uid());
            assertThat(g.launch().tap()).isEqualTo(original.launch().tap());
            assertThat(g.launch().cgroupPath()).isEqualTo(original.launch().cgroupPath());
            assertThat(g.config().get("mac")).isEqualTo(original.config().get("mac"));
            assertThat(g.config().get("network")).isEqualTo(original.config().get("network"));
        }
        assertThat(probes.objects().stream().filter(o -> !(o instanceof Guest)))
                .containsExactlyElementsOf(Bundled.REALIZATION.objects().stream().filter(o -> !(o instanceof Guest)).toList());
    }
}
