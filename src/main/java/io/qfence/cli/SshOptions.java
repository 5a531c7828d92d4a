package io.qfence.cli;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Host;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.HostFacts;
import io.qfence.plan.diff.FlowEntry;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.ssh.SshConfig;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** What {@code ssh} and {@code ssh-config} share: how clients reach the host, and the account and key for both hops. */
final class SshOptions {

    @Option(names = "--host-address", paramLabel = "ADDRESS",
            description = "How clients reach the host that exposes the bastion (default: the host's name in the desired state).")
    String hostAddress;

    @Option(names = {"-l", "--user"}, paramLabel = "USER", description = "The account on the bastion and the VM (default: ssh's).")
    String user;

    @Option(names = {"-i", "--identity"}, paramLabel = "FILE", description = "The private key for both hops (default: ssh's).")
    String identity;

    @Option(names = "-o", paramLabel = "KEY=VALUE",
            description = "An ssh_config option for both hops, e.g. -o StrictHostKeyChecking=accept-new (repeatable; ProxyCommand and the route's own options are refused).")
    Map<String, String> options = new LinkedHashMap<>();

    SshConfig.ClientSettings toOptions() {
        try {
            return new SshConfig.ClientSettings(Optional.ofNullable(hostAddress), Optional.ofNullable(user), Optional.ofNullable(identity), options);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /** The desired state (its warnings on stderr) and the flows of every host's realized policy, united. */
    record Loaded(DesiredState state, FlowSet flows) {}

    static Loaded load(DesiredStateOptions source, CliContext context, PrintWriter err) {
        Clock clock = context.clock();
        DesiredState state = source.loadValid(clock, err);
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        List<FlowEntry> flows = new ArrayList<>();
        for (Host h : state.hosts()) {
            flows.addAll(context.realization().realize(state, h.name(), HostFacts.TYPICAL, today).flows().entries());
        }
        return new Loaded(state, FlowSet.of(flows));
    }
}
