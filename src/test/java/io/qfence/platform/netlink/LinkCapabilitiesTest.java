package io.qfence.platform.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Capability;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The probe agrees with what iproute2 can and cannot create here (HOST-FACTS: no 802.1Q, no VLAN filtering). */
@RequiresHost(tools = "ip")
class LinkCapabilitiesTest {

    @Test
    void theProbeFindsWhatThisKernelHasAndLacks() {
        String namespacesBefore = Witness.run("ip", "netns", "list");

        Set<Capability> found = LinkCapabilities.probe();

        assertThat(found).contains(Capability.BRIDGE, Capability.VETH, Capability.TUN, Capability.BR_NETFILTER)
                .doesNotContain(Capability.VLAN_8021Q, Capability.BRIDGE_VLAN_FILTERING);
        assertThat(LinkCapabilities.PROBED).containsAll(found);
        assertThat(Witness.run("ip", "netns", "list")).as("the probe leaves no namespace behind").isEqualTo(namespacesBefore);
    }

    @Test
    void theProbeAgreesWithIproute2() {
        Set<Capability> found = LinkCapabilities.detected();
        String ns = io.qfence.testing.TestNamespace.uniqueName();
        Witness.run("ip", "netns", "add", ns);
        try {
            boolean vlan = Witness.tryRun("ip", "-n", ns, "link", "add", "qfv-2", "link", "lo", "type", "vlan", "id", "2").stderr()
                    .contains("Unknown device type");
            boolean filtering = Witness.tryRun("ip", "-n", ns, "link", "add", "qfb-vf", "type", "bridge", "vlan_filtering", "1").exitCode() == 0;
            assertThat(found.contains(Capability.VLAN_8021Q)).isEqualTo(!vlan);
            assertThat(found.contains(Capability.BRIDGE_VLAN_FILTERING)).isEqualTo(filtering);
        } finally {
            Witness.run("ip", "netns", "del", ns);
        }
    }

    @Test
    void theReportNamesTheKernelOptionOfEveryMissingCapability() {
        String report = LinkCapabilities.describe(Set.of(Capability.BRIDGE, Capability.VETH, Capability.TUN, Capability.BR_NETFILTER));

        assertThat(report.lines()).hasSize(LinkCapabilities.PROBED.size())
                .contains("BRIDGE                 present")
                .contains("VLAN_8021Q             missing (enable CONFIG_VLAN_8021Q)")
                .contains("BRIDGE_VLAN_FILTERING  missing (enable CONFIG_BRIDGE_VLAN_FILTERING)");
    }
}
