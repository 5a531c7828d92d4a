package io.qfence.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.platform.qemu.SerialConsole;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guest start and stop latency with real QEMU (issue 7's "1, 4 and 8 real guests"): {@code bin/qfence apply} of one
 * group of {@code N} probe guests (TCG, the probe kernel and initramfs of {@code bin/build-probe-image}), then of the
 * same guests {@code state: stopped}, then of the empty host, each a CLI run as operators run it, on a sandbox the
 * caller made (network namespace, cgroup parent, directories).
 *
 * <p>While the start apply runs (with {@code --progress json}), every event is stamped as it arrives. A guest counts
 * as <em>running</em> when its start step is done: the applier's post-condition saw QMP {@code query-status} =
 * {@code running} with the realized configuration. It counts as <em>booted</em> when its serial console answers a
 * shell command ({@link #awaitShell}, one try every 250 ms), which the probe guest's {@code /init} offers once its
 * network and listeners are up. Stop latency is the stop step as qfence reports it: {@code system_powerdown}
 * until the process is gone, and whether {@code quit} or SIGKILL had to follow.
 *
 * <p>Prints one TSV line per measure (the {@code raw.tsv} format of {@code bench/run}: scenario, method, measure,
 * repetition, value, unit). Usage: {@code GuestLatency WORK_DIR SCENARIO N REP QFENCE NETNS CGROUP_PARENT IMAGES_ROOT}
 */
public final class GuestLatency {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern STOP_STEP = Pattern.compile("(powerdown|quit|sigkill) (sent|failed|timed_out|exited) after (\\d+) ms.*");
    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);

    /** The launcher's own figure, in a guest's progress: {@code running as pid N (QMP after A ms, running after B ms)}. */
    private static final Pattern RUNNING_AFTER = Pattern.compile("running after (\\d+) ms");
    /**
     * A jailed start's own figures in the same message ({@code GuestLauncher.JailTimes}): {@code jail: contents 1.2 ms,
     * namespaces 0.1 ms, root 6.0 ms, spawn 2.3 ms, pivot 0.2 ms, detach 0.3 ms, checks 9.1 ms}.
     */
    private static final Pattern JAIL_PHASE = Pattern.compile("(contents|namespaces|root|spawn|pivot|detach|checks) ([0-9.]+) ms");
    static final List<String> JAIL_PHASES = List.of("contents", "namespaces", "root", "spawn", "pivot", "detach", "checks");

    /** The jail's library cache in a state directory ({@code JailLibraries.FILE}). */
    private static final String JAIL_LISTINGS = io.qfence.platform.qemu.JailLibraries.FILE;

    private GuestLatency() {}

    private static long median(java.util.Collection<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? 0 : sorted.get((sorted.size() - 1) / 2);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: GuestLatency WORK_DIR SCENARIO N REP QFENCE NETNS CGROUP_PARENT IMAGES_ROOT");
            System.exit(64);
        }
        Path work = Path.of(args[0]);
        String scenario = args[1];
        int n = Integer.parseInt(args[2]);
        int rep = Integer.parseInt(args[3]);
        Path qfence = Path.of(args[4]);
        String netns = args[5];
        String cgroupParent = args[6];
        Path images = Path.of(args[7]);
        Path dirs = work.resolve("guests").resolve(scenario + "-" + rep);
        Path state = dirs.resolve("state");
        Path run = dirs.resolve("run");
        Files.createDirectories(state);
        Files.createDirectories(run);
        // the jail's library listings carry over from the previous scenario of the run, as they do on a host where
        // qfence ran before (its state directory keeps them): only the run's first jailed apply lists them
        Path listings = work.resolve("guests").resolve(JAIL_LISTINGS);
        if (Files.exists(listings)) {
            Files.copy(listings, state.resolve(JAIL_LISTINGS), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        for (String variant : List.of("running", "stopped", "empty")) {
            write(dirs.resolve(variant), n, variant);
        }
        List<String> common = List.of("--netns", netns, "--cgroup-parent", cgroupParent, "--state-dir", state.toString(), "--run-dir",
                run.toString(), "--images-root", images.toString(), "--auto-approve", "--progress", "json");
        Output out = new Output(scenario, rep);

        // ---- start: apply the running variant, stamp every event, ask each console as soon as its guest runs
        Map<String, Long> running = new ConcurrentHashMap<>();
        Map<String, Future<Long>> booted = new ConcurrentHashMap<>();
        ExecutorService consoles = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "console");
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        long[] firstStart = {-1};
        Map<String, Long> stepStarted = new ConcurrentHashMap<>();
        Map<String, Long> step = new ConcurrentHashMap<>();
        Map<String, Long> spawnToRunning = new ConcurrentHashMap<>();
        Map<String, Map<String, Long>> jailPhases = new ConcurrentHashMap<>();
        Apply start = apply(qfence, dirs.resolve("running"), common, dirs.resolve("start"), t0, (event, at) -> {
            String vm = guest(event);
            if (vm == null) {
                return;
            }
            if (event.path("event").asText().equals("start")) {
                stepStarted.putIfAbsent(vm, at);
                if (firstStart[0] < 0) {
                    firstStart[0] = at;
                }
            }
            if (event.path("event").asText().equals("message")) {
                Matcher m = RUNNING_AFTER.matcher(event.path("message").asText());
                if (m.find()) {
                    spawnToRunning.put(vm, Long.parseLong(m.group(1)) * 1_000_000L);
                    String message = event.path("message").asText();
                    int jail = message.indexOf("jail: ");
                    if (jail >= 0) {
                        Map<String, Long> phases = new java.util.TreeMap<>();
                        Matcher p = JAIL_PHASE.matcher(message.substring(jail));
                        while (p.find()) {
                            phases.put(p.group(1), Math.round(Double.parseDouble(p.group(2)) * 1e6));
                        }
                        jailPhases.put(vm, phases);
                    }
                }
            }
            if (event.path("event").asText().equals("done")) {
                running.put(vm, at);
                step.put(vm, at - stepStarted.getOrDefault(vm, at));
                Path socket = run.resolve(vm).resolve("serial.sock");
                booted.put(vm, consoles.submit(() -> {
                    awaitShell(socket);
                    return System.nanoTime() - t0;
                }));
            }
        });
        start.require("start");
        if (Files.exists(state.resolve(JAIL_LISTINGS))) {
            Files.copy(state.resolve(JAIL_LISTINGS), listings, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (running.size() != n) {
            throw new IllegalStateException("expected " + n + " guests running, the apply reported " + running.keySet());
        }
        long allBooted = 0;
        for (var e : booted.entrySet()) {
            allBooted = Math.max(allBooted, e.getValue().get(BOOT_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS));
        }
        consoles.shutdownNow();
        long allRunning = running.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        out.seconds("start_running", allRunning);
        out.seconds("start_booted", allBooted);
        out.seconds("start_apply", start.wall);
        out.seconds("start_apply.first_guest", firstStart[0]);
        // per guest start (the jail's cost shows here: QFENCE_BENCH_JAIL=off for the comparison)
        out.seconds("start_step_median", median(step.values()));
        if (spawnToRunning.size() == n) {
            out.seconds("start_spawn_to_running_median", median(spawnToRunning.values()));
        }
        if (jailPhases.size() == n) {
            // the jail's own time in each start, as the launcher measured it (its other cost, the chain's extra exec
            // of mount inside the jail, shows only against a run without the jail: QFENCE_BENCH_JAIL=both)
            out.seconds("start_jail_own_median", median(jailPhases.values().stream()
                    .map(p -> p.values().stream().mapToLong(Long::longValue).sum()).toList()));
            for (String phase : JAIL_PHASES) {
                out.seconds("start_jail_" + phase + "_median", median(jailPhases.values().stream().map(p -> p.getOrDefault(phase, 0L)).toList()));
            }
        }
        out.seconds("start_apply.cpu", start.cpuNanos);
        out.mib("start_apply.rss", start.rssKib);

        // ---- stop: apply the stopped variant; qfence reports each step of each stop as it happens
        Map<String, Long> gone = new ConcurrentHashMap<>();
        Map<String, String> how = new ConcurrentHashMap<>();
        Apply stop = apply(qfence, dirs.resolve("stopped"), common, dirs.resolve("stop"), System.nanoTime(), (event, at) -> {
            String vm = guest(event);
            if (vm == null || !event.path("event").asText().equals("message")) {
                return;
            }
            Matcher m = STOP_STEP.matcher(event.path("message").asText());
            if (m.matches() && m.group(2).equals("exited")) {
                gone.put(vm, Long.parseLong(m.group(3)) * 1_000_000L);
                how.put(vm, m.group(1));
            }
        });
        stop.require("stop");
        if (gone.size() != n) {
            throw new IllegalStateException("expected " + n + " guests to report their end, got " + gone.keySet());
        }
        long slowest = gone.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        long median = gone.values().stream().mapToLong(Long::longValue).sorted().skip((n - 1) / 2).findFirst().orElseThrow();
        out.seconds("stop_guest_max", slowest);
        out.seconds("stop_guest_median", median);
        out.count("stop_powerdown", how.values().stream().filter("powerdown"::equals).count());
        out.count("stop_quit", how.values().stream().filter("quit"::equals).count());
        out.count("stop_sigkill", how.values().stream().filter("sigkill"::equals).count());
        out.seconds("stop_apply", stop.wall);
        out.seconds("stop_apply.cpu", stop.cpuNanos);
        out.mib("stop_apply.rss", stop.rssKib);

        // ---- teardown of the network, firewall and cgroups (not a guest measure; only its RSS counts)
        Apply empty = apply(qfence, dirs.resolve("empty"), common, dirs.resolve("teardown"), System.nanoTime(), (e, at) -> {});
        empty.require("teardown");
        out.mib("peak_rss", Math.max(start.rssKib, Math.max(stop.rssKib, empty.rssKib)));
    }

    /**
     * Waits until the guest's shell runs a command typed on its serial console: sends {@code echo QF-UP-$((40+2))}
     * every 250 ms and returns at the first {@code QF-UP-42}, which only a shell evaluating the line prints (the
     * tty's echo of the typed line shows the expression). Any answer counts, not only the latest attempt's, so the
     * attempts queued while the guest booted do not add to the time ({@link SerialConsole#awaitShell} waits for its
     * newest attempt, which the shell reaches only after every earlier one).
     */
    static void awaitShell(Path socket) throws IOException {
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            ByteBuffer in = ByteBuffer.allocate(4096);
            StringBuilder seen = new StringBuilder();
            long nextAttempt = 0;
            while (System.nanoTime() < deadline) {
                long now = System.nanoTime();
                if (now >= nextAttempt) {
                    ByteBuffer out = ByteBuffer.wrap("echo QF-UP-$((40+2))\n".getBytes(StandardCharsets.US_ASCII));
                    while (out.hasRemaining()) {
                        ch.write(out);
                    }
                    nextAttempt = now + 250_000_000L;
                }
                selector.select(Math.max(1, (nextAttempt - System.nanoTime()) / 1_000_000));
                selector.selectedKeys().clear();
                in.clear();
                int read = ch.read(in);
                if (read < 0) {
                    throw new IOException("serial console " + socket + " closed");
                }
                seen.append(new String(in.array(), 0, Math.max(read, 0), StandardCharsets.ISO_8859_1));
                if (seen.indexOf("QF-UP-42") >= 0) {
                    return;
                }
                if (seen.length() > 64) {
                    seen.delete(0, seen.length() - 16);   // keep a tail that may hold the start of the answer
                }
            }
            throw new IOException("no shell on serial console " + socket + " within " + BOOT_TIMEOUT.toSeconds() + " s");
        }
    }

    /** The VM a progress event is about, when it is a guest's step ({@code group.G/vm.NAME}); else null. */
    private static String guest(JsonNode event) {
        String address = event.path("address").asText("");
        int i = address.indexOf("/vm.");
        return i < 0 || address.indexOf('/', i + 1) >= 0 ? null : address.substring(i + 4);
    }

    interface Events {
        void on(JsonNode event, long nanosSinceStart);
    }

    record Apply(int exit, long wall, long cpuNanos, long rssKib, Path log) {
        void require(String what) {
            if (exit != 0) {
                String tail;
                try {
                    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                    tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
                } catch (IOException e) {
                    tail = "(" + e.getMessage() + ")";
                }
                throw new IllegalStateException(what + " apply exited " + exit + "; the end of " + log + ":\n" + tail);
            }
        }
    }

    /** Runs {@code qfence apply} under {@code /usr/bin/time} (CPU and peak RSS), handing each JSON event on as it comes. */
    private static Apply apply(Path qfence, Path dir, List<String> common, Path logBase, long t0, Events events) throws Exception {
        Path time = Path.of(logBase + ".time");
        Path log = Path.of(logBase + ".log");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-o", time.toString(), "-f", "%U %S %M", qfence.toString(), "apply",
                "--dir", dir.toString()));
        cmd.addAll(common);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                long at = System.nanoTime() - t0;
                w.write(String.format(Locale.ROOT, "%10.3f %s%n", at / 1e6, line));
                if (line.startsWith("{")) {
                    events.on(JSON.readTree(line), at);
                }
            }
        } finally {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        }
        long wall = System.nanoTime() - t0;
        String[] f = Files.readAllLines(time, StandardCharsets.UTF_8).stream().filter(l -> l.matches("[0-9. ]+")).reduce((a, b) -> b)
                .orElse("0 0 0").trim().split(" ");
        long cpu = Math.round((Double.parseDouble(f[0]) + Double.parseDouble(f[1])) * 1e9);
        return new Apply(p.exitValue(), wall, cpu, Long.parseLong(f[2]), log);
    }

    /**
     * The guest jail for the run ({@code QFENCE_BENCH_JAIL=off} measures without it): {@code required} (the default)
     * or {@code off}, the host's {@code confinement.namespaces}.
     */
    static final String JAIL = System.getenv().getOrDefault("QFENCE_BENCH_JAIL", "required").equals("off") ? "off" : "required";

    /** The guest scenario's desired state: one group {@code lat} of {@code n} bridged probe guests. */
    static void write(Path dir, int n, String variant) {
        try {
            Files.createDirectories(dir.resolve("hosts"));
            Files.createDirectories(dir.resolve("groups"));
            boolean empty = variant.equals("empty");
            String host = "# generated by bench GuestLatency; do not edit\n"
                    + "apiVersion: qfence.io/v1alpha1\nkind: Host\nmetadata:\n  name: " + ScenarioGenerator.HOST + "\nspec:\n"
                    + "  groups: [" + (empty ? "" : "lat") + "]\n"
                    + "  imagesRoot: /var/lib/qfence-bench/images\n  runDir: /run/qfence-bench\n  stateDir: /var/lib/qfence-bench\n"
                    + "  cgroupParent: qfence-bench\n  vmUidRange: {first: 300000, last: 365535}\n"
                    + "  qemu: {binary: /usr/bin/qemu-system-x86_64, accel: tcg, machine: q35}\n"
                    + "  confinement: {apparmor: off, namespaces: " + JAIL + ", seccomp: on}\n";
            Files.writeString(dir.resolve("hosts/" + ScenarioGenerator.HOST + ".yaml"), host, StandardCharsets.UTF_8);
            Path group = dir.resolve("groups/lat.yaml");
            if (empty) {
                Files.deleteIfExists(group);
                return;
            }
            StringBuilder s = new StringBuilder("# generated by bench GuestLatency; do not edit\n");
            s.append("apiVersion: qfence.io/v1alpha1\nkind: Group\nmetadata:\n  name: lat\nspec:\n");
            s.append("  vlan: 1\n  subnet: 10.100.0.0/24\n  egress: none\n  intraGroup: allow\n");
            s.append("  limits: {cpus: ").append(n).append(", memory: ").append(n * 320).append("Mi, pids: ").append(n * 128).append("}\n");
            s.append("  vms:\n");
            for (int i = 1; i <= n; i++) {
                String name = String.format(Locale.ROOT, "lat-%d", i);
                String ip = "10.100.0." + (9 + i);
                s.append("    - name: ").append(name).append('\n');
                s.append("      cpus: 1\n      memory: 96Mi\n");
                s.append("      boot: {kernel: kernels/vmlinuz, initrd: initrds/probe.img, cmdline: \"console=ttyS0 quiet panic=-1 qf.name=")
                        .append(name).append(" qf.ip=").append(ip).append("/24\"}\n");
                s.append("      ip: ").append(ip).append('\n');
                s.append("      state: ").append(variant).append('\n');
            }
            Files.writeString(group, s.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class Output {
        private final String scenario;
        private final int rep;

        Output(String scenario, int rep) {
            this.scenario = scenario;
            this.rep = rep;
        }

        void seconds(String measure, long nanos) {
            line(measure, String.format(Locale.ROOT, "%.6f", nanos / 1e9), "s");
        }

        void mib(String measure, long kib) {
            line(measure, String.format(Locale.ROOT, "%.1f", kib / 1024.0), "MiB");
        }

        void count(String measure, long count) {
            line(measure, Long.toString(count), "guests");
        }

        private void line(String measure, String value, String unit) {
            System.out.printf(Locale.ROOT, "%s\tqfence\t%s\t%d\t%s\t%s%n", scenario, measure, rep, value, unit);
            System.out.flush();
        }
    }
}
