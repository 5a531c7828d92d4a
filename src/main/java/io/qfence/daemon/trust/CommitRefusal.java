package io.qfence.daemon.trust;

import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.Person;
import java.util.Objects;

/** One commit that is not trusted, with who wrote it and why it is refused. */
public record CommitRefusal(CommitId commit, Person author, String subject, RefusalReason reason, String detail) {

    public CommitRefusal {
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(author, "author");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
    }

    /** {@code commit 0123456789ab "subject" by Name <email>: unsigned (detail)}. */
    public String message() {
        return "commit " + commit.abbreviated() + " \"" + subject + "\" by " + author + ": " + reason.description()
                + " (" + detail + ")";
    }
}
