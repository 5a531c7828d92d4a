package io.qfence.daemon.trust;

/** Why a commit's signature does not make it trusted. */
public enum RefusalReason {
    /** The commit carries no signature at all. */
    UNSIGNED("unsigned"),
    /** The signature cannot be read, is of an unsupported kind, or is not a signature over a Git commit. */
    BAD_SIGNATURE("bad signature"),
    /** The signature was made by a key that is not among the trusted keys (or one that is revoked or expired). */
    UNTRUSTED_KEY("signed by an untrusted key"),
    /** A trusted key's signature that does not match the commit: its content changed after it was signed. */
    TAMPERED("tampered: the signature does not match the commit's content");

    private final String description;

    RefusalReason(String description) {
        this.description = description;
    }

    /** Lower-case words for messages and logs, e.g. {@code "unsigned"}. */
    public String description() {
        return description;
    }
}
