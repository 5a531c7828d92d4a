package io.qfence.source;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Invariant;
import io.qfence.source.DocumentBinder.BoundGroup;
import io.qfence.source.DocumentBinder.BoundHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads and validates a desired state, from a directory or from a Git revision, and reports every problem in one
 * run. The stages (see docs/DESIGN.md §3): size cap and strict UTF-8, hardened YAML 1.2 parsing with marks, JSON
 * Schema validation, binding to {@code model.desired} records, and semantic validation across all files.
 *
 * <p>"Today" (for expired exceptions) comes from the given clock, in UTC. Invalid input is reported as diagnostics in
 * the result; only a wrong call (a directory, repository or revision that does not exist) throws
 * {@link io.qfence.model.errors.UsageException}.
 */
public final class DesiredStateLoader {

    private DesiredStateLoader() {}

    public static LoadResult loadDirectory(Path dir) {
        return loadDirectory(dir, Clock.systemUTC());
    }

    public static LoadResult loadDirectory(Path dir, Clock clock) {
        return load(DirectoryTree.read(dir), today(clock));
    }

    /** Reads {@code hosts/} and {@code groups/} below {@code rev.directory()} at the revision, without a checkout. */
    public static LoadResult loadGit(GitRevision rev) {
        return loadGit(rev, Clock.systemUTC());
    }

    public static LoadResult loadGit(GitRevision rev, Clock clock) {
        return load(GitTree.read(rev), today(clock));
    }

    private static LocalDate today(Clock clock) {
        return LocalDate.ofInstant(clock.instant(), java.time.ZoneOffset.UTC);
    }

    static LoadResult load(DesiredStateTree tree, LocalDate today) {
        List<Diagnostic> diagnostics = new ArrayList<>(tree.problems());
        boolean complete = tree.problems().stream().noneMatch(Diagnostic::isError);
        List<BoundHost> hosts = new ArrayList<>();
        List<BoundGroup> groups = new ArrayList<>();
        List<DocumentBinder.GroupIdentity> identities = new ArrayList<>();
        List<Invariant> invariants = new ArrayList<>();
        for (SourceFile file : tree.files()) {
            SchemaCheck.Kind kind = file.path().startsWith("hosts/") ? SchemaCheck.Kind.HOST
                    : file.path().startsWith("policies/") ? SchemaCheck.Kind.POLICY : SchemaCheck.Kind.GROUP;
            Optional<ParsedDocument> doc = parse(file, diagnostics);
            if (doc.isEmpty()) {
                complete = false;
                continue;
            }
            // Binding runs after schema errors too, skipping the values the schema refused, so that one run shows
            // every problem of the file; a group that bound only in part still takes part in the cross-file checks.
            SchemaCheck.Checked schema = SchemaCheck.instance().check(kind, doc.get());
            diagnostics.addAll(schema.diagnostics());
            complete &= schema.diagnostics().isEmpty();
            if (kind == SchemaCheck.Kind.POLICY) {
                // A broken invariant drops only itself; the others are still checked (invariants refer to nothing
                // the cross-file checks of hosts and groups need).
                complete &= DocumentBinder.bindPolicy(doc.get(), schema.refused(), diagnostics, invariants);
            } else if (kind == SchemaCheck.Kind.HOST) {
                Optional<BoundHost> h = DocumentBinder.bindHost(doc.get(), schema.refused(), diagnostics);
                h.ifPresent(hosts::add);
                complete &= h.isPresent();
            } else {
                Optional<BoundGroup> g = DocumentBinder.bindGroup(doc.get(), schema.refused(), diagnostics, identities);
                g.ifPresent(groups::add);
                complete &= g.isPresent() && !g.get().partial();
            }
        }
        diagnostics.addAll(SemanticValidator.validate(hosts, groups, identities, complete, today));
        diagnostics.addAll(SemanticValidator.validateInvariants(invariants, groups, complete));
        List<Diagnostic> sorted = diagnostics.stream().distinct().sorted().toList();
        if (sorted.stream().anyMatch(Diagnostic::isError)) {
            return new LoadResult(Optional.empty(), sorted);
        }
        DesiredState state = new DesiredState(tree.revision(),
                hosts.stream().map(BoundHost::host).toList(),
                groups.stream().map(BoundGroup::group).toList(), invariants);
        return new LoadResult(Optional.of(state), sorted);
    }

    private static Optional<ParsedDocument> parse(SourceFile file, List<Diagnostic> diagnostics) {
        Optional<Diagnostic> tooBig = YamlDocumentReader.checkSize(file.path(), file.size());
        if (tooBig.isPresent()) {
            diagnostics.add(tooBig.get());
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = file.read();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.path(), e);
        }
        return YamlDocumentReader.read(file.path(), bytes, diagnostics);
    }
}
