package io.qfence.engine;

import io.qfence.source.DesiredStateLoader;
import io.qfence.source.GitRevision;
import io.qfence.source.LoadResult;
import java.nio.file.Path;
import java.time.Clock;

/** Where a cycle reads the desired state from: a directory (the CLI's default) or a Git revision (the daemon). */
@FunctionalInterface
public interface DesiredStateSource {

    LoadResult load();

    static DesiredStateSource directory(Path dir, Clock clock) {
        return () -> DesiredStateLoader.loadDirectory(dir, clock);
    }

    static DesiredStateSource git(GitRevision revision, Clock clock) {
        return () -> DesiredStateLoader.loadGit(revision, clock);
    }
}
