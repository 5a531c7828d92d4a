package io.qfence.plan.diff;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.plan.diff.ReachabilityGraph.EdgeMark;
import io.qfence.plan.diff.ReachabilityGraph.GraphEdge;
import io.qfence.testing.Golden;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The group-level picture of a relation: nodes, merged edge labels, marks, and the cap. */
class ReachabilityGraphTest {

    static final Map<String, String> GROUPS = Map.of("web-1", "web", "web-2", "web", "db-1", "db");

    @Test
    void flowsBetweenMembersMergeIntoOneEdgePerPairOfGroupsLabelledWithTheirPorts() {
        FlowSet flows = FlowSet.of(new FlowEntry("vm:web-1", "vm:db-1", "tcp", "5432"), new FlowEntry("vm:web-2", "vm:db-1", "tcp", "5433"),
                new FlowEntry("vm:web-1", "vm:db-1", "icmp", ""), new FlowEntry("vm:web-1", "vm:web-2", "tcp", "*"),
                new FlowEntry("vm:web-1", "vm:web-2", "udp", "*"), new FlowEntry("vm:web-1", "vm:web-2", "icmp", ""),
                new FlowEntry("outside:198.51.100.0/24", "vm:web-1 via host tcp 2222", "tcp", "22"));

        ReachabilityGraph g = ReachabilityGraph.of(flows, GROUPS);

        assertThat(g.nodes()).extracting(ReachabilityGraph.GraphNode::label).containsExactly("group db", "group web", "outside 198.51.100.0/24");
        assertThat(g.edges()).extracting(GraphEdge::label).containsExactly("icmp; tcp 5432-5433", "any", "tcp 22 via host port 2222");
        assertThat(g.capped()).isFalse();
    }

    @Test
    void aGainedFlowMarksItsEdgeAndALostOneIsDrawnDashed() {
        FlowSet before = FlowSet.of(new FlowEntry("vm:web-1", "host:hv1", "udp", "53"));
        FlowSet after = FlowSet.of(new FlowEntry("vm:web-1", "vm:db-1", "tcp", "5432"));

        ReachabilityGraph g = ReachabilityGraph.of(after, after.minus(before), before.minus(after), GROUPS, Set.of());

        assertThat(g.edges()).extracting(GraphEdge::mark).containsExactly(EdgeMark.GAINED, EdgeMark.LOST);
        Golden.assertMatches("graph/gained-lost.mmd", GraphRenderer.mermaid(g));
        Golden.assertMatches("graph/gained-lost.dot", GraphRenderer.dot(g));
    }

    @Test
    void aLargeRelationIsCappedKeepingMarkedEdgesAndSaysWhatItLeftOut() {
        Map<String, String> groups = new TreeMap<>();
        List<FlowEntry> flows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            groups.put("vm" + i, "g" + String.format("%02d", i));
            flows.add(new FlowEntry("vm" + i, "internet", "tcp", "443"));
        }
        for (int i = 0; i < 40; i++) {
            flows.add(new FlowEntry("vm:vm" + i, "vm:vm" + ((i + 1) % 40), "tcp", "22"));
        }
        flows.removeIf(f -> !f.source().startsWith("vm:"));
        FlowSet all = FlowSet.of(flows);
        FlowSet gained = FlowSet.of(new FlowEntry("vm:vm39", "vm:vm0", "tcp", "22"));

        ReachabilityGraph g = ReachabilityGraph.of(all, gained, FlowSet.EMPTY, groups, Set.of());

        assertThat(g.nodes()).hasSize(ReachabilityGraph.MAX_NODES);
        assertThat(g.capped()).isTrue();
        assertThat(g.edges()).anySatisfy(e -> assertThat(e.mark()).isEqualTo(EdgeMark.GAINED));
        assertThat(GraphRenderer.note(g)).hasValue("graph capped at 60 edges and 30 nodes: 11 edges and 10 nodes not shown (marked edges are kept first)");
    }

    @Test
    void labelsCannotBreakOutOfMermaidOrDot() {
        FlowSet flows = FlowSet.of(new FlowEntry("vm:web-1", "a\"b|c", "tcp", "1"));

        ReachabilityGraph g = ReachabilityGraph.of(flows, GROUPS);

        assertThat(GraphRenderer.mermaid(g)).contains("((\"a#quot;b#124;c\"))");
        assertThat(GraphRenderer.dot(g)).contains("[label=\"a\\\"b|c\", shape=ellipse]");
    }
}
