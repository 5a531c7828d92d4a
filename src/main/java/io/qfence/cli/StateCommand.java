package io.qfence.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.apply.ReadinessWait;
import io.qfence.engine.Cycle;
import io.qfence.engine.Engine;
import io.qfence.host.HostPorts;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.ConfinementLayers;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.SnapshotCodec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "state",
        mixinStandardHelpOptions = true,
        description = {"Print what qfence owns on the live host, as observed.",
            "Links, host settings, firewall (with its drop counters), cgroups and guests; the JSON is the input of plan --observed.",
            "Each running guest shows the confinement its QEMU really has, read from /proc: uid, groups, capabilities, no_new_privs, seccomp, AppArmor label, namespaces, root, cgroups and open descriptors. A layer its host's settings require and it lacks is a warning on stderr. --format confinement prints it as one line per guest (VM, uid, namespaces, root, seccomp, caps, nnp, apparmor, missing layers).",
            "Look-alikes qfence leaves alone (a qf-named link without qfence's alias, a qf-named nft table of another family, a stray cgroup) are reported as warnings on stderr. Needs root.",
            "Exits 0, or 1 on an error."})
final class StateCommand implements Callable<Integer> {

    /**
     * json and yaml: the snapshot (plan --observed reads it); boot: one line per guest with its boot status;
     * confinement: one line per guest with the confinement its QEMU has and the layers it lacks ({@link ConfinementTable}).
     */
    enum StateFormat { json, yaml, boot, confinement }

    @Spec
    CommandSpec spec;

    @ParentCommand
    QfenceCommand root;

    @Mixin
    DesiredStateOptions source;

    @Mixin
    HostOptions hostOptions;

    @Mixin
    ScopeOptions scope;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    StateFormat format;

    private final CliContext context;

    StateCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        HostOptions host = hostOptions.over(root.hostOptions);
        PrintWriter err = spec.commandLine().getErr();
        ObservedHost observed;
        List<String> warnings;
        Cycle cycle;
        List<String> boot = List.of();
        try (HostPorts ports = LiveHostCommands.connect(context, host, "state")) {
            cycle = new Engine(ports, context.clock()).plan(LiveHostCommands.request(context, source, host, scope));
            observed = cycle.observed();
            warnings = cycle.warnings();
            if (format == StateFormat.boot) {
                boot = bootLines(ports, observed);
            }
        }
        for (ForeignObject f : observed.foreign()) {
            err.println("warning: " + f.kind() + " " + f.name() + " is not qfence's (" + f.reason() + "); qfence leaves it alone");
        }
        // What loading and realization warned about (e.g. AppArmor preferred but unavailable) holds for what state shows.
        LiveHostCommands.warn(err, warnings);
        List<ConfinementLayers.MissingLayer> missing = missingLayers(cycle.desired(), observed);
        missing.forEach(m -> err.println("warning: guest " + m.message()));
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        if (format == StateFormat.confinement) {
            ConfinementTable.lines(observed.objects(), missing).forEach(out::println);
            out.flush();
            return ExitCodes.OK;
        }
        if (format == StateFormat.boot) {
            boot.forEach(out::println);
            out.flush();
            return ExitCodes.OK;
        }
        String json = SnapshotCodec.toJson(observed);
        out.print(format == StateFormat.json ? json : yaml(json));
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * Every layer a running guest lacks that its realization (its host's settings) requires, judged on the
     * confinement observation read from {@code /proc}. A guest that does not run is the plan's business, not this.
     */
    static List<ConfinementLayers.MissingLayer> missingLayers(List<HostObject> desired, ObservedHost observed) {
        Map<String, Guest> running = new HashMap<>();
        observed.objects().stream().filter(o -> o instanceof Guest).map(o -> (Guest) o)
                .filter(g -> g.runtime().confinement().isPresent()).forEach(g -> running.put(g.vm(), g));
        return desired.stream().filter(o -> o instanceof Guest).map(o -> (Guest) o).filter(g -> running.containsKey(g.vm()))
                .flatMap(g -> ConfinementLayers.missing(g, running.get(g.vm()).runtime().confinement()).stream()).toList();
    }

    /**
     * {@code GUEST STATE BOOT}: each observed guest's lifecycle state and, for a running one, what its serial console
     * says about cloud-init ({@code ready 71.2s instance ID}, {@code booting}, {@code unknown (why)}).
     */
    static List<String> bootLines(HostPorts ports, ObservedHost observed) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-24s %-9s %s", "GUEST", "STATE", "BOOT"));
        observed.objects().stream().filter(o -> o instanceof Guest).map(o -> (Guest) o)
                .sorted(Comparator.comparing(Guest::vm)).forEach(g -> {
                    String boot = "-";
                    if (g.state() == GuestState.RUNNING) {
                        BootStatus s = ports.guests().bootStatus(g,
                                ReadinessWait.expectedInstanceId(g));
                        if (s instanceof BootStatus.Finished r) {
                            boot = "ready" + r.bootSeconds().map(b -> " " + b.toPlainString() + "s").orElse("") + r.instanceId().map(i -> " instance " + i).orElse("");
                        } else if (s instanceof BootStatus.Unknown u) {
                            boot = "unknown (" + u.why() + ")";
                        } else {
                            boot = s.label();
                        }
                    }
                    lines.add(String.format(Locale.ROOT, "%-24s %-9s %s", g.vm(), g.state().name().toLowerCase(Locale.ROOT), boot));
                });
        return lines;
    }

    /** The same document as YAML (block style), for people. */
    static String yaml(String json) {
        try {
            Object tree = new ObjectMapper().readValue(json, Object.class);
            return new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setIndicatorIndent(2).setIndentWithIndicator(true)
                    .build()).dumpToString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a snapshot is always valid JSON", e);
        }
    }
}
