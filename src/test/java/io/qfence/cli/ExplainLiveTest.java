package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.app.Main;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code qfence explain --live} against a real host: the bundled state applied without guests into a private
 * namespace ({@link LiveSandbox}), then explain asked with the same host options. What it says about the live ruleset
 * is checked against {@code nft} itself: the rules it calls present are there, the counter value it prints is the one
 * {@code nft list counter} prints, and an accept rule deleted by hand is reported missing.
 */
@RequiresHost(tools = {"ip", "nft"}, cgroups = true)
class ExplainLiveTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LiveSandbox host;

    @BeforeEach
    void appliedIntoASandbox() {
        host = LiveSandbox.create();
        CliRun apply = host.cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
    }

    @AfterEach
    void removeHost() {
        host.close();
    }

    @AfterAll
    static void nothingIsLeft() {
        LiveSandbox.assertNothingLeft();
    }

    /** {@code explain ARGS --live} with the sandbox's host options (explain has no --scope: it plans nothing). */
    private CliRun explainLive(String... args) {
        List<String> all = new ArrayList<>(List.of("explain"));
        all.addAll(List.of(args));
        all.add("--live");
        all.addAll(host.hostArgs().stream().filter(a -> !a.equals("--no-guests")).toList());
        return CliRun.onHost(Main.liveHost(), "", all.toArray(String[]::new));
    }

    private JsonNode explainLiveJson(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--format", "json"));
        CliRun run = explainLive(all.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        return JSON.readTree(run.out());
    }

    @Test
    void anAllowedFlowsRulesAreAllPresentOnTheLiveHost() throws Exception {
        CliRun text = explainLive("web-app-1", "db-main", "tcp/5432");
        JsonNode json = explainLiveJson("web-app-1", "db-main", "tcp/5432");

        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).startsWith("vm:web-app-1 -> vm:db-main tcp/5432: ALLOWED\n")
                .contains("On the live host:\n  inet qfence chain from_web rule 0: present (accept rules carry no counter)\n")
                .doesNotContain("MISSING", "may answer otherwise");
        assertThat(json.path("verdict").asText()).isEqualTo("allowed");
        assertThat(json.path("live")).isNotEmpty().hasSameSizeAs(json.path("rules"))
                .allSatisfy(l -> assertThat(l.path("present").asBoolean()).as(l.toString()).isTrue());
        for (JsonNode r : json.path("rules")) {
            assertThat(chainAsNftListsIt(r.path("chain").asText())).as("nft holds %s", r.path("rule").asText())
                    .contains(r.path("rule").asText());
        }
    }

    @Test
    void aDeniedFlowsDropRuleIsPresentWithTheCounterValueNftReports() throws Exception {
        long before = counterAsNftListsIt("drop_from_web").path("packets").asLong();
        synFromWebApp1To("10.20.0.11", 22);
        JsonNode json = explainLiveJson("web-app-1", "db-main", "tcp/22");
        CliRun text = explainLive("web-app-1", "db-main", "tcp/22");

        assertThat(json.path("verdict").asText()).isEqualTo("denied");
        JsonNode live = json.path("live");
        assertThat(live).singleElement().satisfies(l -> {
            assertThat(l.path("chain").asText()).isEqualTo("from_web");
            assertThat(l.path("present").asBoolean()).isTrue();
            assertThat(l.at("/counter/name").asText()).isEqualTo("drop_from_web");
        });
        JsonNode nft = counterAsNftListsIt("drop_from_web");
        assertThat(nft.path("packets").asLong()).as("the SYN was dropped by the rule explain names").isGreaterThan(before);
        assertThat(live.get(0).at("/counter/packets").asLong()).isEqualTo(nft.path("packets").asLong());
        assertThat(live.get(0).at("/counter/bytes").asLong()).isEqualTo(nft.path("bytes").asLong());
        assertThat(text.out()).contains("On the live host:\n  inet qfence chain from_web rule 2: present, counter drop_from_web: "
                + nft.path("packets").asLong() + " packets, " + nft.path("bytes").asLong() + " bytes\n");
    }

    @Test
    void anAcceptRuleDeletedByHandIsReportedMissingAndTheAnswerMayDifferOnTheHost() throws Exception {
        long handle = handleOf("from_web", "qf:exception:web:1");
        host.witness("nft", "delete", "rule", "inet", "qfence", "from_web", "handle", Long.toString(handle));

        CliRun text = explainLive("web-app-1", "db-main", "tcp/5432");
        JsonNode json = explainLiveJson("web-app-1", "db-main", "tcp/5432");

        assertThat(text.exitCode()).as("an answer, even one the host may not follow, exits 0").isZero();
        assertThat(text.out()).startsWith("vm:web-app-1 -> vm:db-main tcp/5432: ALLOWED\n")
                .contains("  inet qfence chain from_web rule 0: MISSING (accept rules carry no counter)\n",
                        "  a rule of this answer is missing: the live host may answer otherwise (qfence plan shows the drift)\n");
        assertThat(json.path("live")).singleElement().satisfies(l -> assertThat(l.path("present").asBoolean()).isFalse());
        assertThat(json.path("live_differs").asBoolean()).isTrue();
    }

    /**
     * One TCP SYN from web-app-1's address, routed by the sandbox from group web's bridge: a veth port on
     * {@code qfb-web} whose other end is in a namespace of this test's own, holding 10.10.0.11 (no guest runs).
     */
    private void synFromWebApp1To(String address, int port) {
        String peer = host.name + "-peer";
        Witness.run("ip", "netns", "add", peer);
        try {
            host.witness("ip", "link", "add", "xl-web", "type", "veth", "peer", "name", "xl-peer", "netns", peer);
            host.witness("ip", "link", "set", "xl-web", "master", "qfb-web", "up");
            Witness.inNetns(peer, "ip", "addr", "add", "10.10.0.11/24", "dev", "xl-peer");
            Witness.inNetns(peer, "ip", "link", "set", "xl-peer", "up");
            Witness.inNetns(peer, "ip", "route", "add", "default", "via", "10.10.0.1");
            // Dropped, so the connect times out: what counts is the packet, not the exit code.
            Witness.tryRun("ip", "netns", "exec", peer, "timeout", "2", "bash", "-c", ": > /dev/tcp/" + address + "/" + port);
        } finally {
            Witness.run("ip", "netns", "del", peer);
        }
    }

    private String chainAsNftListsIt(String chain) {
        return host.witness("nft", "list", "chain", "inet", "qfence", chain);
    }

    private JsonNode counterAsNftListsIt(String name) throws Exception {
        for (JsonNode o : JSON.readTree(host.witness("nft", "-j", "list", "counter", "inet", "qfence", name)).path("nftables")) {
            if (o.has("counter")) {
                return o.get("counter");
            }
        }
        throw new AssertionError("nft lists no counter " + name);
    }

    private long handleOf(String chain, String comment) throws Exception {
        for (JsonNode o : host.witnessJson("nft", "-a", "-j", "list", "chain", "inet", "qfence", chain).path("nftables")) {
            if (o.has("rule") && o.get("rule").path("comment").asText().equals(comment)) {
                return o.get("rule").path("handle").asLong();
            }
        }
        throw new AssertionError("chain " + chain + " has no rule commented " + comment);
    }
}
