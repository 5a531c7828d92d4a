package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.apply.StateLockHolder;
import io.qfence.model.InterfaceNames;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.NftTable;
import io.qfence.model.host.Sysctl;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanCodec;
import io.qfence.platform.nft.Normalizer;
import io.qfence.realize.Realization;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.BothCgroupLayouts;
import io.qfence.testing.CgroupHost;
import io.qfence.testing.RequiresHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real CLI against the real kernel, in a namespace and cgroup subtree of the test's own: the bundled
 * {@code desired-state/} is applied without guests, checked with independent witnesses ({@code ip -j -d link},
 * {@code ip -j addr}, {@code nft -j}, the cgroup files, {@code sysctl}), re-planned to nothing; drift made by hand is
 * planned exactly, labelled as drift and healed; look-alikes and other tools' objects are left alone. The cgroup files
 * are found in whichever layout this host has ({@link CgroupHost}); the production-kernel lab runs the cgroups-only case
 * on v2 ({@link BothCgroupLayouts}).
 */
@RequiresHost(tools = {"ip", "nft", "sysctl"}, cgroups = true)
class LiveApplyTest {

    private LiveSandbox host;

    @BeforeEach
    void createHost() {
        host = LiveSandbox.create();
    }

    @AfterEach
    void removeHost() {
        host.close();
    }

    @AfterAll
    static void nothingIsLeft() {
        LiveSandbox.assertNothingLeft();
    }

    private void applied() {
        CliRun apply = host.cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(apply.err()).isZero();
    }

    @Test
    void theBundledDesiredStateIsAppliedAsTheWitnessesSeeItAndASecondPlanIsEmpty() {
        Realization realization = host.realization();
        CliRun apply = host.cli("apply", "--auto-approve");

        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(apply.out()).contains("Apply complete: ");
        linksAreAsRealized(realization);
        firewallIsAsRealized(realization);
        cgroupsAreAsRealized(realization);
        for (Sysctl s : realization.objects(Sysctl.class)) {
            assertThat(host.witness("sysctl", "-n", s.key()).strip()).as(s.key()).isEqualTo(s.value());
        }
        assertThat(host.links()).extracting(l -> l.path("ifname").asText()).noneMatch(InterfaceNames::isTemporary);

        CliRun plan = host.cli("plan");
        assertThat(plan.exitCode()).as(plan.out() + plan.err()).isZero();
        assertThat(plan.out()).startsWith("Host facts: ").contains("(observed on this host)\n\nNo changes.");
    }

    private void linksAreAsRealized(Realization realization) {
        List<Link> links = realization.objects(Link.class);
        assertThat(links).hasSize(11);
        assertThat(host.links()).extracting(l -> l.path("ifname").asText())
                .containsExactlyInAnyOrderElementsOf(concat("lo", links.stream().map(Link::name).toList()));
        for (Link want : links) {
            JsonNode l = host.link(want.name()).orElseThrow();
            assertThat(l.path("ifalias").asText()).as(want.name()).isEqualTo("qfence:" + want.address());
            assertThat(l.path("mtu").asInt()).isEqualTo(want.mtu());
            assertThat(l.path("address").asText()).isEqualTo(want.mac().orElseThrow().toString());
            assertThat(l.path("flags").toString()).contains("\"UP\"");
            assertThat(l.path("master").isMissingNode() ? null : l.path("master").asText()).isEqualTo(want.master().orElse(null));
            JsonNode info = l.path("linkinfo");
            if (want.kind() == LinkKind.TAP) {
                assertThat(info.path("info_kind").asText()).isEqualTo("tun");
                assertThat(info.path("info_data").path("type").asText()).isEqualTo("tap");
                assertThat(info.path("info_data").path("user").asLong()).isEqualTo(want.ownerUid().orElseThrow());
                assertThat(info.path("info_data").path("persist").asBoolean()).isTrue();
                JsonNode port = info.path("info_slave_data");
                assertThat(port.path("isolated").asBoolean()).isEqualTo(want.portFlags().orElseThrow().isolated());
                assertThat(port.path("learning").asBoolean()).isEqualTo(want.portFlags().orElseThrow().learning());
                assertThat(port.path("neigh_suppress").asBoolean()).isEqualTo(want.portFlags().orElseThrow().neighSuppress());
            } else {
                assertThat(info.path("info_kind").asText()).isEqualTo("bridge");
            }
            List<String> global = new ArrayList<>();
            for (JsonNode iface : host.witnessJson("ip", "-j", "addr", "show", "dev", want.name())) {
                for (JsonNode a : iface.path("addr_info")) {
                    if (a.path("scope").asText().equals("global")) {
                        global.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
                    }
                }
            }
            assertThat(global).as("addresses of %s", want.name()).containsExactlyInAnyOrderElementsOf(want.addresses());
        }
        assertThat(links.stream().filter(l -> l.name().equals("qfb-web")).findFirst().orElseThrow().addresses())
                .containsExactly("10.10.0.1/24", "fd00:10::1/64");
    }

    private void firewallIsAsRealized(Realization realization) {
        List<String> tables = new ArrayList<>();
        for (JsonNode o : host.witnessJson("nft", "-j", "list", "tables").path("nftables")) {
            if (o.has("table")) {
                tables.add(o.get("table").path("family").asText() + " " + o.get("table").path("name").asText());
            }
        }
        assertThat(tables).containsExactlyInAnyOrder("inet qfence", "bridge qfence");
        for (NftTable want : realization.firewall().tables()) {
            String listing = host.witness("nft", "-j", "list", "table", want.family(), want.name());
            assertThat(Normalizer.normalize(listing, want.family(), want.name()).table()).as(want.qualifiedName()).isEqualTo(want);
        }
    }

    private void cgroupsAreAsRealized(Realization realization) {
        List<Cgroup> cgroups = realization.objects(Cgroup.class);
        assertThat(cgroups).hasSize(12).allSatisfy(c -> assertThat(c.path()).startsWith(host.cgroupParent + "/"));
        for (Cgroup c : cgroups) {
            c.files().forEach((file, value) -> {
                Path onDisk = CgroupHost.file(c.path(), file);
                assertThat(LiveSandbox.read(onDisk)).as(onDisk.toString()).isEqualTo(value);
            });
        }
        assertThat(host.cgroupDirs("memory")).containsExactlyInAnyOrderElementsOf(
                cgroups.stream().map(c -> c.path().substring(host.cgroupParent.length() + 1)).toList());
    }

    /**
     * The cgroups alone ({@code --scope cgroups}) on whichever layout this host has: every realized file is on disk
     * where the layout keeps it (read directly), a second plan is empty, a limit changed by hand is planned as drift
     * and healed. The lab runs this case on cgroup v2 (tagged {@link BothCgroupLayouts}; the other cases need the
     * network and firewall parts, which the lab covers elsewhere).
     */
    @Test
    @BothCgroupLayouts
    void theCgroupsAloneAreAppliedWhereThisLayoutKeepsThemAndAHandEditedLimitIsHealed() throws Exception {
        Realization realization = host.realization();
        CliRun apply = host.cliWithScope("cgroups", "apply", "--auto-approve");

        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
        cgroupsAreAsRealized(realization);
        assertThat(host.links()).as("the network is out of scope").extracting(l -> l.path("ifname").asText()).containsExactly("lo");
        CliRun plan = host.cliWithScope("cgroups", "plan");
        assertThat(plan.exitCode()).as(plan.out() + plan.err()).isZero();

        String pidsMax = CgroupHost.version() == CgroupVersion.V2 ? "pids.max" : "pids/pids.max";
        Path pids = CgroupHost.file(host.cgroupParent + "/web", pidsMax);
        Files.writeString(pids, "100000");
        Path saved = host.dir.resolve("drift.json");
        CliRun drift = host.cliWithScope("cgroups", "plan", "--out", saved.toString());

        assertThat(drift.exitCode()).as(drift.out() + drift.err()).isEqualTo(2);
        assertThat(PlanCodec.fromJson(Files.readString(saved)).changes()).singleElement().satisfies(c -> {
            assertThat(c.address()).isEqualTo("group.web/cgroup");
            assertThat(c.drift()).isTrue();
            assertThat(c.attributeChanges()).singleElement().satisfies(a -> assertThat(a.key()).isEqualTo("file " + pidsMax));
        });
        CliRun heal = host.cliWithScope("cgroups", "apply", "--auto-approve");
        assertThat(heal.exitCode()).as(heal.out() + heal.err()).isZero();
        assertThat(LiveSandbox.read(pids)).isEqualTo("512");
    }

    @Test
    void driftMadeByHandIsPlannedExactlyLabelledAsDriftAndHealed() throws Exception {
        applied();
        host.witness("ip", "link", "del", "qft-db-main");
        long handle = lastRuleHandle("from_web");
        host.witness("nft", "replace", "rule", "inet", "qfence", "from_web", "handle", Long.toString(handle),
                "ip", "saddr", "10.10.0.0/24", "accept", "comment", "\"tampered\"");
        String pidsMax = CgroupHost.version() == CgroupVersion.V2 ? "pids.max" : "pids/pids.max";
        Path pids = CgroupHost.file(host.cgroupParent + "/web", pidsMax);
        Files.writeString(pids, "100000");
        host.witness("nft", "add", "rule", "inet", "qfence", "forward", "ip", "saddr", "192.0.2.1", "accept");
        Path saved = host.dir.resolve("drift.json");

        CliRun plan = host.cli("plan", "--out", saved.toString());

        assertThat(plan.exitCode()).as(plan.err()).isEqualTo(2);
        Plan drift = PlanCodec.fromJson(Files.readString(saved));
        assertThat(drift.changes()).extracting(Change::address)
                .containsExactly("firewall", "group.web/cgroup", "group.db/vm.db-main/tap");
        assertThat(drift.changes()).allSatisfy(c -> {
            assertThat(c.drift()).as(c.address()).isTrue();
            assertThat(c.reason().code()).isEqualTo("drift");
        });
        TreeSet<String> firewallKeys = new TreeSet<>(drift.changes().get(0).attributeChanges().stream().map(Change.AttributeChange::key).toList());
        assertThat(firewallKeys).hasSize(2);
        assertThat(firewallKeys.first()).startsWith("inet qfence/chain forward/rule ");
        assertThat(firewallKeys.last()).startsWith("inet qfence/chain from_web/rule ");
        assertThat(drift.changes().get(1).attributeChanges()).singleElement()
                .satisfies(a -> assertThat(a.key()).isEqualTo("file " + pidsMax));
        assertThat(plan.out()).contains("Objects changed outside qfence (drift); these changes undo them:", "(drift: deleted outside qfence)",
                "(drift: changed outside qfence)");

        applied();

        assertThat(host.cli("plan").exitCode()).isZero();
        assertThat(host.link("qft-db-main")).isPresent();
        assertThat(LiveSandbox.read(pids)).isEqualTo("512");
        assertThat(host.witness("nft", "list", "table", "inet", "qfence")).doesNotContain("192.0.2.1", "tampered");
    }

    private long lastRuleHandle(String chain) {
        long handle = -1;
        for (JsonNode o : host.witnessJson("nft", "-a", "-j", "list", "chain", "inet", "qfence", chain).path("nftables")) {
            if (o.has("rule")) {
                handle = o.get("rule").path("handle").asLong();
            }
        }
        assertThat(handle).isPositive();
        return handle;
    }

    @Test
    void othersObjectsAreLeftAloneAndLookAlikesAreReported() {
        host.witness("ip", "link", "add", "qfb-web", "type", "bridge");
        CliRun collision = host.cli("apply", "--auto-approve");
        assertThat(collision.exitCode()).isEqualTo(1);
        assertThat(collision.err()).contains("qfence: error: the plan cannot be applied: group.web/bridge needs the link name qfb-web, "
                + "which a link that is not qfence's already has (it has no qfence alias)");
        assertThat(host.links()).extracting(l -> l.path("ifname").asText()).containsExactlyInAnyOrder("lo", "qfb-web");
        host.witness("ip", "link", "del", "qfb-web");
        applied();

        host.witness("ip", "link", "add", "qfx-foreign", "type", "bridge");
        host.witness("ip", "link", "add", "fa-host", "type", "veth", "peer", "name", "fa-peer");
        host.witness("nft", "add", "table", "ip", "qfence");
        host.witness("nft", "add", "chain", "ip", "qfence", "input", "{ type filter hook input priority 0; policy accept; }");
        host.witness("nft", "add", "rule", "ip", "qfence", "input", "tcp", "dport", "22", "accept");
        host.witness("nft", "add", "table", "inet", "qfx-foreign");
        host.witness("nft", "add", "table", "inet", "filter");
        host.witness("nft", "add", "chain", "inet", "filter", "forward", "{ type filter hook forward priority 0; policy accept; }");
        host.witness("nft", "add", "rule", "inet", "filter", "forward", "iifname", "\"qfb-*\"", "counter", "accept");
        host.witness("ip", "link", "del", "qft-web-app-1");
        List<String> foreignBefore = foreignWitness();

        CliRun state = host.cli("state");
        CliRun apply = host.cli("apply", "--auto-approve");

        assertThat(state.exitCode()).isZero();
        assertThat(state.err()).startsWith("""
                warning: link qfx-foreign is not qfence's (it has no qfence alias); qfence leaves it alone
                warning: nft table ip qfence is not qfence's (qfence owns only inet qfence and bridge qfence); qfence leaves it alone
                warning: nft table inet qfx-foreign is not qfence's (a qf-named table qfence did not make); qfence leaves it alone
                """);
        assertThat(state.err().lines().skip(3)).as("the desired state's and realization's warnings follow")
                .anyMatch(l -> l.contains("warning: host hv1: AppArmor is preferred but not available on this host"));
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(apply.out()).contains("[1/1] + group.web/vm.web-app-1/tap … done",
                "Warning: link qfx-foreign is not qfence's (it has no qfence alias); qfence leaves it alone").doesNotContain("fa-host")
                // the table named filter, as a word: the plan's host facts line says bridge_vlan_filtering
                .doesNotContainPattern("\\bfilter\\b");
        assertThat(foreignWitness()).isEqualTo(foreignBefore);
        assertThat(host.cli("plan").exitCode()).isZero();
    }

    /** The others' objects as the witnesses list them (counters and other volatile fields left out). */
    private List<String> foreignWitness() {
        List<String> seen = new ArrayList<>();
        for (String link : List.of("qfx-foreign", "fa-host", "fa-peer")) {
            JsonNode l = host.link(link).orElseThrow();
            seen.add(link + " " + l.path("address").asText() + " " + l.path("mtu").asInt() + " " + l.path("flags") + " "
                    + l.path("ifalias").asText() + " " + l.path("master").asText());
        }
        seen.add(host.witness("nft", "list", "table", "ip", "qfence"));
        seen.add(host.witness("nft", "list", "table", "inet", "qfx-foreign"));
        seen.add(host.witness("nft", "list", "table", "inet", "filter").replaceAll("packets \\d+ bytes \\d+", ""));
        return seen;
    }

    @Test
    void whatAnInterruptedApplyLeftBehindIsPlannedAsSuchAndDeleted() {
        applied();
        String temporary = InterfaceNames.temporary(new Random());
        host.witness("ip", "tuntap", "add", "dev", temporary, "mode", "tap", "user", "231600");
        // an interrupted replacement under a new name: two links claim the web bridge's address
        host.witness("ip", "link", "add", "qfb-web-old", "type", "bridge");
        host.witness("ip", "link", "set", "qfb-web-old", "alias", "qfence:group.web/bridge");
        String webBridge = host.link("qfb-web").orElseThrow().path("ifindex").asText();

        CliRun plan = host.cli("plan");
        CliRun apply = host.cli("apply", "--auto-approve");

        assertThat(plan.exitCode()).isEqualTo(2);
        assertThat(plan.out()).contains("# " + Addresses.leftoverLink(temporary) + " will be destroyed",
                "# " + Addresses.leftoverLink("qfb-web-old") + " will be destroyed", "# (left behind by an interrupted apply)")
                .contains("Plan: 0 to add, 0 to change, 2 to destroy");
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(host.link(temporary)).isEmpty();
        assertThat(host.link("qfb-web-old")).isEmpty();
        assertThat(host.link("qfb-web").orElseThrow().path("ifindex").asText()).isEqualTo(webBridge);
        assertThat(host.cli("plan").exitCode()).isZero();
    }

    @Test
    void aSavedPlanIsRefusedOnceTheHostChangedAndAppliedWhileItHasNot() {
        Path saved = host.dir.resolve("plan.json");
        assertThat(host.cli("plan", "--out", saved.toString()).exitCode()).isEqualTo(2);
        host.witness("ip", "link", "add", "qfb-ci", "type", "bridge");
        host.witness("ip", "link", "set", "qfb-ci", "alias", "qfence:group.ci/bridge");

        CliRun stale = host.cli("apply", "--plan", saved.toString(), "--auto-approve");

        assertThat(stale.exitCode()).isEqualTo(1);
        assertThat(stale.err()).contains("qfence: error: the plan was made for the host as observed at sha256:").endsWith("; make a new plan\n");
        assertThat(host.links()).hasSize(2);

        Path fresh = host.dir.resolve("fresh.json");
        assertThat(host.cli("plan", "--out", fresh.toString()).exitCode()).isEqualTo(2);
        CliRun apply = host.cli("apply", "--plan", fresh.toString(), "--auto-approve");
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(host.cli("plan").exitCode()).isZero();
    }

    @Test
    void anApplyWhileAnotherHoldsTheLockFailsAtOnceNamingItAndChangesNothing() throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(StateLockHolder.class.getName()));
        command.addAll(List.of(host.stateDir().toString(), "qfence apply"));
        Process holder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String locked = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertThat(locked).startsWith("LOCKED ");

            CliRun second = host.cli("apply", "--auto-approve");

            assertThat(second.exitCode()).isEqualTo(1);
            assertThat(second.err()).contains("qfence.lock is locked by pid " + holder.pid() + " (qfence apply) since ")
                    .contains("; nothing was changed");
            assertThat(host.links()).hasSize(1);
        } finally {
            holder.getOutputStream().close();
            holder.waitFor();
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }
}
