package io.qfence.daemon.git;

/** A branch, ref or commit id that the mirror does not hold. */
public final class RevisionNotFoundException extends GitSourceException {

    private final String revision;

    public RevisionNotFoundException(String revision, String message) {
        super(message, null);
        this.revision = revision;
    }

    public String revision() {
        return revision;
    }
}
