package io.qfence.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code git} command line on one repository, hermetic: no system or global configuration, a fixed
 * identity, the C locale. Tests make repositories with it the way people do, so qfence is checked against objects
 * that real Git wrote (and signed).
 */
public final class GitCli {

    private final Path dir;
    private final Map<String, String> env;

    private GitCli(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    /** {@code git init -b main} in {@code dir} (a work tree). */
    public static GitCli init(Path dir) {
        GitCli git = new GitCli(dir, defaultEnv(dir));
        mkdirs(dir);
        git.run("init", "-q", "-b", "main");
        return git;
    }

    /** {@code git init --bare} in {@code dir}, e.g. what a server serves. */
    public static GitCli initBare(Path dir) {
        GitCli git = new GitCli(dir, defaultEnv(dir));
        mkdirs(dir);
        git.run("init", "-q", "--bare", "-b", "main");
        return git;
    }

    /** An existing repository (work tree or bare). */
    public static GitCli open(Path dir) {
        return new GitCli(dir, defaultEnv(dir));
    }

    /** A copy with one more environment variable (e.g. {@code GNUPGHOME}). */
    public GitCli withEnv(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(env);
        copy.put(name, value);
        return new GitCli(dir, copy);
    }

    /** A copy that runs every command with {@code -c key=value} (passed through Git's environment). */
    public GitCli withConfig(String key, String value) {
        int index = Integer.parseInt(env.getOrDefault("GIT_CONFIG_COUNT", "0"));
        return withEnv("GIT_CONFIG_KEY_" + index, key).withEnv("GIT_CONFIG_VALUE_" + index, value)
                .withEnv("GIT_CONFIG_COUNT", Integer.toString(index + 1));
    }

    /** A copy that commits as this author and committer. */
    public GitCli as(String name, String email) {
        return withEnv("GIT_AUTHOR_NAME", name).withEnv("GIT_AUTHOR_EMAIL", email)
                .withEnv("GIT_COMMITTER_NAME", name).withEnv("GIT_COMMITTER_EMAIL", email);
    }

    public Path dir() {
        return dir;
    }

    /** Writes {@code file}, stages it and commits with {@code extraArgs} (e.g. {@code -S}); returns the new HEAD. */
    public String commitFile(String file, String content, String message, String... extraArgs) {
        Path path = dir.resolve(file);
        try {
            Files.createDirectories(path.getParent());
            Files.writeString(path, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run("add", file);
        List<String> args = new ArrayList<>(List.of("commit", "-q", "-m", message));
        args.addAll(List.of(extraArgs));
        run(args.toArray(String[]::new));
        return revParse("HEAD");
    }

    public String revParse(String revision) {
        return run("rev-parse", revision).strip();
    }

    /** Runs {@code git args...} in the repository; fails the test on a non-zero exit, with git's stderr. */
    public String run(String... args) {
        return runWithInput(null, args);
    }

    public String runWithInput(byte[] stdin, String... args) {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            Path err = Files.createTempFile("git-stderr", ".txt");
            pb.redirectError(err.toFile());
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin);
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("git " + String.join(" ", args) + " did not finish in 60 s");
            }
            String stderr = Files.readString(err);
            Files.delete(err);
            if (p.exitValue() != 0) {
                throw new AssertionError("git " + String.join(" ", args) + " exited " + p.exitValue() + ": " + stderr);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Map<String, String> defaultEnv(Path dir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", dir.toAbsolutePath().toString());
        env.put("LC_ALL", "C");
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", "/dev/null");
        env.put("GIT_AUTHOR_NAME", "Alice Admin");
        env.put("GIT_AUTHOR_EMAIL", "alice@example.org");
        env.put("GIT_COMMITTER_NAME", "Alice Admin");
        env.put("GIT_COMMITTER_EMAIL", "alice@example.org");
        return env;
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
