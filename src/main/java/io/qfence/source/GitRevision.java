package io.qfence.source;

import java.util.Objects;

/**
 * Where to read a desired state from Git: a repository (a local path to a working tree or bare repository, or a
 * URL that is cloned bare into a temporary directory), a revision ({@code HEAD}, a branch, a tag or a commit id),
 * and the directory inside the tree that holds {@code hosts/} and {@code groups/} ({@code .} for the root).
 */
public record GitRevision(String repository, String revision, String directory) {

    public static final String DEFAULT_REVISION = "HEAD";
    public static final String DEFAULT_DIRECTORY = "desired-state";

    public GitRevision {
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(directory, "directory");
        if (repository.isBlank() || revision.isBlank()) {
            throw new IllegalArgumentException("repository and revision must not be blank");
        }
    }

    /** True when {@link #repository()} names a remote (or {@code file://}) URL rather than a local path. */
    public boolean isUrl() {
        return repository.contains("://") || repository.matches("[A-Za-z0-9._-]+@[^/:]+:.*");
    }
}
