package io.qfence.cli;

import io.qfence.host.HostPorts;
import io.qfence.host.ObservedFirewall;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.HostFacts;
import io.qfence.plan.explain.ExplainQuery;
import io.qfence.plan.explain.Explainer;
import io.qfence.plan.explain.Explanation;
import io.qfence.plan.explain.ExplanationRenderer;
import io.qfence.plan.explain.InvariantCoverage;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.IsolationPolicy;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import io.qfence.realize.Principal;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "explain",
        mixinStandardHelpOptions = true,
        description = {"Say whether FROM can reach TO, and why.",
            "FROM and TO are a VM of the host, 'host', 'internet', or an IPv4 address or prefix; PROTO/PORT is tcp/N, udp/N or icmp (without it: any traffic).",
            "Answers from the realized policy of one host (the reachability relation that diff compares and verify probes): the exceptions and group settings that allow it, with their file:line, or the default that denies it; and the rules of the realized nft ruleset that decide it, with their table and chain.",
            "With --live, also whether the live host holds those rules, and the drop counters' values there (needs root).",
            "Exits 0 with an answer, allowed or not; 1 on an error."})
final class ExplainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ParentCommand
    QfenceCommand root;

    @Parameters(index = "0", paramLabel = "FROM", description = "A VM, host, internet, or an IPv4 address or prefix.")
    String from;

    @Parameters(index = "1", paramLabel = "TO", description = "A VM, host, internet, or an IPv4 address or prefix.")
    String to;

    @Parameters(index = "2", paramLabel = "PROTO/PORT", arity = "0..1", description = "tcp/PORT, udp/PORT or icmp (default: any traffic).")
    String service;

    @Mixin
    DesiredStateOptions source;

    @Mixin
    HostOptions hostOptions;

    @Option(names = "--live", description = "Also read the live host's ruleset: is each rule there, and what do its counters say (needs root).")
    boolean live;

    @Mixin
    OutputFormatOptions output;

    private final CliContext context;

    ExplainCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        HostOptions host = hostOptions.over(root.hostOptions);
        if (!live && host.targetsLiveHost()) {
            throw new UsageException("--netns, --cgroup-root, --cgroup-parent, --state-dir, --run-dir and --images-root are for explain --live");
        }
        DesiredState state = source.loadValid(context.clock(), spec.commandLine().getErr());
        String hostName = HostChoice.of(state, host.host().orElse(null));
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        Explanation explanation;
        if (live) {
            try (HostPorts ports = LiveHostCommands.connect(context, host, "explain --live")) {
                HostFacts facts = ports.facts().facts();
                Realization realization = Realizer.realize(host.overrides().applyTo(state), hostName, facts, today);
                explanation = explain(state, realization, hostName, today);
                ObservedFirewall observed = ports.firewall().observe();
                explanation = Explainer.live(explanation, observed.firewall(), observed.counters());
            }
        } else {
            explanation = explain(state, Realizer.realize(state, hostName, HostFacts.TYPICAL, today), hostName, today);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(switch (output.format()) {
            case text -> ExplanationRenderer.text(explanation);
            case json -> ExplanationRenderer.json(explanation);
        });
        out.flush();
        return ExitCodes.OK;
    }

    private Explanation explain(DesiredState state, Realization realization, String hostName, LocalDate today) {
        Principal a = endpoint(state, realization.policy(), hostName, from, "FROM");
        Principal b = endpoint(state, realization.policy(), hostName, to, "TO");
        if (a.equals(b)) {
            throw new UsageException("FROM and TO are both " + a + ": an endpoint always reaches itself");
        }
        ExplainQuery query = service == null ? ExplainQuery.anyTraffic(a, b) : query(a, b, service);
        return Explainer.explain(state, realization, query, InvariantCoverage.of(state, today));
    }

    /** {@code tcp/22}, {@code udp/53}, {@code icmp}. */
    static ExplainQuery query(Principal a, Principal b, String service) {
        String s = service.toLowerCase(Locale.ROOT);
        if (s.equals("icmp")) {
            return ExplainQuery.of(a, b, FlowProtocol.ICMP, 0);
        }
        int slash = s.indexOf('/');
        String proto = slash < 0 ? s : s.substring(0, slash);
        if (!proto.equals("tcp") && !proto.equals("udp")) {
            throw new UsageException("PROTO/PORT '" + service + "': expected tcp/PORT, udp/PORT or icmp");
        }
        if (slash < 0) {
            throw new UsageException("PROTO/PORT '" + service + "': " + proto + " needs a port, e.g. " + proto + "/22");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new UsageException("PROTO/PORT '" + service + "': the port must be a number from 1 to 65535");
        }
        return ExplainQuery.of(a, b, proto.equals("tcp") ? FlowProtocol.TCP : FlowProtocol.UDP, port);
    }

    /** A VM of the host, {@code host}, {@code internet}, or an IPv4 address or prefix (a VM's address is that VM). */
    static Principal endpoint(DesiredState state, IsolationPolicy policy, String hostName, String text, String which) {
        if (text.equals("host")) {
            return Principal.HOST;
        }
        if (text.equals("internet")) {
            return Principal.INTERNET;
        }
        Optional<VmEndpoint> vm = policy.vm(text);
        if (vm.isPresent()) {
            return vm.get().principal();
        }
        if (state.vm(text).isPresent()) {
            String other = state.hosts().stream().filter(h -> h.groups().contains(state.vm(text).get().group().name()))
                    .map(io.qfence.model.desired.Host::name).findFirst().orElse("no host");
            throw new UsageException(which + " '" + text + "': vm " + text + " runs on " + other + ", not on " + hostName
                    + " (choose the host with --host)");
        }
        Optional<Ipv4Cidr> block = ipv4(text, which);
        if (block.isEmpty()) {
            throw new UsageException(which + " '" + text + "': no VM of host " + hostName + " has this name; expected a VM, host, internet, "
                    + "or an IPv4 address or prefix");
        }
        Ipv4Cidr c = block.get();
        if (c.prefixLength() == 32) {
            Optional<VmEndpoint> owner = policy.vms().stream().filter(v -> v.ip().map(c.network()::equals).orElse(false)).findFirst();
            if (owner.isPresent()) {
                return owner.get().principal();
            }
        }
        if (policy.isQfenceAddress(c)) {
            throw new UsageException(which + " '" + text + "': lies in a qfence network but is no VM's address; name the VM, or host");
        }
        return new Principal.Prefix(c);
    }

    /** Empty when the text is no address at all; an address that is written wrongly is an error of its own. */
    private static Optional<Ipv4Cidr> ipv4(String text, String which) {
        if (!text.matches("[0-9.]+(/[0-9]+)?")) {
            return Optional.empty();
        }
        try {
            return Optional.of(text.contains("/") ? Ipv4Cidr.parse(text) : new Ipv4Cidr(Ipv4Address.parse(text), 32));
        } catch (IllegalArgumentException e) {
            throw new UsageException(which + " '" + text + "': " + e.getMessage());
        }
    }
}
