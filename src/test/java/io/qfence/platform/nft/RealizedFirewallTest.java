package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Capability;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.HostFacts;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import io.qfence.testing.RequiresHost;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The realizer and this adapter together, on the real kernel: the firewall realized from the bundled desired state
 * ({@code desired-state/}, host hv1, this machine's facts) is written by the client, observed and normalized, and comes
 * back equal to what was realized: no drift right after an apply. A second apply changes nothing.
 */
@RequiresHost(tools = {"nft", "ip"})
class RealizedFirewallTest {

    static final LocalDate TODAY = LocalDate.of(2026, 3, 1);
    static final HostFacts THIS_MACHINE = new HostFacts(CgroupVersion.V1, EnumSet.of(Capability.BRIDGE, Capability.TUN,
            Capability.VETH, Capability.BR_NETFILTER, Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP,
            Capability.NAMESPACES));

    static Firewall realizedFirewall() {
        Clock clock = Clock.fixed(TODAY.atStartOfDay(ZoneOffset.UTC).toInstant(), ZoneOffset.UTC);
        var loaded = DesiredStateLoader.loadDirectory(Path.of("desired-state"), clock);
        assertThat(loaded.errors()).isEmpty();
        return Realizer.realize(loaded.state().orElseThrow(), "hv1", THIS_MACHINE, TODAY).objects(Firewall.class).get(0);
    }

    @Test
    void theRealizedFirewallIsObservedExactlyAsRealizedAndReapplyingChangesNothing() {
        Firewall realized = realizedFirewall();
        assertThat(realized.tables()).extracting(t -> t.qualifiedName()).containsExactly("bridge qfence", "inet qfence");
        try (NftTestNamespace ns = NftTestNamespace.create(); NftClient client = NftClient.open(ns.ns)) {
            client.apply(realized);
            FirewallObservation seen = client.observeFirewall();
            assertThat(seen.firewall()).contains(realized);
            assertThat(seen.firewall().orElseThrow().attributes()).isEqualTo(realized.attributes());
            assertThat(seen.unmodelled()).isEmpty();
            assertThat(seen.counters()).extracting(c -> c.counter())
                    .containsExactlyInAnyOrderElementsOf(realized.tables().stream().flatMap(t -> t.counters().stream()).toList());

            client.apply(realized);
            assertThat(client.observeFirewall()).isEqualTo(seen);
            // the witness: the CLI's listing, normalized, is the realized table too
            assertThat(Normalizer.normalize(ns.nft("-j", "list", "table", "inet", "qfence"), "inet", "qfence").table())
                    .isEqualTo(realized.tables().get(1));
            assertThat(client.listTableNames()).containsExactlyInAnyOrder("inet qfence", "bridge qfence");
        }
    }
}
