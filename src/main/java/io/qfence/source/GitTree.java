package io.qfence.source;

import io.qfence.model.Diagnostic;
import io.qfence.model.errors.UsageException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The desired-state files of a Git revision, read straight from the object database with JGit's {@link TreeWalk}
 * and {@link ObjectReader}: nothing is checked out, so a hostile tree cannot plant files or links on disk, and the
 * size of each blob is known (and capped) before its content is read. JGit types stay inside this class.
 */
final class GitTree {

    private GitTree() {}

    static DesiredStateTree read(GitRevision rev) {
        if (rev.isUrl()) {
            return readRemote(rev);
        }
        File dir = new File(rev.repository());
        if (!dir.exists()) {
            throw new UsageException("repository '" + rev.repository() + "' does not exist");
        }
        try (Git git = Git.open(dir)) {
            return read(git.getRepository(), rev);
        } catch (RepositoryNotFoundException e) {
            throw new UsageException("'" + rev.repository() + "' is not a Git repository", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read repository " + rev.repository(), e);
        }
    }

    /** A URL is cloned bare (no checkout) into a temporary directory that is removed afterwards. */
    private static DesiredStateTree readRemote(GitRevision rev) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("qfence-clone-");
            try (Git git = Git.cloneRepository().setURI(rev.repository()).setDirectory(tmp.toFile()).setBare(true)
                    .setCloneAllBranches(true).call()) {
                return read(git.getRepository(), rev);
            }
        } catch (GitAPIException e) {
            throw new UsageException("cannot clone '" + rev.repository() + "': " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clone " + rev.repository(), e);
        } finally {
            if (tmp != null) {
                deleteRecursively(tmp);
            }
        }
    }

    private static DesiredStateTree read(Repository repo, GitRevision rev) throws IOException {
        ObjectId commitId;
        try {
            commitId = repo.resolve(rev.revision() + "^{commit}");
        } catch (RevisionSyntaxException e) {
            throw new UsageException("invalid revision '" + rev.revision() + "'", e);
        }
        if (commitId == null) {
            throw new UsageException("revision '" + rev.revision() + "' not found in " + rev.repository());
        }
        String base = normalize(rev.directory());
        List<SourceFile> files = new ArrayList<>();
        List<Diagnostic> problems = new ArrayList<>();
        try (RevWalk walk = new RevWalk(repo); ObjectReader reader = repo.newObjectReader()) {
            RevCommit commit = walk.parseCommit(commitId);
            RevTree tree = commit.getTree();
            if (!base.isEmpty()) {
                try (TreeWalk baseWalk = TreeWalk.forPath(reader, base, tree)) {
                    if (baseWalk == null || !baseWalk.isSubtree()) {
                        throw new UsageException("directory '" + base + "' does not exist at revision " + rev.revision()
                                + " (" + commit.name() + ") of " + rev.repository());
                    }
                }
            }
            for (String sub : DesiredStateTree.SUBDIRECTORIES) {
                String path = base.isEmpty() ? sub : base + "/" + sub;
                try (TreeWalk subWalk = TreeWalk.forPath(reader, path, tree)) {
                    if (subWalk == null || !subWalk.isSubtree()) {
                        if (subWalk == null && DesiredStateTree.optional(sub)) {
                            continue;
                        }
                        problems.add(subWalk == null ? DesiredStateTree.missingDirectory(sub) : DesiredStateTree.notADirectory(sub));
                        continue;
                    }
                    ObjectId subtree = subWalk.getObjectId(0);
                    try (TreeWalk entries = new TreeWalk(reader)) {
                        entries.addTree(subtree);
                        entries.setRecursive(false);
                        while (entries.next()) {
                            String relative = sub + "/" + entries.getNameString();
                            FileMode mode = entries.getFileMode(0);
                            boolean folder = mode == FileMode.TREE || mode == FileMode.GITLINK;
                            if (folder && !relative.endsWith(".yaml")) {
                                continue;
                            }
                            if (DesiredStateTree.classify(relative, problems) != DesiredStateTree.Candidate.YAML) {
                                continue;
                            }
                            if (folder) {
                                problems.add(DesiredStateTree.notAFile(relative, mode == FileMode.TREE
                                        ? DesiredStateTree.NotAFile.DIRECTORY : DesiredStateTree.NotAFile.SUBMODULE));
                                continue;
                            }
                            if (mode != FileMode.REGULAR_FILE && mode != FileMode.EXECUTABLE_FILE) {
                                problems.add(DesiredStateTree.notRegular(relative));
                                continue;
                            }
                            ObjectLoader loader = reader.open(entries.getObjectId(0));
                            long size = loader.getSize();
                            files.add(new Blob(relative, size, loader));
                        }
                    }
                }
            }
            files.sort(Comparator.comparing(SourceFile::path));
            // Read every blob now, while the repository is open; the caps were checked from the sizes first.
            List<SourceFile> loaded = new ArrayList<>();
            for (SourceFile f : files) {
                loaded.add(f.size() > YamlDocumentReader.MAX_FILE_BYTES ? f : new Loaded(f.path(), f.read()));
            }
            return new DesiredStateTree(commit.name(), loaded, problems);
        }
    }

    private static String normalize(String directory) {
        String d = directory.replace('\\', '/');
        while (d.startsWith("./")) {
            d = d.substring(2);
        }
        while (d.endsWith("/")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.equals(".") || d.isEmpty()) {
            return "";
        }
        if (d.startsWith("/") || List.of(d.split("/")).contains("..")) {
            throw new UsageException("--dir inside a repository must be a relative path without '..', got '" + directory + "'");
        }
        return d;
    }

    private record Blob(String path, long size, ObjectLoader loader) implements SourceFile {
        @Override
        public byte[] read() throws IOException {
            return loader.getCachedBytes(YamlDocumentReader.MAX_FILE_BYTES);
        }
    }

    private record Loaded(String path, byte[] bytes) implements SourceFile {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public byte[] read() {
            return bytes.clone();
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary clone is harmless; the OS cleans /tmp
        }
    }
}
