package io.qfence.platform.sandbox;

import io.qfence.host.Sandbox.Probe;
import io.qfence.host.Sandbox.ProbeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Probes from inside a probe guest: one console line, {@code qf-probe SECONDS ID,PROTO,ADDRESS[,PORT] ...}, hands
 * the batch to the guest's running agent ({@code bin/probe-agent.pl}), which runs every probe of it at once and
 * prints one {@code QF-P ID RC ANSWER} line per probe. Everything the guest prints is untrusted: only lines of that
 * shape with a known id count.
 */
final class GuestProbes {

    /**
     * How long a probe waits for its answer. An answer comes back in milliseconds on a quiet machine; on two cores
     * busy with a dozen TCG guests, a guest's kernel and agent may not run for a second or more, and a late answer
     * must not pass for a drop. All of a batch's probes wait at once, so this is also about what a batch costs.
     */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);
    /** Far more than a batch takes (the probe timeout plus the agent's start), far less than forever. */
    static final Duration BATCH_TIMEOUT = PROBE_TIMEOUT.plusSeconds(20);
    /** The guest's tty reads lines of at most 4095 bytes. */
    static final int MAX_LINE = 3500;

    private GuestProbes() {}

    static List<ProbeResult> run(SandboxAdapters.Console console, List<Probe> probes) {
        List<ProbeResult> results = new ArrayList<>();
        List<Probe> batch = new ArrayList<>();
        int length = 0;
        for (Probe p : probes) {
            String call = call(p);
            if (length + call.length() > MAX_LINE && !batch.isEmpty()) {
                results.addAll(runBatch(console, batch));
                batch.clear();
                length = 0;
            }
            batch.add(p);
            length += call.length();
        }
        if (!batch.isEmpty()) {
            results.addAll(runBatch(console, batch));
        }
        return results;
    }

    /** One probe as an argument of the agent: {@code c17,t,10.20.0.11,5432}, {@code c18,i,10.20.0.11}. */
    static String call(Probe p) {
        String proto = switch (p.protocol()) {
            case TCP -> "t";
            case UDP -> "u";
            case ICMP -> "i";
        };
        return " " + p.id() + "," + proto + "," + p.address() + (p.port() == 0 ? "" : "," + p.port());
    }

    static String commandLine(List<Probe> batch) {
        StringBuilder line = new StringBuilder("qf-probe ").append(PROBE_TIMEOUT.toSeconds());
        batch.forEach(p -> line.append(call(p)));
        return line.toString();
    }

    private static List<ProbeResult> runBatch(SandboxAdapters.Console console, List<Probe> batch) {
        return parse(batch, console.run(commandLine(batch), BATCH_TIMEOUT));
    }

    static List<ProbeResult> parse(List<Probe> batch, String output) {
        Map<String, ProbeResult> byId = new HashMap<>();
        for (String line : output.split("\n")) {
            String l = line.strip();
            if (!l.startsWith("QF-P ")) {
                continue;
            }
            String[] parts = l.split(" ", 4);
            if (parts.length < 3) {
                continue;
            }
            String answer = parts.length == 4 ? parts[3].strip() : "";
            byId.putIfAbsent(parts[1], new ProbeResult(parts[1], parts[2].equals("0"), answer.length() > 200 ? answer.substring(0, 200) : answer));
        }
        List<ProbeResult> results = new ArrayList<>();
        for (Probe p : batch) {
            results.add(byId.getOrDefault(p.id(), new ProbeResult(p.id(), false, "no result from the guest")));
        }
        return results;
    }
}
