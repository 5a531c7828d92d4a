package io.qfence.realize;

import static io.qfence.realize.Fixtures.allow;
import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.expose;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static io.qfence.realize.Fixtures.userMode;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Protocol;
import io.qfence.model.host.HostFacts;
import java.util.List;

/** Realizations that together exercise every kind of flow and rule. */
final class Scenarios {

    private Scenarios() {}

    /** Every exception kind in both directions, ICMP, IPv6 prefixes, all-port TCP, user-mode VMs, an open exposure. */
    static DesiredState rich() {
        Group front = group("front", 11, "10.11.0.0/24", Egress.NONE, IntraGroup.DENY,
                List.of(bridged("fe-1", "10.11.0.21"), bridged("fe-2", "10.11.0.22"), bridged("fe-gw", "10.11.0.2")),
                allow("fe-1", "fe-2", Protocol.ICMP),
                allow("group:front", "group:back", Protocol.ICMP),
                allow("fe-1", "group:back", Protocol.TCP),
                allow("group:front", "2001:db8::/32", Protocol.UDP, "53"),
                allow("group:front", "2001:db8::/32", Protocol.ICMP),
                allow("fe-2", "203.0.113.7/32", Protocol.UDP, "123", "1000-2000"),
                allow("fe-1", "internet", Protocol.TCP, "443"),
                allow("fe-1", "host", Protocol.ICMP),
                allow("fe-1", "host", Protocol.TCP, "22", "8000-8080"));
        front = Fixtures.withSubnet6(Fixtures.withBastion(front, "fe-gw", expose(8022, 22, "0.0.0.0/0", "2001:db8::/32")), "fd00:11::/64");
        Group back = group("back", 12, "10.12.0.0/24", Egress.NONE, IntraGroup.ALLOW,
                List.of(bridged("be-1", "10.12.0.31"), userMode("be-u")),
                allow("internet", "be-1", Protocol.TCP, "80"),
                allow("192.0.2.0/24", "group:back", Protocol.TCP, "443"),
                allow("2001:db8::/32", "group:back", Protocol.TCP, "443"),
                allow("198.51.100.0/24", "be-1", Protocol.ICMP),
                allow("host", "group:back", Protocol.TCP, "9100"),
                allow("be-u", "fe-1", Protocol.TCP, "8443"),
                allow("be-u", "2001:db8::1/128", Protocol.UDP, "53"),
                allow("be-u", "internet", Protocol.TCP, "443"),
                allow("be-u", "host", Protocol.UDP, "53"),
                allow("be-u", "203.0.113.0/24", Protocol.ICMP));
        return Fixtures.state(host("hv1", List.of("front", "back")), front, back);
    }

    static List<Realization> all() {
        return List.of(
                Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY),
                Realizer.realize(Fixtures.small(), "hv1", HostFacts.TYPICAL, Fixtures.TODAY),
                Realizer.realize(rich(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY));
    }
}
