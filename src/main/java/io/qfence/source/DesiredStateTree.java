package io.qfence.source;

import io.qfence.model.Diagnostic;
import java.util.List;

/**
 * The candidate files of one desired state, wherever they came from, plus the problems found while listing them
 * (a missing {@code hosts/}, a symbolic link, a {@code .yml} file that would otherwise be silently ignored).
 */
record DesiredStateTree(String revision, List<SourceFile> files, List<Diagnostic> problems) {

    static final List<String> SUBDIRECTORIES = List.of("hosts", "groups", "policies");

    /** {@code policies/} (the invariants) may be absent: a desired state without invariants is complete. */
    static boolean optional(String sub) {
        return sub.equals("policies");
    }

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

    /** {@code hosts} or {@code groups} exists but is not a directory (a file, say), which "missing" would misstate. */
    static Diagnostic notADirectory(String sub) {
        return new Diagnostic(Diagnostic.Severity.ERROR, sub + "/", 0, 0,
                "not a directory; a desired state holds hosts/*.yaml and groups/*.yaml");
    }

    static Diagnostic missingDirectory(String sub) {
        return new Diagnostic(Diagnostic.Severity.ERROR, sub + "/", 0, 0,
                "missing directory; a desired state holds hosts/*.yaml and groups/*.yaml");
    }

    static Diagnostic notRegular(String relative) {
        return new Diagnostic(Diagnostic.Severity.ERROR, relative, 1, 1,
                "not a regular file; desired-state files cannot be symbolic links");
    }

    /** What a {@code .yaml} entry is when it is not a regular file, for {@link #notAFile}. */
    enum NotAFile {
        DIRECTORY("a directory"),
        FIFO("a FIFO (named pipe)"),
        SOCKET("a socket"),
        CHARACTER_DEVICE("a character device"),
        BLOCK_DEVICE("a block device"),
        SUBMODULE("a Git submodule"),
        OTHER("not a regular file");

        final String what;

        NotAFile(String what) {
            this.what = what;
        }
    }

    /**
     * A {@code .yaml} name that is not a file: refused by what it is, rather than skipped (a directory named
     * {@code web.yaml} would otherwise make a group silently disappear) or read (a FIFO would block the reader).
     */
    static Diagnostic notAFile(String relative, NotAFile kind) {
        String is = kind == NotAFile.OTHER ? kind.what : "is " + kind.what + ", not a regular file";
        return new Diagnostic(Diagnostic.Severity.ERROR, relative, 1, 1,
                is + "; desired-state files are regular files named *.yaml");
    }
}
