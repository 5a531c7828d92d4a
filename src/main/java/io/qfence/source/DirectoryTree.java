package io.qfence.source;

import io.qfence.model.Diagnostic;
import io.qfence.model.errors.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The desired-state files of a directory on disk: {@code hosts/*.yaml} and {@code groups/*.yaml}, in name order. */
final class DirectoryTree {

    private DirectoryTree() {}

    static DesiredStateTree read(Path root) {
        if (!Files.isDirectory(root)) {
            throw new UsageException("desired-state directory '" + root + "' does not exist; pass --dir PATH");
        }
        List<SourceFile> files = new ArrayList<>();
        List<Diagnostic> problems = new ArrayList<>();
        for (String sub : DesiredStateTree.SUBDIRECTORIES) {
            Path dir = root.resolve(sub);
            if (!Files.isDirectory(dir)) {
                problems.add(DesiredStateTree.missingDirectory(sub));
                continue;
            }
            try (Stream<Path> entries = Files.list(dir)) {
                for (Path p : entries.sorted().toList()) {
                    String relative = sub + "/" + p.getFileName();
                    if (Files.isDirectory(p)) {
                        continue;
                    }
                    DesiredStateTree.Candidate kind = DesiredStateTree.classify(relative, problems);
                    if (kind != DesiredStateTree.Candidate.YAML) {
                        continue;
                    }
                    if (Files.isSymbolicLink(p) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        problems.add(DesiredStateTree.notRegular(relative));
                        continue;
                    }
                    long size = Files.size(p);
                    files.add(new SourceFile() {
                        @Override
                        public String path() {
                            return relative;
                        }

                        @Override
                        public long size() {
                            return size;
                        }

                        @Override
                        public byte[] read() throws IOException {
                            return Files.readAllBytes(p);
                        }
                    });
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir, e);
            }
        }
        return new DesiredStateTree("dir:" + root, files, problems);
    }
}
