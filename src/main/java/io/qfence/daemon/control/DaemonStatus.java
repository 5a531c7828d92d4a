package io.qfence.daemon.control;

import io.qfence.daemon.HostObservation.GuestStatus;
import io.qfence.daemon.journal.CycleRecord.Drift;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the daemon knows now, in {@code stateDir/status.json}, replaced atomically after every cycle. {@code qfence
 * status} reads it (with the last-applied, suspension and approval files), so it answers whether or not the daemon
 * runs; when it does not, this is what it knew last.
 *
 * @param head      the branch head last fetched
 * @param fetchError the last fetch's failure, while fetches fail
 * @param pending   a fetched revision that is not applied, and why
 * @param lastError the last failure of any kind, until a cycle succeeds
 * @param hostCheck the last time the host was observed: drift found then, and the guests
 * @param drift     {@code heal} or {@code report} ({@code --drift}); with {@code report}, the drift of the last host
 *                  check is what waits (a file written before the option existed reads as {@code heal})
 */
public record DaemonStatus(long pid, Instant startedAt, String host, String remote, String branch, String autoApply,
                           boolean verifySignatures, Instant updatedAt, Optional<Head> head,
                           Optional<Problem> fetchError, Optional<Pending> pending, Optional<LastCycle> lastCycle,
                           Optional<Problem> lastError, Optional<HostCheck> hostCheck,
                           Optional<Instant> nextFetchAt, Optional<Instant> nextHostCheckAt,
                           Optional<Instant> nextExpiryAt, String drift) {

    public static final String FILE_NAME = "status.json";

    public DaemonStatus {
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(autoApply, "autoApply");
        Objects.requireNonNull(updatedAt, "updatedAt");
        head = orEmpty(head);
        fetchError = orEmpty(fetchError);
        pending = orEmpty(pending);
        lastCycle = orEmpty(lastCycle);
        lastError = orEmpty(lastError);
        hostCheck = orEmpty(hostCheck);
        nextFetchAt = orEmpty(nextFetchAt);
        nextHostCheckAt = orEmpty(nextHostCheckAt);
        nextExpiryAt = orEmpty(nextExpiryAt);
        drift = drift == null ? "heal" : drift;
    }

    /** The differences the last host check found and left in place. */
    public List<Drift> driftWaiting() {
        return hostCheck.map(c -> c.drift().stream().filter(d -> !c.applied() || !d.healed()).toList())
                .orElse(List.of());
    }

    public static Optional<DaemonStatus> read(Path stateDir) throws IOException {
        return StateJson.read(stateDir.resolve(FILE_NAME), DaemonStatus.class);
    }

    public void write(Path stateDir) throws IOException {
        StateJson.write(stateDir.resolve(FILE_NAME), this);
    }

    private static <T> Optional<T> orEmpty(Optional<T> value) {
        return value == null ? Optional.empty() : value;
    }

    public record Head(String revision, Instant fetchedAt) {}

    public record Problem(String message, Instant at) {}

    /** Why a fetched revision is not applied. */
    public enum PendingState {
        /** It widens access (or needs approval by policy): {@code qfence approve REV}. */
        AWAITING_APPROVAL,
        /** Its signatures or its history were refused. */
        REFUSED,
        /** It does not validate, or cannot be realized on this host. */
        INVALID,
        /** Applying it failed; it is retried with back-off. */
        FAILED,
        /** It is admitted, and waits for {@code qfence resume}. */
        SUSPENDED
    }

    public record Pending(String revision, PendingState state, String message, Instant since) {
        public Pending {
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(since, "since");
        }
    }

    public record LastCycle(Instant at, String trigger, String outcome) {}

    /**
     * @param applied whether the cycle was allowed to change the host (false while suspended)
     */
    public record HostCheck(Instant at, String revision, boolean applied, List<Drift> drift,
                            List<GuestStatus> guests) {
        public HostCheck {
            drift = List.copyOf(drift);
            guests = List.copyOf(guests);
        }
    }
}
