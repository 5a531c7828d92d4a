package io.qfence.daemon;

import io.qfence.testing.GitCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A Git repository of a small desired state (host hv1; group alpha with an exception alpha-app -> beta-db tcp/5432;
 * group beta), made with the real git CLI, that tests edit commit by commit.
 */
final class DesiredRepo {

    static final String DIR = "desired-state";
    private static final Path BASE = Path.of("src/test/resources/invalid/_base");

    final GitCli git;

    private DesiredRepo(GitCli git) {
        this.git = git;
    }

    static DesiredRepo create(Path dir) {
        DesiredRepo repo = new DesiredRepo(GitCli.init(dir));
        copy(BASE, dir.resolve(DIR));
        repo.git.run("add", DIR);
        repo.git.run("commit", "-q", "-m", "alpha and beta");
        return repo;
    }

    /** The same repository, committing through {@code other} (e.g. as another author, or signing). */
    DesiredRepo with(GitCli other) {
        return new DesiredRepo(other);
    }

    String head() {
        return git.revParse("HEAD");
    }

    /** Replaces alpha's exceptions with {@code allowYaml} (the items of {@code firewall.allow}, indented 6). */
    String setAlphaExceptions(String allowYaml, String message, String... extraArgs) {
        String alpha = read("groups/alpha.yaml");
        int end = alpha.indexOf("  vms:\n");
        int start = alpha.contains("  firewall:\n") ? alpha.indexOf("  firewall:\n") : end;
        String firewall = allowYaml.isBlank() ? "" : "  firewall:\n    allow:\n" + allowYaml;
        return git.commitFile(DIR + "/groups/alpha.yaml", alpha.substring(0, start) + firewall + alpha.substring(end),
                message, extraArgs);
    }

    /** The exception of the base state, with a different port list and optional extra lines. */
    static String exception(String ports, String extra) {
        return "      - from: alpha-app\n        to: beta-db\n        protocol: tcp\n        ports: [" + ports + "]\n"
                + extra;
    }

    String breakAlpha(String message) {
        return git.commitFile(DIR + "/groups/alpha.yaml", "kind: Group\nname: [\n", message);
    }

    private String read(String file) {
        try {
            return Files.readString(git.dir().resolve(DIR).resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
