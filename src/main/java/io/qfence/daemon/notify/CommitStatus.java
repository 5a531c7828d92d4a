package io.qfence.daemon.notify;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One commit status: this host's verdict about one commit. The forge shows it under the context {@code qfence/HOST},
 * one per host, so that hosts following the same branch never overwrite each other's status.
 *
 * @param sha    the full commit id (40 lowercase hex digits): forges resolve abbreviations differently, or not at all
 * @param reason why, in a sentence; the forge's description is this, made to fit {@link #MAX_DESCRIPTION} characters
 *               ({@link #description()})
 */
public record CommitStatus(String sha, RevisionState state, String host, String reason) {

    /** GitHub refuses a longer description; the others show this much. */
    public static final int MAX_DESCRIPTION = 140;
    /** The id a description names its own commit by: what {@code qfence status} shows, and {@code qfence approve} takes. */
    static final int SHORT_ID = 12;
    /** The longest last clause kept whole when the middle is cut: "run qfence approve 0123456789ab" and its like. */
    static final int MAX_KEPT_TAIL = 60;
    private static final String CUT = "\u2026";

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");

    public CommitStatus {
        Objects.requireNonNull(sha, "sha");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(reason, "reason");
        if (!SHA.matcher(sha).matches()) {
            throw new IllegalArgumentException("a commit status needs a full commit id (40 hex digits), not '" + sha + "'");
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("a commit status needs the host's name");
        }
    }

    public String context() {
        return "qfence/" + host;
    }

    /**
     * The reason on one line, at most {@value #MAX_DESCRIPTION} characters. A longer reason is shortened in two steps,
     * each only if still needed, so that what the reader must act on survives: first this commit's own full id becomes
     * its {@value #SHORT_ID}-digit id (the status sits on that very commit, and {@code qfence approve} takes the id of
     * the waiting revision by its prefix); then the middle is cut with an ellipsis, keeping the start (what happened to
     * which revision) and the last clause after a {@code ": "} (what to do: {@code run qfence approve ID}) when that
     * clause is short. A cut only at the end lost the approve hint's id inside the full sha.
     */
    public String description() {
        String line = reason.strip().replaceAll("\\s+", " ");
        if (line.length() <= MAX_DESCRIPTION) {
            return line;
        }
        line = line.replace(sha, sha.substring(0, SHORT_ID));
        if (line.length() <= MAX_DESCRIPTION) {
            return line;
        }
        int clause = line.lastIndexOf(": ");
        String tail = clause > 0 && line.length() - clause <= MAX_KEPT_TAIL ? line.substring(clause) : "";
        int head = MAX_DESCRIPTION - CUT.length() - tail.length();
        if (Character.isHighSurrogate(line.charAt(head - 1))) {
            head--; // never half a character
        }
        return line.substring(0, head) + CUT + tail;
    }
}
