package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.ByteSize;
import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import io.qfence.model.desired.Bastion;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.Exposure;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.Link;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of realization over generated desired states: groups with random policies, bridged and user-mode
 * VMs, bastions, and exceptions of every kind between every kind of endpoint, some of them expired.
 */
class RealizationPropertiesTest {

    static final LocalDate TODAY = Fixtures.TODAY;
    static final List<String> PREFIXES = List.of("192.0.2.0/24", "198.51.100.7/32", "0.0.0.0/0", "2001:db8::/32", "10.0.0.0/8");

    @Provide
    Arbitrary<DesiredState> states() {
        return Arbitraries.longs().map(RealizationPropertiesTest::generate);
    }

    /** A desired state drawn from a seed, so that jqwik shrinks seeds and every failure is reproducible. */
    static DesiredState generate(long seed) {
        Random rnd = new Random(seed);
        int groupCount = 1 + rnd.nextInt(4);
        List<Group> groups = new ArrayList<>();
        List<String> vmNames = new ArrayList<>();
        List<List<Vm>> vmsOf = new ArrayList<>();
        for (int g = 0; g < groupCount; g++) {
            List<Vm> vms = new ArrayList<>();
            int n = rnd.nextInt(6);
            for (int v = 0; v < n; v++) {
                String name = "g" + g + "-vm" + v;
                boolean user = rnd.nextInt(5) == 0;
                vms.add(new Vm(name, 1 + rnd.nextInt(3), ByteSize.ofMebibytes(64L * (1 + rnd.nextInt(8))),
                        new BootSource.Disk("d/" + name + ".img", rnd.nextBoolean() ? BootSource.DiskFormat.RAW : BootSource.DiskFormat.QCOW2),
                        Optional.empty(), user ? Optional.empty() : Optional.of(Ipv4Address.parse("10." + (g + 1) + ".0." + (10 + v))),
                        user ? NetworkMode.USER : NetworkMode.BRIDGED, rnd.nextBoolean() ? VmState.RUNNING : VmState.STOPPED,
                        Limits.NONE, Duration.ofSeconds(10), Origin.UNKNOWN));
                vmNames.add(name);
            }
            vmsOf.add(vms);
        }
        for (int g = 0; g < groupCount; g++) {
            List<Vm> vms = vmsOf.get(g);
            List<FirewallException> allow = new ArrayList<>();
            int exceptions = rnd.nextInt(5);
            for (int e = 0; e < exceptions; e++) {
                Protocol p = Protocol.values()[rnd.nextInt(3)];
                List<PortRange> ports = new ArrayList<>();
                if (p.hasPorts()) {
                    for (int k = rnd.nextInt(3); k > 0; k--) {
                        int first = 1 + rnd.nextInt(9000);
                        ports.add(new PortRange(first, first + rnd.nextInt(3) * rnd.nextInt(100)));
                    }
                }
                Optional<LocalDate> expires = switch (rnd.nextInt(3)) {
                    case 0 -> Optional.of(TODAY.minusDays(1));
                    case 1 -> Optional.of(TODAY.plusDays(1));
                    default -> Optional.empty();
                };
                allow.add(new FirewallException(endpoint(rnd, vmNames, groupCount), endpoint(rnd, vmNames, groupCount), p, ports,
                        expires, Optional.empty(), Origin.UNKNOWN));
            }
            Optional<Bastion> bastion = Optional.empty();
            List<Vm> bridgedVms = vms.stream().filter(v -> v.network() == NetworkMode.BRIDGED).toList();
            if (!bridgedVms.isEmpty() && rnd.nextBoolean()) {
                List<Cidr> from = new ArrayList<>();
                from.add(Cidr.parse(PREFIXES.get(rnd.nextInt(3))));
                if (rnd.nextBoolean()) {
                    from.add(Cidr.parse("2001:db8::/32"));
                }
                bastion = Optional.of(new Bastion(bridgedVms.get(0).name(),
                        rnd.nextBoolean() ? Optional.of(new Exposure(2200 + g, 22, from)) : Optional.empty()));
            }
            groups.add(new Group("g" + g, 10 + g, Ipv4Cidr.parse("10." + (g + 1) + ".0.0/24"),
                    rnd.nextBoolean() ? Optional.of(Ipv6Cidr.parse("fd00:" + (g + 1) + "::/64")) : Optional.empty(),
                    rnd.nextBoolean() ? Egress.NAT : Egress.NONE, rnd.nextBoolean() ? IntraGroup.ALLOW : IntraGroup.DENY,
                    Limits.NONE, bastion, allow, vms, Origin.UNKNOWN));
        }
        List<String> names = new ArrayList<>(groups.stream().map(Group::name).toList());
        Collections.shuffle(names, rnd);
        return new DesiredState("rev-" + seed, List.of(Fixtures.host("hv1", names)), groups);
    }

    private static Endpoint endpoint(Random rnd, List<String> vmNames, int groupCount) {
        return switch (rnd.nextInt(5)) {
            case 0 -> vmNames.isEmpty() ? Endpoint.HOST : new Endpoint.VmRef(vmNames.get(rnd.nextInt(vmNames.size())));
            case 1 -> new Endpoint.GroupRef("g" + rnd.nextInt(groupCount));
            case 2 -> new Endpoint.CidrRef(Cidr.parse(PREFIXES.get(rnd.nextInt(PREFIXES.size()))));
            case 3 -> Endpoint.HOST;
            default -> Endpoint.INTERNET;
        };
    }

    static Realization realize(DesiredState s) {
        return Realizer.realize(s, "hv1", HostFacts.TYPICAL, TODAY);
    }

    @Property(tries = 200)
    void realizationIsDeterministic(@ForAll("states") DesiredState state) {
        assertThat(realize(state)).isEqualTo(realize(state));
        List<Group> reversed = new ArrayList<>();
        for (Group g : state.groups()) {
            List<Vm> vms = new ArrayList<>(g.vms());
            Collections.reverse(vms);
            reversed.add(0, Fixtures.withVms(g, vms));
        }
        DesiredState reordered = new DesiredState(state.revision(), state.hosts(), reversed);
        assertThat(realize(reordered).objects()).as("the order of groups and VMs in the input does not matter")
                .isEqualTo(realize(state).objects());
    }

    @Property(tries = 200)
    void everyVmGetsADistinctUidInTheHostsRange(@ForAll("states") DesiredState state) {
        Realization r = realize(state);
        List<Long> uids = r.objects(Guest.class).stream().map(Guest::uid).toList();
        assertThat(uids).doesNotHaveDuplicates().allMatch(u -> state.hosts().get(0).vmUidRange().contains(u));
    }

    @Property(tries = 200)
    void noRuleNamesAnInterfaceTheRealizationDoesNotCreate(@ForAll("states") DesiredState state) {
        Realization r = realize(state);
        Set<String> links = new HashSet<>(r.objects(Link.class).stream().map(Link::name).toList());
        for (NftTable t : r.firewall().tables()) {
            for (NftChain c : t.chains()) {
                for (NftRule rule : c.rules()) {
                    for (String name : interfaceNames(RealizationJson.parse(rule.expr()))) {
                        assertThat(name.endsWith("*") || links.contains(name)).as("%s in %s", name, rule.expr()).isTrue();
                    }
                }
            }
            for (var set : t.sets()) {
                for (String e : set.elements()) {
                    JsonNode el = RealizationJson.parse(e);
                    if (set.type().get(0).equals("ifname")) {
                        assertThat(links).contains(el.get("concat").get(0).asText());
                    }
                }
            }
        }
    }

    /** Every string compared with iifname/oifname, including the keys of interface verdict maps. */
    static List<String> interfaceNames(JsonNode expr) {
        List<String> names = new ArrayList<>();
        for (JsonNode stmt : expr) {
            JsonNode m = stmt.path("match");
            String key = m.path("left").path("meta").path("key").asText();
            if ((key.equals("iifname") || key.equals("oifname")) && m.get("right").isTextual()) {
                names.add(m.get("right").asText());
            }
            JsonNode vmap = stmt.path("vmap");
            String vkey = vmap.path("key").path("meta").path("key").asText();
            if (vkey.equals("iifname") || vkey.equals("oifname")) {
                vmap.path("data").path("set").forEach(pair -> names.add(pair.get(0).asText()));
            }
        }
        return names;
    }

    @Property(tries = 200)
    void everyDropRuleCountsItsHitsInANamedCounterOfItsTable(@ForAll("states") DesiredState state) {
        for (NftTable t : realize(state).firewall().tables()) {
            for (NftChain c : t.chains()) {
                for (NftRule rule : c.rules()) {
                    JsonNode expr = RealizationJson.parse(rule.expr());
                    boolean drops = false;
                    String counter = null;
                    for (JsonNode stmt : expr) {
                        drops |= stmt.has("drop");
                        if (stmt.has("counter")) {
                            assertThat(stmt.get("counter").isTextual()).as("only named counters: %s", rule.expr()).isTrue();
                            counter = stmt.get("counter").asText();
                        }
                    }
                    if (drops) {
                        assertThat(counter).as(rule.expr()).isNotNull();
                        assertThat(t.counters()).contains(counter);
                    }
                }
            }
            assertThat(t.chains()).allSatisfy(c -> assertThat(c.hook().map(NftChain.Hook::policy).orElse("accept")).isEqualTo("accept"));
        }
    }

    /**
     * The ruleset is compiled from the policy: each flow (except the host's own, which is never filtered) has its
     * rules, and every granting rule in the firewall belongs to exactly one flow. Masquerade is the only grant
     * without a flow; it follows the outward flows.
     */
    @Property(tries = 200)
    void everyGrantInTheFirewallComesFromExactlyOneFlowOfThePolicy(@ForAll("states") DesiredState state) {
        Realization r = realize(state);
        FirewallCompiler compiler = new FirewallCompiler(r.policy());
        Map<String, Integer> fromFlows = new HashMap<>();
        for (Flow f : r.policy().flows()) {
            List<FirewallCompiler.Placed> rules = compiler.rulesFor(f);
            if (!(f.source() instanceof Principal.ThisHost)) {
                assertThat(rules).as("rules of %s", f).isNotEmpty();
            }
            rules.forEach(p -> fromFlows.merge(p.family() + " " + p.chain() + " " + p.rule().expr() + " " + p.rule().comment(), 1, Integer::sum));
        }
        Map<String, Integer> inFirewall = new HashMap<>();
        for (NftTable t : r.firewall().tables()) {
            for (NftChain c : t.chains()) {
                for (NftRule rule : c.rules()) {
                    if (rule.effect() == NftRule.Effect.GRANT && !rule.comment().startsWith("qf:masquerade:")) {
                        inFirewall.merge(t.family() + " " + c.name() + " " + rule.expr() + " " + rule.comment(), 1, Integer::sum);
                    }
                }
            }
        }
        assertThat(inFirewall).isEqualTo(fromFlows);
        assertThat(fromFlows.values()).allMatch(n -> n == 1);
    }

    @Property(tries = 200)
    void theReachabilityRelationAllowsEachOfItsOwnEntries(@ForAll("states") DesiredState state) {
        ReachabilityRelation rel = Reachability.of(realize(state));
        for (Reach e : rel.entries()) {
            FlowProtocol p = e.protocol() == FlowProtocol.ANY ? FlowProtocol.TCP : e.protocol();
            int port = e.ports().isEmpty() ? 1 : e.ports().ranges().get(0).last();
            assertThat(rel.allows(e.source(), e.destination(), p, port)).as(e.toString()).isTrue();
        }
        assertThat(rel.entries()).isSorted().doesNotHaveDuplicates();
    }
}
