package io.qfence.daemon.git;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A commit's full SHA-1 object id, lower-case hex. qfence records, compares and journals revisions by this value;
 * JGit's {@code ObjectId} stays inside {@link GitMirror}.
 */
public record CommitId(String hex) {

    /** Abbreviations in messages: long enough to stay unique in any repository a person reads, short enough to read. */
    public static final int SHORT_LENGTH = 12;

    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    public CommitId {
        Objects.requireNonNull(hex, "hex");
        if (!SHA1.matcher(hex).matches()) {
            throw new IllegalArgumentException("a commit id is 40 lower-case hex digits, got '" + hex + "'");
        }
    }

    public static CommitId of(String hex) {
        return new CommitId(hex);
    }

    /** The first {@value #SHORT_LENGTH} hex digits, for messages. */
    public String abbreviated() {
        return hex.substring(0, SHORT_LENGTH);
    }

    @Override
    public String toString() {
        return hex;
    }
}
