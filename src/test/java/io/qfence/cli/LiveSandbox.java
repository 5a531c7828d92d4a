package io.qfence.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.app.Main;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.HostFacts;
import io.qfence.platform.os.NetNamespace;
import io.qfence.realize.Realization;
import io.qfence.testing.BundledState;
import io.qfence.testing.CgroupHost;
import io.qfence.testing.ProbeImages;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A private host for one test: a network namespace of its own ({@code qfence-test-<purpose>-<random>} in /run/netns),
 * a cgroup parent of its own in every hierarchy, and temporary state, run and image directories. The real CLI runs
 * against it through {@link #cli}; {@link #close()} removes all of it, also after a failure.
 */
final class LiveSandbox implements AutoCloseable {

    static final String PREFIX = "qfence-test-live-";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every sandbox this JVM made: other test runs on the machine make sandboxes of their own at the same time. */
    private static final Set<String> MADE_HERE = ConcurrentHashMap.newKeySet();

    final String name;
    final Path dir;
    final String cgroupParent;

    private LiveSandbox(String name, Path dir) {
        this.name = name;
        this.dir = dir;
        this.cgroupParent = name;
    }

    /**
     * Makes this sandbox ready for real guests and returns the copy of {@code source} it holds ({@code dir/desired}):
     * the directories a guest's QEMU must pass through (it runs as the VM's uid) made traversable, and the probe
     * guest's boot files under {@code images/}.
     */
    Path forGuests(Path source) throws IOException {
        for (Path d : List.of(dir, dir.resolve("run"), dir.resolve("images"))) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (String f : List.of("kernels/vmlinuz", "initrds/probe.img")) {
            Path to = dir.resolve("images").resolve(f);
            Files.createDirectories(to.getParent());
            Files.copy(ProbeImages.directory().resolve(f), to, StandardCopyOption.REPLACE_EXISTING);
        }
        Path desired = dir.resolve("desired");
        ApplyGuestsTest.copyTree(source, desired);
        return desired;
    }

    /**
     * Moves the {@code vmUidRange} of every host in {@code desired} to a range of this run's own (other runs on the
     * machine may start guests at the same time, and qfence reports a QEMU of a VM uid that is not its own) and
     * returns its first uid.
     */
    static long privateUidRange(Path desired) throws IOException {
        long first = 400_000 + 1000L * ThreadLocalRandom.current().nextInt(500);
        try (Stream<Path> hosts = Files.list(desired.resolve("hosts"))) {
            for (Path host : hosts.toList()) {
                String text = Files.readString(host);
                String moved = text.replaceFirst("first: \\d+\n(\\s+)last: \\d+", "first: " + first + "\n$1last: " + (first + 999));
                if (moved.equals(text)) {
                    throw new IllegalStateException(host + " has no vmUidRange to move");
                }
                Files.writeString(host, moved);
            }
        }
        return first;
    }

    /**
     * Removes VM {@code vm} from {@code groups/GROUP.yaml} in {@code desired}: its list entry, up to the next VM's or
     * the end of the file.
     */
    static void removeVm(Path desired, String group, String vm) throws IOException {
        Path file = desired.resolve("groups").resolve(group + ".yaml");
        String text = Files.readString(file);
        int from = text.indexOf("    - name: " + vm + "\n");
        if (from < 0) {
            throw new IllegalStateException(file + " has no VM " + vm);
        }
        int next = text.indexOf("    - name: ", from + 1);
        Files.writeString(file, text.substring(0, from) + (next < 0 ? "" : text.substring(next)));
    }

    static LiveSandbox create() {
        bridgeNetfilterLoaded();
        String name = PREFIX + UUID.randomUUID().toString().substring(0, 8);
        MADE_HERE.add(name);
        NetNamespace.create(NetNamespace.DEFAULT_DIR, name).close();
        try {
            Path dir = Files.createTempDirectory(name);
            for (String sub : List.of("state", "run", "images")) {
                Files.createDirectories(dir.resolve(sub));
            }
            return new LiveSandbox(name, dir);
        } catch (IOException | RuntimeException e) {
            NetNamespace.delete(NetNamespace.DEFAULT_DIR.resolve(name));
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * The operator's step before qfence runs bridged VMs (DESIGN.md §7): br_netfilter loaded. Built in here; a module
     * on Debian's stock kernel (the production-kernel lab), which nothing loads on demand, and without which the
     * realization refuses the bundled state's bridged VMs.
     */
    private static void bridgeNetfilterLoaded() {
        if (!Files.isDirectory(Path.of("/proc/sys/net/bridge"))) {
            Witness.run("modprobe", "br_netfilter");
        }
    }

    Path stateDir() {
        return dir.resolve("state");
    }

    /** The options that point a command at this sandbox, with guests out of scope. */
    List<String> hostArgs() {
        return List.of("--netns", name, "--state-dir", stateDir().toString(), "--run-dir", dir.resolve("run").toString(),
                "--images-root", dir.resolve("images").toString(), "--cgroup-parent", cgroupParent, "--no-guests",
                "--dir", BundledState.DIR.toString());
    }

    HostOverrides overrides() {
        return new HostOverrides(Optional.of(dir.resolve("images").toString()), Optional.of(dir.resolve("run").toString()),
                Optional.of(stateDir().toString()), Optional.of(cgroupParent));
    }

    /** The real CLI, in this process, against this sandbox: {@code command} then its options, then the sandbox's. */
    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(hostArgs());
        return CliRun.onHost(Main.liveHost(), "", args.toArray(String[]::new));
    }

    /** As {@link #cli}, on only {@code scope} of the host ({@code --scope PARTS} in place of {@code --no-guests}). */
    CliRun cliWithScope(String scope, String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(List.of("--scope", scope));
        args.addAll(hostArgs().stream().filter(a -> !a.equals("--no-guests")).toList());
        return CliRun.onHost(Main.liveHost(), "", args.toArray(String[]::new));
    }

    /** This machine's facts, as the live host reports them. */
    HostFacts facts() {
        try (HostPorts ports = Main.liveHost().connect(new HostTarget(Optional.of(name), Optional.empty()))) {
            return ports.facts().facts();
        }
    }

    /** The bundled desired state realized for this sandbox, as apply realizes it. */
    Realization realization() {
        return BundledState.realize(facts(), overrides());
    }

    String witness(String... command) {
        return Witness.inNetns(name, command);
    }

    JsonNode witnessJson(String... command) {
        try {
            return JSON.readTree(witness(command));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ip -j -d link} as a list of links. */
    List<JsonNode> links() {
        List<JsonNode> out = new ArrayList<>();
        witnessJson("ip", "-j", "-d", "link", "show").forEach(out::add);
        return out;
    }

    Optional<JsonNode> link(String name) {
        return links().stream().filter(l -> l.path("ifname").asText().equals(name)).findFirst();
    }

    /**
     * The cgroup directories below this sandbox's parent in the hierarchy of {@code controller} (on v2 the one
     * unified hierarchy), relative to the parent.
     */
    List<String> cgroupDirs(String controller) {
        Path root = CgroupHost.dir(controller, cgroupParent);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isDirectory).filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            NetNamespace.delete(NetNamespace.DEFAULT_DIR.resolve(name));
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            CgroupHost.fs().remove(cgroupParent);
        } catch (RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            failure = failure == null ? new UncheckedIOException(e) : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Nothing of any sandbox this JVM made is left: no namespace, no cgroup directory. (Only its own: a sandbox of
     * another test run on the same machine is that run's business.)
     */
    static void assertNothingLeft() {
        List<String> left = new ArrayList<>(NetNamespace.list(NetNamespace.DEFAULT_DIR).stream().filter(MADE_HERE::contains).toList());
        for (Path h : new java.util.TreeSet<>(CgroupHost.layout().hierarchies().values())) {
            try (Stream<Path> dirs = Files.list(h)) {
                dirs.filter(d -> MADE_HERE.contains(d.getFileName().toString())).forEach(d -> left.add(d.toString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!left.isEmpty()) {
            throw new AssertionError("left behind: " + left);
        }
    }
}
