package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.notify.Announcer;
import io.qfence.daemon.notify.CommitStatus;
import io.qfence.daemon.notify.Notice;
import io.qfence.daemon.notify.NoticeEvent;
import io.qfence.daemon.notify.RevisionState;
import io.qfence.model.host.GuestState;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Turns what the cycle's executors decided and saw into what the {@link Announcer} tells the outside: a commit status
 * for every verdict about a revision (applied, failed, refused, invalid, awaiting approval, suspended), and a
 * notification for each event worth telling (apply failed, revision refused, awaiting approval, drift found or healed,
 * a guest crashed or OOM-killed, an exception expired). Each call returns at once: the announcer sends later.
 */
final class CycleAnnouncements {

    private final String host;
    private final Announcer announcer;
    /** The OOM-kill counts last observed; the first observation is the baseline, not news. */
    private Optional<Map<String, Long>> oomKills = Optional.empty();

    CycleAnnouncements(String host, Announcer announcer) {
        this.host = Objects.requireNonNull(host, "host");
        this.announcer = Objects.requireNonNull(announcer, "announcer");
    }

    /** A revision held: refused, invalid, awaiting approval or suspended (as journaled, when it first appears). */
    void held(Verdict.Blocked verdict, Instant now) {
        String sha = verdict.revision().hex();
        // the first detail says why (a diagnostic, a signature's fault) unless the message already names it, as a
        // widening revision's names the flows it gains: said twice, it pushed the approve hint out of the forge's 140
        String reason = verdict.details().isEmpty() || verdict.message().contains(verdict.details().get(0))
                ? verdict.message() : verdict.message() + ": " + verdict.details().get(0);
        RevisionState state = switch (verdict.state()) {
            case AWAITING_APPROVAL -> RevisionState.AWAITING_APPROVAL;
            case REFUSED -> RevisionState.REFUSED;
            case INVALID -> RevisionState.INVALID;
            case FAILED -> RevisionState.APPLY_FAILED;
            case SUSPENDED -> RevisionState.SUSPENDED;
        };
        announcer.commitStatus(new CommitStatus(sha, state, host, reason));
        if (verdict.state() == PendingState.AWAITING_APPROVAL) {
            notice(NoticeEvent.AWAITING_APPROVAL, sha, Optional.of(sha), reason, now);
        } else if (verdict.state() == PendingState.REFUSED || verdict.state() == PendingState.INVALID) {
            notice(NoticeEvent.REVISION_REFUSED, sha, Optional.of(sha), reason, now);
        }
    }

    void applied(String sha, int actions) {
        announcer.commitStatus(new CommitStatus(sha, RevisionState.APPLIED, host, actions == 0
                ? "applied on " + host + ": the host already matched"
                : "applied on " + host + ": " + actions + (actions == 1 ? " action" : " actions")));
    }

    /** @param error the first error, without the retry's timing (so a retry that fails alike says nothing new) */
    void applyFailed(String sha, String error, Instant now) {
        String reason = "apply failed on " + host + ": " + error;
        announcer.commitStatus(new CommitStatus(sha, RevisionState.APPLY_FAILED, host, reason));
        notice(NoticeEvent.APPLY_FAILED, sha, Optional.of(sha), reason + "; retried with back-off", now);
    }

    /** A host check's drift: healed, or found and left in place. */
    void drift(String revision, List<Drift> drift, boolean healed, Instant now) {
        if (drift.isEmpty()) {
            return;
        }
        List<String> addresses = drift.stream().map(d -> d.kind() + " " + d.address()).sorted().toList();
        String subject = "drift " + digest(String.join("\n", addresses)) + " at " + revision;
        String listed = String.join(", ", addresses.subList(0, Math.min(5, addresses.size())))
                + (addresses.size() > 5 ? ", ... (" + addresses.size() + " in all)" : "");
        if (healed) {
            notice(NoticeEvent.DRIFT_HEALED, subject, Optional.of(revision), "drift healed on " + host + ": " + listed,
                    now);
        } else {
            notice(NoticeEvent.DRIFT_FOUND, subject, Optional.of(revision), "drift found on " + host
                    + " and left in place: " + listed, now);
        }
    }

    void expired(String revision, List<String> expired, Instant now) {
        for (String exception : expired) {
            notice(NoticeEvent.EXCEPTION_EXPIRED, exception, Optional.of(revision), exception, now);
        }
    }

    /** Crashed guests, and OOM kills counted since the last observation. */
    void observed(Optional<HostObservation> observation, Instant now) {
        if (observation.isEmpty()) {
            return;
        }
        for (HostObservation.GuestStatus guest : observation.get().guests()) {
            if (guest.state() == GuestState.CRASHED) {
                notice(NoticeEvent.GUEST_CRASHED, guest.vm(), Optional.empty(), "guest " + guest.vm() + " (group "
                        + guest.group() + ") on " + host + " crashed: its process ended without qfence stopping it", now);
            }
        }
        Map<String, Long> kills = new TreeMap<>(observation.get().oomKillsByVm());
        oomKills.ifPresent(before -> kills.forEach((vm, count) -> {
            long previous = before.getOrDefault(vm, 0L);
            if (count > previous) {
                notice(NoticeEvent.GUEST_OOM_KILLED, vm + " #" + count, Optional.empty(), "the OOM killer killed "
                        + (count - previous) + " process(es) in guest " + vm + "'s cgroup on " + host
                        + " (" + count + " in all)", now);
            }
        }));
        oomKills = Optional.of(kills);
    }

    private void notice(NoticeEvent event, String subject, Optional<String> revision, String message, Instant now) {
        announcer.notice(new Notice(event, host, subject, revision, message, now));
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
