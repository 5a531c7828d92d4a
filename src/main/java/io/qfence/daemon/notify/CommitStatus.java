package io.qfence.daemon.notify;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One commit status: this host's verdict about one commit. The forge shows it under the context {@code qfence/HOST},
 * one per host, so that hosts following the same branch never overwrite each other's status.
 *
 * @param sha    the full commit id (40 lowercase hex digits): forges resolve abbreviations differently, or not at all
 * @param reason why, in a sentence; the forge's description is this, cut to {@link #MAX_DESCRIPTION} characters
 */
public record CommitStatus(String sha, RevisionState state, String host, String reason) {

    /** GitHub refuses a longer description; the others show this much. */
    public static final int MAX_DESCRIPTION = 140;

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

    /** The reason on one line, at most {@value #MAX_DESCRIPTION} characters (cut with an ellipsis). */
    public String description() {
        String line = reason.strip().replaceAll("\\s+", " ");
        return line.length() <= MAX_DESCRIPTION ? line : line.substring(0, MAX_DESCRIPTION - 1) + "\u2026";
    }
}
