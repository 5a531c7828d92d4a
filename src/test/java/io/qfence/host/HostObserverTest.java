package io.qfence.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.MacAddress;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.ObservedHost;
import io.qfence.model.host.Sysctl;
import io.qfence.model.desired.HostOverrides;
import io.qfence.realize.Realization;
import io.qfence.testing.BundledState;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HostObserverTest {

    static final Realization BUNDLED = BundledState.realize(FakeHost.FACTS, HostOverrides.NONE);

    static Link bridge(String address, String name) {
        return new Link(address, LinkKind.BRIDGE, name, Optional.empty(), Optional.of(MacAddress.parse("0a:00:00:00:00:01")), 1500, true,
                List.of(), OptionalLong.empty(), OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    static ObservedHost observe(FakeHost host, Scope scope) {
        return new HostObserver(host.ports()).observe("hv1", FakeHost.FACTS, BUNDLED.objects(), "qfence.slice", scope);
    }

    @Test
    void whenTwoLinksClaimOneAddressTheRealizedNameKeepsItAndTheOtherIsALeftover() {
        FakeHost host = new FakeHost().put(bridge("group.web/bridge", "qfb-old")).put(bridge("group.web/bridge", "qfb-web"));

        ObservedHost observed = observe(host, Scope.WITHOUT_GUESTS);

        assertThat(observed.objects()).filteredOn(Link.class::isInstance).extracting(HostObject::address, o -> ((Link) o).name())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("group.web/bridge", "qfb-web"),
                        org.assertj.core.groups.Tuple.tuple(Addresses.leftoverLink("qfb-old"), "qfb-old"));
    }

    @Test
    void cgroupsUnderTheParentAreQfencesByNameAndReadWithExactlyTheRealizedFiles() {
        Cgroup realizedWeb = BUNDLED.objects(Cgroup.class).stream().filter(c -> c.address().equals("group.web/cgroup")).findFirst().orElseThrow();
        FakeHost host = new FakeHost()
                .put(new Cgroup("x", "qfence.slice/web", CgroupVersion.V1, new java.util.TreeMap<>(Map.of("pids/pids.max", "512", "memory/memory.swappiness", "60"))))
                .put(new Cgroup("x", "qfence.slice/gone", CgroupVersion.V1, new java.util.TreeMap<>(Map.of("pids/pids.max", "7"))))
                .put(new Cgroup("x", "qfence.slice/gone/old-vm", CgroupVersion.V1, new java.util.TreeMap<>(Map.of())))
                .put(new Cgroup("x", "qfence.slice/gone/old-vm/deeper", CgroupVersion.V1, new java.util.TreeMap<>(Map.of())))
                .put(new Cgroup("x", "qfence.slice/Not_A_Group", CgroupVersion.V1, new java.util.TreeMap<>(Map.of())))
                .put(new Cgroup("x", "elsewhere/web", CgroupVersion.V1, new java.util.TreeMap<>()));

        ObservedHost observed = observe(host, Scope.WITHOUT_GUESTS);

        assertThat(observed.objects()).filteredOn(Cgroup.class::isInstance).extracting(HostObject::address)
                .containsExactly(Addresses.groupCgroup("gone"), Addresses.vmCgroup("gone", "old-vm"), "group.web/cgroup");
        Cgroup web = (Cgroup) observed.objects().stream().filter(o -> o.address().equals("group.web/cgroup")).findFirst().orElseThrow();
        assertThat(web.files()).containsOnlyKeys("pids/pids.max").containsEntry("pids/pids.max", "512");
        assertThat(realizedWeb.files()).containsKey("pids/pids.max");
        Cgroup gone = (Cgroup) observed.objects().stream().filter(o -> o.address().equals("group.gone/cgroup")).findFirst().orElseThrow();
        assertThat(gone.files()).containsEntry("pids/pids.max", "7");
        assertThat(observed.foreign()).containsExactly(new ForeignObject("cgroup", "qfence.slice/Not_A_Group",
                "not named after a group or VM, so not qfence's"));
    }

    @Test
    void onlyTablesThatLookLikeQfencesAreReportedAndHostSettingsAreReadByTheirRealizedKeys() {
        FakeHost host = new FakeHost().foreignTable("inet filter").foreignTable("ip qfence").foreignTable("inet qfx-foreign")
                .foreignLink("qfx-1", "it has no qfence alias").put(Sysctl.of("net.ipv4.ip_forward", "0")).put(Sysctl.of("net.ipv4.tcp_syncookies", "1"));

        ObservedHost observed = observe(host, Scope.WITHOUT_GUESTS);

        assertThat(observed.foreign()).extracting(ForeignObject::kind, ForeignObject::name).containsExactly(
                org.assertj.core.groups.Tuple.tuple("link", "qfx-1"),
                org.assertj.core.groups.Tuple.tuple("nft table", "ip qfence"),
                org.assertj.core.groups.Tuple.tuple("nft table", "inet qfx-foreign"));
        assertThat(observed.objects()).filteredOn(Sysctl.class::isInstance).containsExactly(Sysctl.of("net.ipv4.ip_forward", "0"));
    }

    @Test
    void partsOutOfScopeAreNeitherObservedNorReported() {
        Guest g = BUNDLED.objects(Guest.class).get(0).withState(GuestState.RUNNING);
        FakeHost host = FakeHost.with(BUNDLED.objects()).put(g).foreignTable("ip qfence").foreignLink("qfx-1", "no alias");

        ObservedHost firewallOnly = observe(host, new Scope(java.util.EnumSet.of(Scope.Part.FIREWALL)));
        ObservedHost all = observe(host, Scope.ALL);

        assertThat(firewallOnly.objects()).extracting(HostObject::address).containsExactly("firewall");
        assertThat(firewallOnly.foreign()).extracting(ForeignObject::name).containsExactly("ip qfence");
        assertThat(all.objects()).contains(g);
        assertThat(Scope.parse("cgroups, network")).isEqualTo(new Scope(java.util.EnumSet.of(Scope.Part.NETWORK, Scope.Part.CGROUPS)));
        assertThat(Scope.WITHOUT_GUESTS).hasToString("network,firewall,cgroups");
    }
}
