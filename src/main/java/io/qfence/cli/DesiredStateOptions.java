package io.qfence.cli;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.UsageException;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.GitRevision;
import io.qfence.source.LoadResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/** Where the desired state comes from; shared by {@code validate} and, later, {@code plan}, {@code diff}, {@code verify}. */
public final class DesiredStateOptions {

    @Option(names = "--dir", paramLabel = "PATH", defaultValue = GitRevision.DEFAULT_DIRECTORY,
            description = {"The desired-state directory, holding hosts/ and groups/ (default: ${DEFAULT-VALUE}).",
                "With --repo: the directory inside the repository ('.' for its root)."})
    String dir;

    @Option(names = "--repo", paramLabel = "PATH|URL",
            description = "Read the desired state from this Git repository at --rev, without a checkout.")
    String repo;

    @Option(names = "--rev", paramLabel = "REV",
            description = "With --repo: the branch, tag or commit to read (default: " + GitRevision.DEFAULT_REVISION + ").")
    String rev;

    public LoadResult load(Clock clock) {
        if (repo == null) {
            if (rev != null) {
                throw new UsageException("--rev needs --repo: a directory has no revisions");
            }
            return DesiredStateLoader.loadDirectory(Path.of(dir), clock);
        }
        return DesiredStateLoader.loadGit(new GitRevision(repo, rev == null ? GitRevision.DEFAULT_REVISION : rev, dir), clock);
    }

    /**
     * The desired state of a command that needs a valid one: its errors refuse the command (exit 1), its warnings go
     * to {@code err}.
     */
    public DesiredState loadValid(Clock clock, PrintWriter err) {
        LoadResult loaded = load(clock);
        if (!loaded.ok()) {
            throw new InvalidInputException(loaded.diagnostics());
        }
        loaded.warnings().forEach(err::println);
        err.flush();
        return loaded.state().orElseThrow();
    }
}
