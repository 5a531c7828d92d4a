package io.qfence.platform.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.MacAddress;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import io.qfence.platform.os.NetNamespace;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NetlinkLinks#createAll} against the real kernel, in a private namespace: many links created a few datagrams
 * at a time must come out exactly as {@link NetlinkLinks#create} makes them one by one, and a refusal must be
 * attributed to its own link with the kernel's errno. iproute2 is the independent witness.
 */
@RequiresHost(tools = "ip")
class NetlinkLinksTest {

    private TestNamespace ns;
    private RtnlClient rtnl;
    private NetlinkLinks links;
    private LinkWitness ip;

    @BeforeEach
    void createNamespace() {
        ns = TestNamespace.create();
        rtnl = RtnlClient.open(ns.netns());
        links = new NetlinkLinks(rtnl, ns.netns());
        ip = new LinkWitness(ns);
    }

    @AfterAll
    static void noNamespaceOfOursIsLeft() {
        assertThat(NetNamespace.list(NetNamespace.DEFAULT_DIR)).noneMatch(n -> n.startsWith(TestNamespace.PREFIX));
    }

    @AfterEach
    void deleteNamespace() {
        try {
            rtnl.close();
        } finally {
            ns.close();
        }
    }

    private static Link bridge(String group, int n) {
        return new Link(Addresses.bridge(group), LinkKind.BRIDGE, "qfb-" + group, Optional.empty(),
                Optional.of(MacAddress.parse(String.format("0a:00:00:00:00:%02x", n))), 1500, true, List.of("10.77." + n + ".1/24"),
                OptionalLong.empty(), OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    private static Link tap(String group, String vm, int n, boolean isolated) {
        return new Link(Addresses.tap(group, vm), LinkKind.TAP, "qft-" + vm, Optional.of("qfb-" + group),
                Optional.of(MacAddress.parse(String.format("fe:00:00:00:01:%02x", n))), 1500, true, List.of(), OptionalLong.of(300000 + n),
                OptionalLong.of(300000 + n), OptionalInt.empty(), Optional.empty(), Optional.of(new PortFlags(isolated, true, false)));
    }

    /** Three groups, each a bridge with an address and three taps (isolated ports in the second), masters first. */
    private static List<Link> fleet() {
        List<Link> all = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            String group = "g" + g;
            all.add(bridge(group, g));
            for (int v = 0; v < 3; v++) {
                all.add(tap(group, group + "v" + v, g * 10 + v, g == 1));
            }
        }
        return all;
    }

    @Test
    void manyLinksCreatedTogetherComeOutExactlyAsPlannedAndAsOneByOneCreationMakesThem() {
        List<Link> want = fleet();

        List<Optional<HostPortException>> outcomes = links.createAll(want);

        assertThat(outcomes).hasSize(want.size()).allMatch(Optional::isEmpty);
        // what observation reports is exactly what was asked for, attribute by attribute
        for (Link l : want) {
            assertThat(links.find(l.name())).as(l.name()).contains(l);
        }
        // the witness agrees: final names only, qfence's aliases, masters, owners, port flags, addresses, up
        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).noneMatch(n -> n.startsWith("qfc-")).hasSize(want.size() + 1);
        JsonNode tap = ip.requireLink("qft-g1v2");
        assertThat(tap.path("ifalias").asText()).isEqualTo("qfence:group.g1/vm.g1v2/tap");
        assertThat(tap.path("master").asText()).isEqualTo("qfb-g1");
        assertThat(tap.path("linkinfo").path("info_data").path("user").asText()).isEqualTo("300012");
        assertThat(tap.path("linkinfo").path("info_slave_data").path("isolated").asBoolean()).isTrue();
        assertThat(tap.path("flags").toString()).contains("\"UP\"");
        assertThat(ip.addresses("qfb-g2")).contains("10.77.2.1/24");

        // the same links made one by one in a second namespace are the same links
        try (TestNamespace other = TestNamespace.create(); RtnlClient rtnl2 = RtnlClient.open(other.netns())) {
            NetlinkLinks oneByOne = new NetlinkLinks(rtnl2, other.netns());
            want.forEach(oneByOne::create);
            assertThat(oneByOne.observe().links()).containsExactlyInAnyOrderElementsOf(links.observe().links());
        }
    }

    @Test
    void aLinkTheKernelRefusesFailsAloneWithItsErrnoAndLeavesNoTemporaryBehind() {
        rtnl.createBridge("qfb-g1", BridgeOptions.DEFAULTS); // someone else's link with the name qfence wants
        List<Link> want = fleet();

        List<Optional<HostPortException>> outcomes = links.createAll(want);

        int taken = want.indexOf(bridge("g1", 1));
        assertThat(outcomes.get(taken)).get().satisfies(e -> {
            assertThat(e.port()).isEqualTo(HostPortException.Port.LINKS);
            assertThat(e.object()).isEqualTo("link qfb-g1");
            assertThat(e.reason()).isInstanceOfSatisfying(HostPortException.Errno.class,
                    errno -> assertThat(errno.number()).isEqualTo(NetlinkException.EEXIST));
            assertThat(e.getCause()).isInstanceOf(NetlinkException.class);
        });
        // g1's taps are never enslaved to the bridge that is not qfence's: each fails, naming its master, and stays
        // qfence's but unconfigured (down, no master), which the next plan shows
        for (int k = taken + 1; k <= taken + 3; k++) {
            assertThat(outcomes.get(k)).as(want.get(k).name()).get().isInstanceOf(HostPortException.class)
                    .extracting(Throwable::getMessage).asString().contains("its master qfb-g1 could not be created");
            JsonNode tap = ip.requireLink(want.get(k).name());
            assertThat(tap.has("master")).isFalse();
            assertThat(tap.path("ifalias").asText()).isEqualTo(want.get(k).alias());
        }
        for (int k = 0; k < want.size(); k++) {
            if (k < taken || k > taken + 3) {
                assertThat(outcomes.get(k)).as(want.get(k).name()).isEmpty();
                assertThat(links.find(want.get(k).name())).contains(want.get(k));
            }
        }
        assertThat(ip.links()).extracting(l -> l.path("ifname").asText()).noneMatch(n -> n.startsWith("qfc-"));
        assertThat(ip.requireLink("qfb-g1").has("ifalias")).isFalse();
    }
}
