package io.qfence.platform.netlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.testing.TestNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What iproute2 (an independent implementation) says about links and addresses in a test namespace. */
final class LinkWitness {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TestNamespace ns;

    LinkWitness(TestNamespace ns) {
        this.ns = ns;
    }

    /** {@code ip -j -d link show}: every link, with details. */
    List<JsonNode> links() {
        return list(ns.witness("ip", "-j", "-d", "link", "show"));
    }

    Optional<JsonNode> link(String name) {
        return links().stream().filter(l -> l.path("ifname").asText().equals(name)).findFirst();
    }

    JsonNode requireLink(String name) {
        return link(name).orElseThrow(() -> new AssertionError("ip -d link shows no " + name + " in " + ns.name()));
    }

    /** {@code ip -j addr show dev NAME}: the addr_info entries as "ADDRESS/PREFIX". */
    List<String> addresses(String name) {
        List<String> result = new ArrayList<>();
        for (JsonNode link : list(ns.witness("ip", "-j", "addr", "show", "dev", name))) {
            for (JsonNode a : link.path("addr_info")) {
                result.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
            }
        }
        return result;
    }

    private static List<JsonNode> list(String json) {
        try {
            List<JsonNode> nodes = new ArrayList<>();
            JSON.readTree(json).forEach(nodes::add);
            return nodes;
        } catch (java.io.IOException e) {
            throw new AssertionError("ip printed invalid JSON: " + json, e);
        }
    }
}
