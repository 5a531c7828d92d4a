package io.qfence.daemon.git;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One commit as read from the mirror, with its raw object bytes: signature verification works on exactly the bytes
 * Git hashed, so a commit changed after signing cannot hide behind a re-serialization.
 *
 * @param raw the commit object's content as stored (headers, blank line, message), without Git's {@code commit N\0}
 *            prefix; the SHA-1 of {@code "commit " + raw.length + "\0" + raw} is {@link #id()}
 */
public record CommitInfo(CommitId id, List<CommitId> parents, Person author, Person committer, Instant commitTime,
                         String subject, byte[] raw) {

    public CommitInfo {
        Objects.requireNonNull(id, "id");
        parents = List.copyOf(parents);
        Objects.requireNonNull(author, "author");
        Objects.requireNonNull(committer, "committer");
        Objects.requireNonNull(commitTime, "commitTime");
        Objects.requireNonNull(subject, "subject");
        raw = raw.clone();
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    public boolean isMerge() {
        return parents.size() > 1;
    }

    /** {@code 0123456789ab "subject" by Name <email>}: how messages name a commit. */
    public String describe() {
        return id.abbreviated() + " \"" + subject + "\" by " + author;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CommitInfo other && id.equals(other.id) && parents.equals(other.parents)
                && author.equals(other.author) && committer.equals(other.committer)
                && commitTime.equals(other.commitTime) && subject.equals(other.subject)
                && Arrays.equals(raw, other.raw);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "CommitInfo[" + describe() + ", parents=" + parents + ", committed " + commitTime + "]";
    }
}
