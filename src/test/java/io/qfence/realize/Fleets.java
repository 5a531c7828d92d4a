package io.qfence.realize;

import static io.qfence.realize.Fixtures.allow;
import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static io.qfence.realize.Fixtures.withUplink;

import io.qfence.model.host.Capability;
import io.qfence.model.host.HostFacts;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Protocol;
import java.util.EnumSet;
import java.util.List;

/** Desired states of several hosts (DESIGN.md §20). */
final class Fleets {

    /** A production host: this machine's capabilities plus 802.1Q, which an uplink needs. */
    static final HostFacts WITH_VLANS;

    static {
        EnumSet<Capability> caps = EnumSet.copyOf(Fixtures.THIS_MACHINE.capabilities());
        caps.add(Capability.VLAN_8021Q);
        WITH_VLANS = new HostFacts(Fixtures.THIS_MACHINE.cgroupVersion(), caps);
    }

    private Fleets() {}

    /**
     * Three hosts on one switch: {@code web} spans hv1 and hv2 (intra-group allowed), {@code db} spans hv1 and hv3
     * (intra-group denied, one replication exception from hv1 to hv3), and a routed exception from web-01 (hv1) to
     * db-01 (hv3), which is not realized across hosts (DESIGN.md §20).
     */
    static DesiredState threeHosts() {
        Group web = group("web", 10, "10.10.0.0/24", Egress.NAT, IntraGroup.ALLOW,
                List.of(bridged("web-01", "10.10.0.11").onHost("hv1"), bridged("web-02", "10.10.0.12").onHost("hv2")),
                allow("web-01", "db-01", Protocol.TCP, "5432"));
        Group db = group("db", 20, "10.20.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("db-01", "10.20.0.11").onHost("hv3"), bridged("db-02", "10.20.0.12").onHost("hv1")),
                allow("db-02", "db-01", Protocol.TCP, "5432"));
        return new DesiredState("0123456789abcdef0123456789abcdef01234567",
                List.of(withUplink(host("hv1", List.of("web", "db")), "eno1"), withUplink(host("hv2", List.of("web")), "eno1"),
                        withUplink(host("hv3", List.of("db")), "eno1")),
                List.of(web, db));
    }
}
