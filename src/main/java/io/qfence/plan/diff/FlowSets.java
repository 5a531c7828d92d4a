package io.qfence.plan.diff;

import io.qfence.realize.FlowProtocol;
import io.qfence.realize.Principal;
import io.qfence.realize.Reach;
import io.qfence.realize.ReachabilityRelation;
import java.util.ArrayList;
import java.util.List;

/** Fills a {@link FlowSet} from realization's {@link ReachabilityRelation}. */
public final class FlowSets {

    private FlowSets() {}

    /**
     * One flow per entry, principals as the relation names them ({@code vm:web-01}, {@code internet},
     * {@code 10.0.0.0/8}, {@code outside:198.51.100.0/24}), except that the host is named {@code host:NAME}, so that
     * the relations of several hosts can be united. An entry for any protocol becomes TCP and UDP on all ports and
     * ICMP; a bastion exposure keeps its host port in the destination ({@code vm:web-bastion via host tcp 2222}).
     */
    public static FlowSet from(ReachabilityRelation relation, String hostName) {
        List<FlowEntry> out = new ArrayList<>();
        for (Reach r : relation.entries()) {
            String source = name(r.source(), hostName);
            String destination = name(r.destination(), hostName)
                    + (r.viaHostPort().isPresent() ? " via host tcp " + r.viaHostPort().getAsInt() : "");
            if (r.protocol() == FlowProtocol.ANY) {
                out.add(new FlowEntry(source, destination, "tcp", "*"));
                out.add(new FlowEntry(source, destination, "udp", "*"));
                out.add(new FlowEntry(source, destination, "icmp", ""));
            } else if (!r.protocol().hasPorts()) {
                out.add(new FlowEntry(source, destination, r.protocol().keyword(), ""));
            } else if (!r.ports().isEmpty()) {
                out.add(new FlowEntry(source, destination, r.protocol().keyword(),
                        r.ports().isAll() ? "*" : String.join(",", r.ports().ranges().stream().map(Object::toString).toList())));
            }
        }
        return FlowSet.of(out);
    }

    private static String name(Principal p, String hostName) {
        return p instanceof Principal.ThisHost ? "host:" + hostName : p.toString();
    }
}
