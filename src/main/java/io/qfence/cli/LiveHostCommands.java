package io.qfence.cli;

import io.qfence.engine.CycleRequest;
import io.qfence.host.HostPorts;
import io.qfence.model.errors.UsageException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;

/** What the commands that work on the live host ({@code state}, {@code plan --live}, {@code apply}) share. */
final class LiveHostCommands {

    private LiveHostCommands() {}

    static CycleRequest request(CliContext context, DesiredStateOptions source, HostOptions host, ScopeOptions scope) {
        return new CycleRequest(() -> source.load(context.clock()), host.host(), host.overrides(), scope.scope());
    }

    /** @throws UsageException when this process cannot reach the live host (not root, not Linux) */
    static HostPorts connect(CliContext context, HostOptions host, String command) {
        if (!context.host().available()) {
            throw new UsageException(command + " reads the live host, which needs root on Linux; plan offline with "
                    + "plan --empty or plan --observed FILE (a snapshot from qfence state)");
        }
        return context.host().connect(host.target());
    }

    static void warn(PrintWriter err, List<String> warnings) {
        for (String w : warnings) {
            err.println(w.contains("warning: ") ? w : "warning: " + w);
        }
        err.flush();
    }

    /** {@code 12 ms}, {@code 1.23 s}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + " ms" : String.format(java.util.Locale.ROOT, "%.2f s", ms / 1000.0);
    }
}
