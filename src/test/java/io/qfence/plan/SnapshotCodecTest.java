package io.qfence.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.MacAddress;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Capability;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.ObservedHost;
import io.qfence.model.host.PortFlags;
import io.qfence.plan.Scenario.Group;
import io.qfence.plan.Scenario.Vm;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class SnapshotCodecTest {

    static Link vlan(int id, boolean withMac) {
        return new Link(Addresses.uplinkVlan("web"), LinkKind.VLAN, "qfv-" + id, Optional.of("qfb-web"),
                withMac ? Optional.of(MacAddress.parse("52:54:00:ab:cd:ef")) : Optional.empty(), 1500, false, List.of("10.1.0.2/24"),
                OptionalLong.empty(), OptionalLong.empty(), OptionalInt.of(id), Optional.of("eth0"), Optional.of(new PortFlags(true, false, true)));
    }

    static ObservedHost host(List<HostObject> objects, CgroupVersion version) {
        return new ObservedHost("hv1", new HostFacts(version, EnumSet.of(Capability.BRIDGE, Capability.TUN)), objects,
                List.of(new ForeignObject("link", "qfb-x", "no qfence alias")), List.of(new CounterSample("inet qfence", "drop_web", 12, 3400)),
                List.of("qf-ns1"));
    }

    @Test
    void aSnapshotReadsBackEqualAndNamesEveryObjectsKind() {
        List<HostObject> objects = new ArrayList<>(Scenario.asObserved(Scenario.realize(PlannerTest.WEB.routed(true))));
        objects.add(vlan(10, true));
        ObservedHost host = host(objects, CgroupVersion.V1);

        String json = SnapshotCodec.toJson(host);

        assertThat(SnapshotCodec.fromJson(json)).isEqualTo(host);
        assertThat(json).contains("\"format_version\" : \"1.0\"", "\"kind\" : \"firewall\"", "\"kind\" : \"guest\"", "\"kind\" : \"link\"",
                "\"kind\" : \"cgroup\"", "\"kind\" : \"sysctl\"", "\"link_kind\" : \"tap\"", "\"owner_uid\" : 2001", "\"mac\" : \"52:54:00:ab:cd:ef\"",
                "\"stop_timeout\" : \"PT30S\"", "\"cgroup_version\" : \"v1\"", "\"state\" : \"running\"");
    }

    @Test
    void aRealizationWrittenAsASnapshotPlansToNothing() {
        List<HostObject> desired = Scenario.realize(PlannerTest.WEB, PlannerTest.DB.routed(true));
        ObservedHost snapshot = SnapshotCodec.fromJson(SnapshotCodec.toJson(new ObservedHost("hv1", HostFacts.TYPICAL, desired, List.of(),
                List.of(), List.of())));

        PlanAssert.assertThat(Planner.plan(desired, snapshot)).isEmpty();
    }

    @Test
    void whatAnObservedTableHoldsBeyondTheModelSurvivesTheRoundTripAndChangesTheDigest() {
        List<HostObject> desired = Scenario.realize(PlannerTest.WEB);
        List<HostObject> observed = PlannerTest.replace(desired, "firewall", o -> io.qfence.model.host.Firewall.of(
                ((io.qfence.model.host.Firewall) o).tables().stream().map(t -> new io.qfence.model.host.NftTable(t.family(), t.name(),
                        t.chains(), t.sets(), t.counters(), List.of("map handmade (qfence writes no map objects)"))).toList()));
        ObservedHost host = host(observed, CgroupVersion.V1);

        assertThat(SnapshotCodec.fromJson(SnapshotCodec.toJson(host))).isEqualTo(host);
        assertThat(SnapshotCodec.toJson(host)).contains("\"unmodelled\" : [ \"map handmade (qfence writes no map objects)\" ]");
        assertThat(Digests.of(observed)).isNotEqualTo(Digests.of(desired));
    }

    @Test
    void anObjectListReadsBackEqual() {
        List<HostObject> desired = Scenario.realize(PlannerTest.WEB);

        assertThat(SnapshotCodec.objectsFromJson(SnapshotCodec.objectsToJson(desired))).isEqualTo(desired);
    }

    @Test
    void anotherMajorFormatIsRefused() {
        assertThatThrownBy(() -> SnapshotCodec.fromJson("{\"format_version\":\"2.0\"}"))
                .hasMessage("unsupported snapshot format_version 2.0 (this qfence reads 1.x)");
        assertThatThrownBy(() -> SnapshotCodec.fromJson("[]")).hasMessage("not a qfence snapshot: expected a JSON object");
        assertThatThrownBy(() -> SnapshotCodec.fromJson("{}")).hasMessage("not a qfence snapshot: no format_version");
    }

    @Test
    void anUnknownKindOrFieldOrAnInvalidValueIsRefusedWithItsPlace() {
        String base = SnapshotCodec.toJson(host(List.of(vlan(10, false)), CgroupVersion.V2));

        assertThatThrownBy(() -> SnapshotCodec.fromJson(base.replace("\"kind\" : \"link\"", "\"kind\" : \"route\"")))
                .hasMessageStartingWith("invalid snapshot: Could not resolve type id 'route'").hasMessageContaining("at line");
        assertThatThrownBy(() -> SnapshotCodec.fromJson(base.replace("\"mtu\"", "\"mtux\""))).hasMessageContaining("Missing creator property 'mtu'");
        assertThatThrownBy(() -> SnapshotCodec.fromJson(base.replace("\"mtu\" : 1500", "\"mtu\" : 1500, \"colour\" : 1")))
                .hasMessageContaining("Unrecognized field \"colour\"");
        assertThatThrownBy(() -> SnapshotCodec.fromJson(base.replace("\"mtu\" : 1500", "\"mtu\" : 1500, \"mtu\" : 1400")))
                .hasMessageContaining("Duplicate field 'mtu'");
        assertThatThrownBy(() -> SnapshotCodec.fromJson(base.replace("\"mtu\" : 1500", "\"mtu\" : 12")))
                .hasMessageContaining("link qfv-10: mtu must be 68..65535, got 12");
    }

    @Provide
    Arbitrary<ObservedHost> hosts() {
        Arbitrary<List<Group>> groups = Combinators.combine(PlannerProperties.groups(false), Arbitraries.longs())
                .as((g, seed) -> g);
        return Combinators.combine(groups, Arbitraries.longs(), Arbitraries.of(CgroupVersion.values()), Arbitraries.integers().between(1, 4094),
                        Arbitraries.of(true, false))
                .as((g, seed, version, vlanId, mac) -> {
                    List<HostObject> objects = new ArrayList<>(PlannerProperties.observe(Scenario.realize(g), seed));
                    objects.add(vlan(vlanId, mac));
                    return host(objects, version);
                });
    }

    @Property(tries = 150)
    void everySnapshotReadsBackEqual(@ForAll("hosts") ObservedHost host) {
        assertThat(SnapshotCodec.fromJson(SnapshotCodec.toJson(host))).isEqualTo(host);
    }

    @Test
    void runtimeFactsSurviveTheRoundTrip() {
        Guest g = (Guest) Scenario.realize(Group.of("web", 1, Vm.of("web-01", 2001))).stream().filter(Guest.class::isInstance).findFirst()
                .orElseThrow();
        Guest crashed = g.withState(GuestState.CRASHED).withRuntime(new GuestRuntime(OptionalLong.of(42), Optional.of("shutdown"),
                Optional.of("killed by SIGKILL")));
        ObservedHost host = host(List.of(crashed), CgroupVersion.V2);

        assertThat(SnapshotCodec.fromJson(SnapshotCodec.toJson(host)).objects()).containsExactly(crashed);
        assertThat(((Guest) SnapshotCodec.fromJson(SnapshotCodec.toJson(host)).objects().get(0)).runtime().pid()).hasValue(42);
        assertThat(new NftSet("allowed", List.of("ifname"), List.of("interval"), List.of("\"b\"", "\"a\"")).elements())
                .containsExactly("\"a\"", "\"b\"");
    }

    @Test
    void anOomKillCountIsWrittenAsOomKillsAndADocumentWrittenBeforeItReadsAsUnknown() {
        Guest g = (Guest) Scenario.realize(Group.of("web", 1, Vm.of("web-01", 2001))).stream().filter(Guest.class::isInstance).findFirst()
                .orElseThrow();
        Guest killed = g.withState(GuestState.CRASHED).withRuntime(new GuestRuntime(OptionalLong.of(42), Optional.empty(),
                Optional.of("QEMU killed by SIGKILL; 1 OOM kill in its cgroup")).withOomKills(OptionalLong.of(1)));
        String json = SnapshotCodec.toJson(host(List.of(killed), CgroupVersion.V2));

        assertThat(json).contains("\"oom_kills\" : 1");
        assertThat(SnapshotCodec.fromJson(json).objects()).containsExactly(killed);
        String older = json.replaceAll(",\\s*\"oom_kills\" : 1", "");
        assertThat(older).doesNotContain("oom_kills");
        assertThat(((Guest) SnapshotCodec.fromJson(older).objects().get(0)).runtime().oomKills()).isEmpty();
    }
}
