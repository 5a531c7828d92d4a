package io.qfence.daemon.git;

/**
 * A fetch did not complete: the remote was unreachable, refused us, did not answer in time, or does not have the
 * branch. The mirror is unchanged (JGit updates refs only after the whole pack arrived and was checked).
 */
public final class FetchFailedException extends GitSourceException {

    private final String remote;
    private final boolean timedOut;

    public FetchFailedException(String remote, boolean timedOut, String message, Throwable cause) {
        super("fetch from " + remote + " failed" + (timedOut ? " (timed out)" : "") + ": " + message, cause);
        this.remote = remote;
        this.timedOut = timedOut;
    }

    /** The remote as it may be logged: no token, no password. */
    public String remote() {
        return remote;
    }

    /** The remote stopped answering (or never connected) within the fetch's timeout. */
    public boolean timedOut() {
        return timedOut;
    }
}
