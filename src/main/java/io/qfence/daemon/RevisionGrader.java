package io.qfence.daemon;

import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.GitSourceException;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.trust.Admission;
import io.qfence.daemon.trust.TrustedKeysException;
import io.qfence.engine.InvariantGate;
import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.plan.diff.FlowEntry;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.diff.IsolationDiff;
import io.qfence.source.LoadResult;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds out what a new revision is worth: admits it (history, signatures), loads and validates it, and grades it
 * against {@code --auto-apply} and its approval. It reads Git, the trusted keys and the approval files; what to do
 * with the {@link Verdict} is {@link CycleDecider}'s.
 */
final class RevisionGrader {

    private static final int MAX_FLOWS_NAMED = 5;

    private final ReconcileSettings settings;
    private final RevisionSource source;
    private final IsolationView isolation;
    private final ControlFiles control;

    RevisionGrader(ReconcileSettings settings, RevisionSource source, IsolationView isolation, ControlFiles control) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.source = Objects.requireNonNull(source, "source");
        this.isolation = Objects.requireNonNull(isolation, "isolation");
        this.control = Objects.requireNonNull(control, "control");
    }

    /**
     * @param lastApplied  the last applied revision, against which history is checked
     * @param appliedState its desired state, if known: what a narrowing grade compares with
     */
    Verdict grade(CommitId revision, Optional<CommitId> lastApplied, Optional<DesiredState> appliedState, Instant now) {
        Admission admission;
        try {
            admission = source.admit(lastApplied, revision);
        } catch (GitSourceException e) {
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID,
                    "cannot check the history of " + revision.abbreviated() + ": " + e.getMessage(), List.of());
        } catch (TrustedKeysException e) {
            return new Verdict.Blocked(revision, Outcome.REFUSED, PendingState.REFUSED,
                    "refusing " + revision.abbreviated() + ": the trusted keys cannot be read: " + e.getMessage(),
                    List.of());
        }
        if (admission instanceof Admission.SignaturesRefused refused) {
            return new Verdict.Blocked(revision, Outcome.REFUSED, PendingState.REFUSED, refused.message(),
                    refused.refusals().stream().map(r -> r.message()).toList());
        }
        if (admission instanceof Admission.HistoryRewriteDetected rewrite) {
            return new Verdict.Blocked(revision, Outcome.REFUSED, PendingState.REFUSED, rewrite.message(), List.of());
        }
        List<String> notes = new ArrayList<>();
        notes.add(admission.message());

        // An invariant broken is refused like any other invalid input: with the causing lines in the journal.
        LoadResult loaded = InvariantGate.check(source.load(revision, Clock.fixed(now, ZoneOffset.UTC)),
                LocalDate.ofInstant(now, ZoneOffset.UTC));
        if (!loaded.ok()) {
            List<String> errors = loaded.errors().stream().map(Diagnostic::toString).toList();
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID, "revision "
                    + revision.abbreviated() + " is invalid (" + errors.size() + " error" + (errors.size() == 1 ? "" : "s")
                    + ", first: " + errors.get(0) + "); the last applied revision stays in place", errors);
        }
        DesiredState state = loaded.state().orElseThrow();
        if (state.host(settings.host()).isEmpty()) {
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID, "revision "
                    + revision.abbreviated() + " has no host '" + settings.host()
                    + "'; the last applied revision stays in place", List.of());
        }
        Optional<Approval> approval = control.approval(revision);
        approval.ifPresent(a -> notes.add("approved by " + a.by() + " at " + a.approvedAt()));
        return switch (settings.autoApply()) {
            case ALL -> new Verdict.Ready(revision, state, notes);
            case NONE -> approval.isPresent() ? new Verdict.Ready(revision, state, notes)
                    : new Verdict.Blocked(revision, Outcome.AWAITING_APPROVAL, PendingState.AWAITING_APPROVAL,
                    "revision " + revision.abbreviated() + " waits for approval (--auto-apply=none): run qfence "
                    + "approve " + revision.hex(), List.of());
            case NARROWING -> narrowing(revision, state, lastApplied, appliedState, approval.isPresent(), notes, now);
        };
    }

    private Verdict narrowing(CommitId revision, DesiredState state, Optional<CommitId> lastApplied,
                              Optional<DesiredState> appliedState, boolean approved, List<String> notes, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        IsolationDiff diff;
        try {
            FlowSet before = appliedState.map(s -> isolation.flows(s, settings.host(), today)).orElse(FlowSet.EMPTY);
            FlowSet after = isolation.flows(state, settings.host(), today);
            diff = IsolationDiff.of(lastApplied.map(CommitId::abbreviated).orElse("nothing applied"), before,
                    revision.abbreviated(), after);
        } catch (InvalidInputException e) {
            List<String> errors = e.diagnostics().stream().map(Diagnostic::toString).toList();
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID, "revision "
                    + revision.abbreviated() + " cannot be realized on " + settings.host() + ": "
                    + e.getMessage() + "; the last applied revision stays in place", errors);
        }
        List<String> gained = diff.gained().entries().stream().map(FlowEntry::toString).toList();
        if (!diff.widens()) {
            int lost = diff.lost().entries().size();
            notes.add(diff.narrows() ? "access narrows only (" + lost + " flow" + (lost == 1 ? "" : "s")
                    + " lost): applied without approval" : "access unchanged: applied without approval");
            return new Verdict.Ready(revision, state, notes);
        }
        notes.add("access widens (" + gained.size() + " flow" + (gained.size() == 1 ? "" : "s") + " gained: "
                + named(gained) + ")");
        if (approved) {
            return new Verdict.Ready(revision, state, notes);
        }
        return new Verdict.Blocked(revision, Outcome.AWAITING_APPROVAL, PendingState.AWAITING_APPROVAL,
                "revision " + revision.abbreviated() + " widens access (" + named(gained) + ") and waits for "
                + "approval: run qfence approve " + revision.hex(), gained);
    }

    private static String named(List<String> flows) {
        int more = flows.size() - MAX_FLOWS_NAMED;
        return String.join(", ", flows.subList(0, Math.min(flows.size(), MAX_FLOWS_NAMED)))
                + (more > 0 ? " and " + more + " more" : "");
    }
}
