package io.qfence.daemon.notify;

import java.util.Locale;

/**
 * The Git forges qfence sets commit statuses on, and how each names a verdict. GitHub and Gitea have {@code error}
 * beside {@code failure}: a refused revision (signatures, history) is an {@code error}, a revision that failed to
 * validate or to apply a {@code failure}. GitLab has {@code failed} only.
 */
public enum ForgeKind {
    GITHUB, GITLAB, GITEA;

    /** The state word of this forge's commit-status API. */
    public String state(RevisionState state) {
        return switch (state) {
            case APPLIED -> "success";
            case AWAITING_APPROVAL, SUSPENDED -> "pending";
            case APPLY_FAILED, INVALID -> this == GITLAB ? "failed" : "failure";
            case REFUSED -> this == GITLAB ? "failed" : "error";
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
