package io.qfence.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What guest tests of a {@link LiveSandbox} see from outside qfence: the processes in its cgroup subtree (the cgroup
 * file system), the records qfence keeps, and the ending of the sandbox's own guests by pid.
 */
final class GuestKills {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GuestKills() {}

    /** The pids in the sandbox's cgroup subtree (pids hierarchy), read from the cgroup file system. */
    static List<Long> cgroupPids(LiveSandbox sandbox) throws IOException {
        Path root = CgroupLayout.DEFAULT_ROOT.resolve("pids").resolve(sandbox.cgroupParent);
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                try {
                    for (String line : Files.readAllLines(procs)) {
                        if (!line.isBlank()) {
                            out.add(Long.parseLong(line.trim()));
                        }
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // removed meanwhile
                }
            }
        }
        return out;
    }

    /** The guests qfence recorded whose process still runs, by VM ({@code stateDir/guests/VM.json}). */
    static Map<String, Long> recordedPids(LiveSandbox sandbox) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        Path dir = sandbox.stateDir().resolve("guests");
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                JsonNode n = JSON.readTree(f.toFile());
                long pid = n.path("pid").asLong();
                if (ProcessInfo.read(pid).filter(i -> !i.hasEnded()).isPresent()) {
                    out.put(n.path("vm").asText(), pid);
                }
            }
        }
        return out;
    }

    /** Ends every process in the sandbox's cgroups (the guests its test started), by pid, and waits for them. */
    static void killAll(LiveSandbox sandbox) throws IOException {
        List<PidFd> killed = new ArrayList<>();
        for (long pid : cgroupPids(sandbox)) {
            try {
                PidFd fd = PidFd.open(pid);
                fd.signal(Signal.SIGKILL);
                killed.add(fd);
            } catch (RuntimeException gone) {
                // ended meanwhile
            }
        }
        for (PidFd fd : killed) {
            try (fd) {
                fd.awaitExit(Duration.ofSeconds(30));
            }
        }
        Path root = CgroupLayout.DEFAULT_ROOT.resolve("pids").resolve(sandbox.cgroupParent);
        if (Files.isDirectory(root)) {
            // PID 1 reaps re-parented guests a little late; their cgroups empty out once it has.
            Witness.tryRun("sh", "-c", "for i in $(seq 100); do [ -z \"$(cat $(find " + root
                    + " -name cgroup.procs) 2>/dev/null)\" ] && exit 0; sleep 0.1; done; exit 1");
        }
    }
}
