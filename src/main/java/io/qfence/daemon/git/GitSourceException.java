package io.qfence.daemon.git;

/**
 * Why the Git source could not deliver a revision. Closed, like JGit's API exceptions, so the daemon's loop decides
 * explicitly what each kind means: a failed fetch backs off and retries; a missing revision or a broken mirror is
 * reported and retried on the same back-off (the cache may be repaired, a branch may reappear).
 *
 * <p>Checked: every caller is the reconcile loop, and it must not forget the back-off.
 */
public abstract sealed class GitSourceException extends Exception
        permits FetchFailedException, RevisionNotFoundException, MirrorException {

    protected GitSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
