package io.qfence.realize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.Diagnostic;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.io.IOException;
import java.io.UncheckedIOException;

/** A readable JSON rendering of a realization for golden files: every object, the policy and the reachability. */
final class RealizationJson {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RealizationJson() {}

    static String render(Realization r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("host", r.host());
        root.put("revision", r.revision());
        ArrayNode warnings = root.putArray("warnings");
        r.warnings().stream().map(Diagnostic::toString).forEach(warnings::add);
        ArrayNode objects = root.putArray("objects");
        for (HostObject o : r.objects()) {
            ObjectNode n = objects.addObject();
            n.put("address", o.address());
            n.put("kind", o.getClass().getSimpleName());
            if (o instanceof Firewall f) {
                n.set("tables", tables(f));
                continue;
            }
            ObjectNode attrs = n.putObject("attributes");
            o.attributes().forEach(attrs::put);
            if (o instanceof Guest g) {
                ArrayNode argv = n.putArray("argv");
                g.argv().forEach(argv::add);
                ObjectNode launch = n.putObject("launch");
                launch.put("runDir", g.launch().runDir());
                launch.put("qmpSocket", g.launch().qmpSocket());
                launch.put("serialSocket", g.launch().serialSocket());
                launch.put("serialLog", g.launch().serialLog());
                launch.put("pidFile", g.launch().pidFile());
                ArrayNode images = launch.putArray("images");
                g.launch().images().forEach(images::add);
                launch.put("cgroupPath", g.launch().cgroupPath());
                g.launch().tap().ifPresent(t -> launch.put("tap", t));
                launch.put("stopTimeout", g.launch().stopTimeout().toString());
            }
        }
        ObjectNode policy = root.putObject("policy");
        ArrayNode flows = policy.putArray("flows");
        r.policy().flows().forEach(f -> flows.add(f.toString()));
        ArrayNode networks = policy.putArray("networks");
        r.policy().networks().forEach(net -> networks.add(net.toString()));
        ArrayNode vms = policy.putArray("vms");
        r.policy().vms().forEach(v -> vms.add(v.toString()));
        ArrayNode qfenceNets = policy.putArray("qfenceNetworks");
        r.policy().qfenceNetworks().forEach(c -> qfenceNets.add(c.toString()));
        ArrayNode reach = root.putArray("reachability");
        Reachability.of(r).listing().forEach(reach::add);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ArrayNode tables(Firewall f) {
        ArrayNode tables = JSON.createArrayNode();
        for (NftTable t : f.tables()) {
            ObjectNode tn = tables.addObject();
            tn.put("family", t.family());
            tn.put("name", t.name());
            ArrayNode counters = tn.putArray("counters");
            t.counters().forEach(counters::add);
            ArrayNode sets = tn.putArray("sets");
            for (NftSet s : t.sets()) {
                ObjectNode sn = sets.addObject();
                sn.put("name", s.name());
                sn.set("type", JSON.valueToTree(s.type()));
                sn.set("flags", JSON.valueToTree(s.flags()));
                ArrayNode elems = sn.putArray("elements");
                s.elements().forEach(e -> elems.add(parse(e)));
            }
            ArrayNode chains = tn.putArray("chains");
            for (NftChain c : t.chains()) {
                ObjectNode cn = chains.addObject();
                cn.put("name", c.name());
                c.hook().ifPresent(h -> cn.put("hook", "type " + h.type() + " hook " + h.hook() + " priority " + h.priority() + " policy " + h.policy()));
                ArrayNode rules = cn.putArray("rules");
                for (NftRule rule : c.rules()) {
                    ObjectNode rn = rules.addObject();
                    rn.put("comment", rule.comment());
                    rn.put("effect", rule.effect().name());
                    rn.put("expr", rule.expr());
                }
            }
        }
        return tables;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares with {@code golden/realize/RESOURCE} ({@link io.qfence.testing.Golden}: write and fail on update). */
    static void assertGolden(String actual, String resource) {
        io.qfence.testing.Golden.assertMatches("realize/" + resource, actual);
    }
}
