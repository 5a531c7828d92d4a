package io.qfence.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an independent tool (ip, nft, ...) and returns its output: tests check qfence's effect on the host through
 * tools that share no code with it. Fails on a non-zero exit, with the tool's stderr in the message.
 */
public final class Witness {

    private Witness() {}

    public static String run(String... command) {
        Result r = tryRun(command);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.stderr());
        }
        return r.stdout();
    }

    /** In a namespace made with {@code ip netns add} or {@code NetNamespace.create} under /run/netns. */
    public static String inNetns(String netns, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    public static Result tryRun(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            // Read both streams fully before waiting, so a chatty tool cannot block on a full pipe.
            var err = p.getErrorStream();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] errBytes = err.readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(errBytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    public record Result(int exitCode, String stdout, String stderr) {}
}
