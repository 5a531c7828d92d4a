package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.platform.qemu.QemuArgvPolicy;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The example desired state shipped in {@code desired-state/}, loaded by the real loader and realized for hv1. */
class BundledDesiredStateTest {

    static final Clock CLOCK = Clock.fixed(Fixtures.TODAY.atStartOfDay(ZoneOffset.UTC).toInstant(), ZoneOffset.UTC);

    static DesiredState bundled() {
        LoadResult result = DesiredStateLoader.loadDirectory(Path.of("desired-state"), CLOCK);
        assertThat(result.errors()).as("the bundled desired state loads").isEmpty();
        return result.state().orElseThrow();
    }

    static Realization realize(HostFacts facts) {
        return Realizer.realize(bundled(), "hv1", facts, Fixtures.TODAY);
    }

    @Test
    void theBundledDesiredStateRealizesOnThisMachineAsTheGoldenFileSays() {
        Realization r = realize(Fixtures.THIS_MACHINE);
        assertThat(r.warnings()).map(Diagnostic::message).anyMatch(m -> m.contains("AppArmor is preferred but not available"));
        RealizationJson.assertGolden(RealizationJson.render(r), "bundled-hv1-v1.json");
    }

    @Test
    void everyBundledGuestPassesTheLaunchersArgvPolicy() {
        for (HostFacts facts : List.of(Fixtures.THIS_MACHINE, HostFacts.TYPICAL)) {
            assertThat(realize(facts).objects(Guest.class)).isNotEmpty().allSatisfy(g ->
                    assertThat(QemuArgvPolicy.violations(g.argv(), g.launch())).as(g.vm()).isEmpty());
        }
    }

    @Test
    void theGuestsOfEveryScenarioPassTheLaunchersArgvPolicy() {
        assertThat(Scenarios.all()).allSatisfy(r -> assertThat(r.objects(Guest.class)).allSatisfy(g ->
                assertThat(QemuArgvPolicy.violations(g.argv(), g.launch())).as(g.vm()).isEmpty()));
    }

    @Test
    void theBundledPolicyKeepsItsPromises() {
        Realization r = realize(Fixtures.THIS_MACHINE);
        ReachabilityRelation rel = Reachability.of(r);
        Principal runner = r.policy().vm("ci-runner").orElseThrow().principal();
        Principal builder = r.policy().vm("ci-builder").orElseThrow().principal();
        assertThat(rel.allows(runner, Principal.HOST, FlowProtocol.TCP, 22)).as("user-mode runner to the host").isFalse();
        assertThat(rel.allows(builder, Principal.address("198.51.100.20"), FlowProtocol.TCP, 443)).isTrue();
        assertThat(rel.allows(builder, Principal.address("198.51.100.20"), FlowProtocol.TCP, 22)).isFalse();
        assertThat(rel.allows(r.policy().vm("ci-bastion").orElseThrow().principal(),
                r.policy().vm("web-bastion").orElseThrow().principal(), FlowProtocol.TCP, 22)).isTrue();
    }
}
