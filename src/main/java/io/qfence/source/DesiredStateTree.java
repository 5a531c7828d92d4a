package io.qfence.source;

import io.qfence.model.Diagnostic;
import java.util.List;

/**
 * The candidate files of one desired state, wherever they came from, plus the problems found while listing them
 * (a missing {@code hosts/}, a symbolic link, a {@code .yml} file that would otherwise be silently ignored).
 */
record DesiredStateTree(String revision, List<SourceFile> files, List<Diagnostic> problems) {

    static final List<String> SUBDIRECTORIES = List.of("hosts", "groups");

    enum Candidate { YAML, IGNORED }

    static Candidate classify(String relative, List<Diagnostic> problems) {
        if (relative.endsWith(".yaml")) {
            return Candidate.YAML;
        }
        if (relative.endsWith(".yml")) {
            problems.add(new Diagnostic(Diagnostic.Severity.WARNING, relative, 1, 1,
                    "ignored: desired-state files end in .yaml, not .yml"));
        }
        return Candidate.IGNORED;
    }

    static Diagnostic missingDirectory(String sub) {
        return new Diagnostic(Diagnostic.Severity.ERROR, sub + "/", 0, 0,
                "missing directory; a desired state holds hosts/*.yaml and groups/*.yaml");
    }

    static Diagnostic notRegular(String relative) {
        return new Diagnostic(Diagnostic.Severity.ERROR, relative, 1, 1,
                "not a regular file; desired-state files cannot be symbolic links");
    }
}
