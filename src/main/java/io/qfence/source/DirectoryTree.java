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
        if (!Files.exists(root)) {
            throw new UsageException("desired-state directory '" + root + "' does not exist; --dir PATH names the directory that holds hosts/ and groups/");
        }
        if (!Files.isDirectory(root)) {
            throw new UsageException("desired-state directory '" + root + "' is not a directory; --dir PATH names the directory that holds hosts/ and groups/");
        }
        List<SourceFile> files = new ArrayList<>();
        List<Diagnostic> problems = new ArrayList<>();
        for (String sub : DesiredStateTree.SUBDIRECTORIES) {
            Path dir = root.resolve(sub);
            if (!Files.isDirectory(dir)) {
                if (DesiredStateTree.optional(sub) && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                problems.add(Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? DesiredStateTree.notADirectory(sub) : DesiredStateTree.missingDirectory(sub));
                continue;
            }
            try (Stream<Path> entries = Files.list(dir)) {
                for (Path p : entries.sorted().toList()) {
                    String relative = sub + "/" + p.getFileName();
                    boolean directory = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                    if (directory && !relative.endsWith(".yaml")) {
                        continue;
                    }
                    DesiredStateTree.Candidate kind = DesiredStateTree.classify(relative, problems);
                    if (kind != DesiredStateTree.Candidate.YAML) {
                        continue;
                    }
                    if (Files.isSymbolicLink(p)) {
                        problems.add(DesiredStateTree.notRegular(relative));
                        continue;
                    }
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        problems.add(DesiredStateTree.notAFile(relative, directory ? DesiredStateTree.NotAFile.DIRECTORY : special(p)));
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

    /** The file type from {@code st_mode} ({@code S_IFMT}), read without following a link and without opening the file. */
    private static DesiredStateTree.NotAFile special(Path p) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return DesiredStateTree.NotAFile.OTHER;
        }
        return switch (mode & 0170000) {
            case 0010000 -> DesiredStateTree.NotAFile.FIFO;
            case 0140000 -> DesiredStateTree.NotAFile.SOCKET;
            case 0020000 -> DesiredStateTree.NotAFile.CHARACTER_DEVICE;
            case 0060000 -> DesiredStateTree.NotAFile.BLOCK_DEVICE;
            case 0040000 -> DesiredStateTree.NotAFile.DIRECTORY;
            default -> DesiredStateTree.NotAFile.OTHER;
        };
    }
}
