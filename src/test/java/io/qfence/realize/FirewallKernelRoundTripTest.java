package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The realizer's rules are fixed points of "load into the kernel, list": loaded with nft 1.0.6 into a private
 * network namespace and listed back with {@code nft -j}, every expr, comment, set and chain is exactly what the
 * realizer wrote. This is what keeps nft's reformatting from ever showing up as drift.
 */
@RequiresHost(tools = {"ip", "nft"})
class FirewallKernelRoundTripTest {

    private String netns;
    private Path dir;

    @BeforeEach
    void createNamespace() throws IOException {
        netns = "qfence-test-" + UUID.randomUUID().toString().substring(0, 8);
        Witness.run("ip", "netns", "add", netns);
        dir = Files.createTempDirectory("qfence-nft-");
    }

    @AfterEach
    void deleteNamespace() throws IOException {
        Witness.tryRun("ip", "netns", "del", netns);
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Test
    void everyCatalogueShapeListsBackExactlyAsTheEncoderWritesIt() throws IOException {
        List<String> lines = new ArrayList<>();
        RuleShapes.PREAMBLE.get("inet").forEach(lines::add);
        RuleShapes.PREAMBLE.get("bridge").forEach(lines::add);
        List<RuleShapes.Shape> shapes = RuleShapes.all();
        for (int i = 0; i < shapes.size(); i++) {
            RuleShapes.Shape s = shapes.get(i);
            lines.add("add rule " + s.family() + " qfence " + s.chain() + " " + s.nft() + " comment \"shape-" + i + "\"");
        }
        Path file = dir.resolve("shapes.nft");
        Files.write(file, lines, StandardCharsets.UTF_8);
        Witness.inNetns(netns, "nft", "-f", file.toString());

        Map<String, String> listed = new LinkedHashMap<>();
        for (String family : List.of("inet", "bridge")) {
            for (JsonNode o : list(family)) {
                if (o.has("rule")) {
                    listed.put(o.get("rule").get("comment").asText(), o.get("rule").get("expr").toString());
                }
            }
        }
        for (int i = 0; i < shapes.size(); i++) {
            assertThat(listed.get("shape-" + i)).as("listing of `%s`", shapes.get(i).nft()).isEqualTo(shapes.get(i).expr());
        }
    }

    @Test
    void smallRealizationLoadsAndListsBackUnchanged() throws IOException {
        assertRoundTrip(Scenarios.all().get(0).firewall());
    }

    @Test
    void everyExceptionKindLoadsAndListsBackUnchanged() throws IOException {
        assertRoundTrip(Scenarios.all().get(2).firewall());
    }

    @Test
    void theBundledDesiredStateLoadsAndListsBackUnchanged() throws IOException {
        assertRoundTrip(BundledDesiredStateTest.realize(Fixtures.THIS_MACHINE).firewall());
    }

    /** The trunk chain and its sets (DESIGN.md §20), on the host of a fleet that has two spanning groups. */
    @Test
    void aFleetHostsTrunkChecksLoadAndListBackUnchanged() throws IOException {
        assertRoundTrip(Realizer.realize(Fleets.threeHosts(), "hv1", Fleets.WITH_VLANS, Fixtures.TODAY).firewall());
    }

    private void assertRoundTrip(Firewall firewall) throws IOException {
        Path file = dir.resolve("firewall.json");
        Files.writeString(file, NftJson.batch(firewall), StandardCharsets.UTF_8);
        Witness.inNetns(netns, "nft", "-j", "-f", file.toString());
        for (NftTable t : firewall.tables()) {
            Map<String, List<String>> rules = new LinkedHashMap<>();
            Map<String, String> hooks = new LinkedHashMap<>();
            Map<String, List<String>> sets = new LinkedHashMap<>();
            List<String> counters = new ArrayList<>();
            for (JsonNode o : list(t.family())) {
                if (o.has("rule")) {
                    JsonNode r = o.get("rule");
                    rules.computeIfAbsent(r.get("chain").asText(), k -> new ArrayList<>())
                            .add(r.get("expr").toString() + " comment " + r.get("comment").asText());
                } else if (o.has("chain")) {
                    JsonNode c = o.get("chain");
                    hooks.put(c.get("name").asText(), c.has("hook") ? c.get("type").asText() + " " + c.get("hook").asText() + " "
                            + c.get("prio").asInt() + " " + c.get("policy").asText() : "regular");
                } else if (o.has("set")) {
                    List<String> elems = new ArrayList<>();
                    o.get("set").path("elem").forEach(e -> elems.add(e.toString()));
                    sets.put(o.get("set").get("name").asText(), elems.stream().sorted().toList());
                } else if (o.has("counter")) {
                    counters.add(o.get("counter").get("name").asText());
                }
            }
            for (NftChain c : t.chains()) {
                assertThat(hooks.get(c.name())).as("chain %s of %s", c.name(), t.qualifiedName())
                        .isEqualTo(c.hook().map(h -> h.type() + " " + h.hook() + " " + h.priority() + " " + h.policy()).orElse("regular"));
                assertThat(rules.getOrDefault(c.name(), List.of())).as("rules of %s %s", t.qualifiedName(), c.name())
                        .containsExactlyElementsOf(c.rules().stream().map(r -> r.expr() + " comment " + r.comment()).toList());
            }
            assertThat(hooks.keySet()).containsExactlyInAnyOrderElementsOf(t.chains().stream().map(NftChain::name).toList());
            for (NftSet s : t.sets()) {
                assertThat(sets.get(s.name())).as("set %s", s.name()).containsExactlyElementsOf(s.elements());
            }
            assertThat(counters).containsExactlyInAnyOrderElementsOf(t.counters());
        }
    }

    private JsonNode list(String family) {
        return RealizationJson.parse(Witness.inNetns(netns, "nft", "-j", "list", "table", family, "qfence")).get("nftables");
    }

    static List<NftRule> allRules(Firewall f) {
        return f.tables().stream().flatMap(t -> t.chains().stream()).flatMap(c -> c.rules().stream()).toList();
    }
}
