package io.qfence.platform.sandbox;

import io.qfence.host.Sandbox.Probe;
import io.qfence.host.Sandbox.ProbeResult;
import io.qfence.platform.qemu.SerialConsole;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Probes from inside a probe guest: one console line that starts every probe in the background with the guest's
 * {@code qf-probe} helper ({@code bin/probe-init.sh}) and waits for all of them, then one {@code QF-P ID RC ANSWER}
 * line per probe. Everything the guest prints is untrusted: only lines of that shape with a known id count.
 */
final class GuestProbes {

    /** Far more than the probes take (1-second timeouts, run in parallel), far less than forever. */
    static final Duration BATCH_TIMEOUT = Duration.ofSeconds(20);
    /** The guest's tty reads lines of at most 4095 bytes. */
    static final int MAX_LINE = 3500;

    private GuestProbes() {}

    static List<ProbeResult> run(SerialConsole console, List<Probe> probes) {
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

    static String call(Probe p) {
        String proto = switch (p.protocol()) {
            case TCP -> "t";
            case UDP -> "u";
            case ICMP -> "i";
        };
        return "qf-probe " + p.id() + " " + proto + " " + p.address() + (p.port() == 0 ? "" : " " + p.port()) + " & ";
    }

    private static List<ProbeResult> runBatch(SerialConsole console, List<Probe> batch) {
        StringBuilder line = new StringBuilder();
        batch.forEach(p -> line.append(call(p)));
        line.append("wait");
        SerialConsole.Result result = console.run(line.toString(), BATCH_TIMEOUT);
        return parse(batch, result.output());
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
