package io.qfence.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.ByteSize;
import io.qfence.model.DerivedMacs;
import io.qfence.model.Diagnostic;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.MilliCpus;
import io.qfence.model.PortRange;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.Confinement;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.QemuSettings;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The bundled example, loaded through the public API, bound to exactly the records it describes. */
class DesiredStateLoaderTest {

    static final Path EXAMPLE = Path.of("desired-state");
    static final Clock JUNE_2026 = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void theBundledExampleIsValidWithOneWarningForItsExpiredException() {
        LoadResult result = DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026);

        assertThat(result.errors()).isEmpty();
        assertThat(result.ok()).isTrue();
        assertThat(result.warnings()).extracting(Diagnostic::toString).containsExactly(
                "groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored");
    }

    @Test
    void theExpiredExceptionIsActiveUntilItsLastDayInclusive() {
        Clock lastDay = Clock.fixed(Instant.parse("2025-06-30T23:59:59Z"), ZoneOffset.UTC);
        LoadResult result = DesiredStateLoader.loadDirectory(EXAMPLE, lastDay);

        assertThat(result.diagnostics()).isEmpty();
        FirewallException rule = state(result).group("web").orElseThrow().allow().get(2);
        assertThat(rule.isActiveOn(LocalDate.of(2025, 6, 30))).isTrue();
        assertThat(rule.isActiveOn(LocalDate.of(2025, 7, 1))).isFalse();
    }

    @Test
    void loadingTwiceGivesEqualDesiredStates() {
        DesiredState first = state(DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026));
        DesiredState second = state(DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026));

        assertThat(second).isEqualTo(first);
        assertThat(first.revision()).isEqualTo("dir:desired-state");
    }

    @Test
    void theHostBindsWithItsDefaultsAndSeccompOnAsAString() {
        Host host = state(DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026)).host("hv1").orElseThrow();

        assertThat(host.groups()).containsExactly("web", "db", "ci");
        assertThat(host.uplink()).isEmpty();
        assertThat(host.imagesRoot()).isEqualTo("/var/lib/qfence/images");
        assertThat(host.runDir()).isEqualTo("/run/qfence");
        assertThat(host.stateDir()).isEqualTo("/var/lib/qfence");
        assertThat(host.cgroupParent()).isEqualTo("qfence.slice");
        assertThat(host.vmUidRange().first()).isEqualTo(200000);
        assertThat(host.vmUidRange().last()).isEqualTo(265535);
        assertThat(host.qemu()).isEqualTo(new QemuSettings("/usr/bin/qemu-system-x86_64", QemuSettings.Accel.TCG, "q35"));
        // YAML 1.1 would read "on" as true; YAML 1.2 (snakeyaml-engine's core schema) keeps it a string.
        assertThat(host.confinement()).isEqualTo(new Confinement(Confinement.AppArmor.PREFERRED, Confinement.Seccomp.ON));
        assertThat(host.origin().toString()).isEqualTo("hosts/hv1.yaml:3:1");
    }

    @Test
    void theWebGroupBindsItsNetworkPolicyAndVms() {
        Group web = state(DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026)).group("web").orElseThrow();

        assertThat(web.vlan()).isEqualTo(10);
        assertThat(web.subnet()).isEqualTo(Ipv4Cidr.parse("10.10.0.0/24"));
        assertThat(web.subnet6()).map(Object::toString).contains("fd00:10::/64");
        assertThat(web.egress()).isEqualTo(Egress.NAT);
        assertThat(web.intraGroup()).isEqualTo(IntraGroup.ALLOW);
        assertThat(web.limits().cpus()).contains(MilliCpus.ofCpus(3));
        assertThat(web.limits().memory()).contains(ByteSize.parse("1Gi"));
        assertThat(web.limits().pids()).hasValue(64);
        assertThat(web.limits().ioWeight()).hasValue(100);

        var bastion = web.bastion().orElseThrow();
        assertThat(bastion.vm()).isEqualTo("web-bastion");
        var expose = bastion.expose().orElseThrow();
        assertThat(expose.hostPort()).isEqualTo(2222);
        assertThat(expose.port()).isEqualTo(22);
        assertThat(expose.from()).extracting(Object::toString).containsExactly("198.51.100.0/24");

        FirewallException toDb = web.allow().get(0);
        assertThat(toDb.from()).isEqualTo(new Endpoint.GroupRef("web"));
        assertThat(toDb.to()).isEqualTo(new Endpoint.VmRef("db-main"));
        assertThat(toDb.protocol()).isEqualTo(Protocol.TCP);
        assertThat(toDb.ports()).containsExactly(PortRange.single(5432));
        assertThat(toDb.reason()).contains("the app servers read and write the database");
        assertThat(toDb.origin().toString()).isEqualTo("groups/web.yaml:26:9");
        assertThat(web.allow().get(1).to()).isEqualTo(Endpoint.HOST);

        assertThat(web.vms()).extracting(Vm::name).containsExactly("web-bastion", "web-app-1", "web-app-2");
        Vm bastionVm = web.vms().get(0);
        assertThat(bastionVm.cpus()).isEqualTo(1);
        assertThat(bastionVm.memory()).isEqualTo(ByteSize.ofMebibytes(96));
        assertThat(bastionVm.boot()).isEqualTo(
                new BootSource.Kernel("kernels/vmlinuz", Optional.of("initrds/probe.img"), "console=ttyS0 quiet"));
        assertThat(bastionVm.ip()).contains(Ipv4Address.parse("10.10.0.10"));
        assertThat(bastionVm.mac()).isEmpty();
        assertThat(bastionVm.network()).isEqualTo(NetworkMode.BRIDGED);
        assertThat(bastionVm.state()).isEqualTo(VmState.RUNNING);
        assertThat(bastionVm.stopTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(web.vms().get(1).mac()).contains(MacAddress.parse("02:00:0a:0a:00:0b"));
        assertThat(web.vms().get(1).stopTimeout()).isEqualTo(Vm.DEFAULT_STOP_TIMEOUT);
        // an aliased boot source (*probe) binds to an equal value
        assertThat(web.vms().get(1).boot()).isEqualTo(bastionVm.boot());
        assertThat(web.vms().get(2).memoryRequest()).isEqualTo(ByteSize.ofMebibytes(320));
        assertThat(web.vms().get(2).pidsRequest()).isEqualTo(24);
    }

    @Test
    void theDbAndCiGroupsBindMicrosegmentationFractionsOfCpusAndAUserModeVm() {
        DesiredState state = state(DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026));
        Group db = state.group("db").orElseThrow();
        Group ci = state.group("ci").orElseThrow();

        assertThat(db.intraGroup()).isEqualTo(IntraGroup.DENY);
        assertThat(db.egress()).isEqualTo(Egress.NONE);
        assertThat(db.limits().cpus()).contains(MilliCpus.parse("1.5"));
        assertThat(db.vms()).allSatisfy(vm -> assertThat(vm.cpuRequest()).isEqualTo(new MilliCpus(500)));
        assertThat(db.allow().get(2).protocol()).isEqualTo(Protocol.ICMP);
        assertThat(db.allow().get(2).ports()).isEmpty();
        assertThat(db.vm("db-main").orElseThrow().stopTimeout()).isEqualTo(Duration.ofMinutes(2));

        Vm runner = ci.vm("ci-runner").orElseThrow();
        assertThat(runner.network()).isEqualTo(NetworkMode.USER);
        assertThat(runner.ip()).isEmpty();
        assertThat(runner.state()).isEqualTo(VmState.STOPPED);
        assertThat(ci.allow()).extracting(FirewallException::to)
                .containsExactly(new Endpoint.VmRef("web-bastion"), Endpoint.INTERNET,
                        new Endpoint.CidrRef(Ipv4Cidr.parse("203.0.113.0/24")));
        assertThat(ci.allow().get(2).ports()).containsExactly(new PortRange(8000, 8080));
        assertThat(ci.allow().get(2).expires()).contains(LocalDate.of(2099, 12, 31));
    }

    @Test
    void everyVmOfTheExampleBootsSmallFromTheProbeImages() {
        DesiredState state = state(DesiredStateLoader.loadDirectory(EXAMPLE, JUNE_2026));
        List<Vm> vms = state.groups().stream().flatMap(g -> g.vms().stream()).toList();

        assertThat(vms).hasSize(9).allSatisfy(vm -> {
            assertThat(vm.memory()).isLessThan(ByteSize.ofMebibytes(128)).isGreaterThanOrEqualTo(ByteSize.ofMebibytes(72));
            assertThat(vm.boot()).isEqualTo(
                    new BootSource.Kernel("kernels/vmlinuz", Optional.of("initrds/probe.img"), "console=ttyS0 quiet"));
        });
        assertThat(vms.stream().map(vm -> vm.mac().orElse(null)).filter(m -> m != null)).hasSize(1);
        assertThat(DerivedMacs.forVm("web", "web-bastion").isLocallyAdministered()).isTrue();
    }

    static DesiredState state(LoadResult result) {
        assertThat(result.errors()).as("errors").isEmpty();
        return result.state().orElseThrow();
    }
}
