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

    /**
     * The sandbox's cgroup parent in the pids controller's hierarchy, as this host lays it out: {@code
     * /sys/fs/cgroup/pids/PARENT} on v1, {@code /sys/fs/cgroup/PARENT} on v2.
     */
    static Path pidsRoot(LiveSandbox sandbox) {
        return CgroupLayout.detect().hierarchies().get("pids").resolve(sandbox.cgroupParent);
    }

    /** The pids in the sandbox's cgroup subtree (pids hierarchy), read from the cgroup file system. */
    static List<Long> cgroupPids(LiveSandbox sandbox) throws IOException {
        Path root = pidsRoot(sandbox);
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

    /** SIGKILLs each of {@code pids} through a pidfd (so a reused pid is never hit) and waits for each to end. */
    static void killAndAwait(Iterable<Long> pids) {
        List<PidFd> killed = new ArrayList<>();
        for (long pid : pids) {
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
    }

    /** Ends every process in the sandbox's cgroups (the guests its test started), by pid, and waits for them. */
    static void killAll(LiveSandbox sandbox) throws IOException {
        killAndAwait(cgroupPids(sandbox));
        Path root = pidsRoot(sandbox);
        if (Files.isDirectory(root)) {
            // PID 1 reaps re-parented guests a little late; their cgroups empty out once it has.
            Witness.tryRun("sh", "-c", "for i in $(seq 100); do [ -z \"$(cat $(find " + root
                    + " -name cgroup.procs) 2>/dev/null)\" ] && exit 0; sleep 0.1; done; exit 1");
        }
    }

    /**
     * The cgroup directories below the sandbox's parent in every hierarchy this host has, relative to the parent, by
     * hierarchy directory (one entry on v2, one per mounted v1 hierarchy, a co-mounted one such as cpu,cpuacct once).
     */
    static Map<Path, List<String>> cgroupDirsByHierarchy(LiveSandbox sandbox) throws IOException {
        Map<Path, List<String>> out = new TreeMap<>();
        for (Path h : new java.util.TreeSet<>(CgroupLayout.detect().hierarchies().values())) {
            Path root = h.resolve(sandbox.cgroupParent);
            List<String> dirs = new ArrayList<>();
            if (Files.isDirectory(root)) {
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.filter(Files::isDirectory).filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().forEach(dirs::add);
                }
            }
            out.put(h, dirs);
        }
        return out;
    }

    /**
     * Where a realized cgroup file lives on this host, for reading it back directly: {@code ROOT/PATH/FILE} on v2;
     * {@code HIERARCHY/PATH/FILE} for a v1 file named {@code hierarchy/file}.
     */
    static Path fileOf(CgroupLayout layout, String path, String file) {
        if (layout.version() == io.qfence.model.host.CgroupVersion.V2) {
            return layout.root().resolve(path).resolve(file);
        }
        int slash = file.indexOf('/');
        return layout.hierarchies().get(file.substring(0, slash)).resolve(path).resolve(file.substring(slash + 1));
    }
}
