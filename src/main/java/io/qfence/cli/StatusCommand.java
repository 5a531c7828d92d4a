package io.qfence.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.daemon.HostObservation.GuestStatus;
import io.qfence.daemon.control.DaemonLock;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.DaemonJson;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.model.errors.LockHeldException.Holder;
import io.qfence.model.errors.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status",
        mixinStandardHelpOptions = true,
        description = {"Report what the reconcile daemon applied, what waits, drift and guests.",
            "Shows the last applied revision and when, the last error, whether it is suspended, a revision waiting (for approval, or refused), the drift found at the last host check, and the guests and their states. Reads the state directory, so it answers whether the daemon runs or not.",
            "Exits 0, or 1 when the state directory cannot be read."})
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StateDirOptions state;

    @Mixin
    OutputFormatOptions output;

    /** Everything status reports, read from the state directory. */
    record Report(Optional<Holder> daemon, Optional<LastApplied> lastApplied, Optional<Suspension> suspension,
                  Optional<DaemonStatus> status, Optional<CycleRecord> lastFailure) {}

    @Override
    public Integer call() {
        if (!Files.isDirectory(state.stateDir())) {
            throw new UsageException("no state directory " + state.stateDir() + ": the daemon has never run with it");
        }
        Report report;
        try {
            Optional<DaemonStatus> status = DaemonStatus.read(state.stateDir());
            Optional<CycleRecord> lastFailure = Optional.empty();
            if (status.isEmpty()) {
                List<CycleRecord> records = Journal.read(state.stateDir()).records();
                lastFailure = records.stream().filter(r -> r.outcome() == Outcome.FAILED
                        || r.outcome() == Outcome.REFUSED).reduce((a, b) -> b);
            }
            report = new Report(DaemonLock.running(state.stateDir()), LastApplied.read(state.stateDir()),
                    Suspension.read(state.stateDir()), status, lastFailure);
        } catch (IOException e) {
            throw new UsageException("cannot read the state in " + state.stateDir() + ": " + io.qfence.model.errors.IoMessages.reason(e), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(output.format() == OutputFormatOptions.Format.json ? json(report) : text(report));
        out.flush();
        return ExitCodes.OK;
    }

    static String text(Report r) {
        StringBuilder s = new StringBuilder();
        Optional<DaemonStatus> st = r.status();
        line(s, "Daemon", r.daemon().map(h -> "running, pid " + h.pid() + " since " + h.since())
                .orElse("not running" + st.map(x -> " (last status at " + x.updatedAt() + ")").orElse("")));
        st.ifPresent(x -> line(s, "Following", x.remote() + " branch " + x.branch() + " for host " + x.host()
                + "; auto-apply " + x.autoApply() + "; signatures " + (x.verifySignatures() ? "verified" : "not verified")
                + ("report".equals(x.drift()) ? "; drift reported, not healed (--drift=report)" : "")));
        line(s, "Applied", r.lastApplied().map(l -> l.revision().hex() + l.appliedAt().map(at -> " at " + at)
                .orElse(" (seeded by hand)")).orElse("nothing yet"));
        st.flatMap(DaemonStatus::head).ifPresent(h -> line(s, "Head", h.revision() + " fetched at " + h.fetchedAt()));
        st.flatMap(DaemonStatus::fetchError).ifPresent(p -> line(s, "Fetch", "failing since " + p.at() + ": "
                + p.message()));
        line(s, "Suspended", r.suspension().map(x -> "yes, " + x.describe()).orElse("no"));
        st.flatMap(DaemonStatus::pending).ifPresentOrElse(
                p -> line(s, "Pending", p.revision() + " " + p.state().name().toLowerCase(Locale.ROOT).replace('_', ' ')
                        + " since " + p.since() + ": " + p.message()),
                () -> line(s, "Pending", "none"));
        Optional<String> lastError = st.isPresent()
                ? st.get().lastError().map(p -> p.at() + ": " + p.message())
                : r.lastFailure().map(f -> f.startedAt() + ": " + (f.errors().isEmpty() ? f.outcome().name()
                : f.errors().get(0)));
        line(s, "Last error", lastError.orElse("none"));
        st.flatMap(DaemonStatus::lastCycle).ifPresent(c -> line(s, "Last cycle", c.at() + " (" + c.trigger() + "): "
                + c.outcome().replace('_', ' ')));
        Optional<DaemonStatus.HostCheck> check = st.flatMap(DaemonStatus::hostCheck);
        if (check.isEmpty()) {
            line(s, "Drift", "not checked yet");
            line(s, "Guests", "not observed yet");
        } else {
            DaemonStatus.HostCheck c = check.get();
            if (c.drift().isEmpty()) {
                line(s, "Drift", "none found at " + c.at());
            } else {
                long healed = c.drift().stream().filter(Drift::healed).count();
                boolean reportMode = "report".equals(st.get().drift());
                line(s, "Drift", c.drift().size() + " found at " + c.at() + ", " + healed + " healed"
                        + (reportMode && !c.applied() ? "; waiting (--drift=report: reported, not healed)" : ""));
                for (Drift d : c.drift()) {
                    s.append("  ").append(d.healed() ? "healed    " : "not healed").append("  ").append(d.kind())
                            .append(' ').append(d.address()).append('\n');
                }
            }
            line(s, "Guests", c.guests().isEmpty() ? "none (observed at " + c.at() + ")"
                    : c.guests().size() + " as observed at " + c.at());
            for (GuestStatus g : c.guests()) {
                s.append("  ").append(String.format("%-24s %-12s %s", g.vm(), g.group(),
                        g.state().name().toLowerCase(Locale.ROOT))).append('\n');
            }
        }
        st.ifPresent(x -> {
            StringBuilder next = new StringBuilder();
            x.nextFetchAt().ifPresent(at -> next.append("fetch at ").append(at));
            x.nextHostCheckAt().ifPresent(at -> next.append(next.isEmpty() ? "" : ", ").append("host check at ").append(at));
            x.nextExpiryAt().ifPresent(at -> next.append(next.isEmpty() ? "" : ", ").append("an exception expires at ")
                    .append(at));
            if (!next.isEmpty() && r.daemon().isPresent()) {
                line(s, "Next", next.toString());
            }
        });
        return s.toString();
    }

    private static void line(StringBuilder s, String label, String value) {
        s.append(String.format("%-11s %s%n", label + ":", value));
    }

    static String json(Report r) {
        ObjectMapper mapper = DaemonJson.JSON; // the records as the daemon's files hold them
        ObjectNode root = mapper.createObjectNode();
        root.put("running", r.daemon().isPresent());
        r.daemon().ifPresent(h -> root.putObject("daemon").put("pid", h.pid()).put("since", h.since().toString()));
        r.lastApplied().ifPresent(l -> {
            ObjectNode applied = root.putObject("lastApplied").put("revision", l.revision().hex());
            l.appliedAt().map(Instant::toString).ifPresent(at -> applied.put("at", at));
        });
        root.put("suspended", r.suspension().isPresent());
        r.suspension().ifPresent(x -> root.set("suspension", mapper.valueToTree(x)));
        r.status().ifPresent(x -> root.set("status", mapper.valueToTree(x)));
        r.lastFailure().ifPresent(f -> root.set("lastFailure", mapper.valueToTree(f)));
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain JSON nodes always serializes", e);
        }
    }
}
