package io.qfence.platform.qemu;

import io.qfence.model.host.Guest;
import io.qfence.platform.os.Jail;
import io.qfence.platform.os.JailLayout;
import io.qfence.platform.os.JailLayout.Access;
import io.qfence.platform.os.ProcessInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The files a guest's QEMU gets in its jail (DESIGN.md §9, "The guest jail"), computed, not listed by hand:
 * <ul>
 *   <li>the binary, its ELF interpreter ({@code PT_INTERP}) and the shared libraries the interpreter itself resolves
 *       for it ({@code ld.so --list}, what {@code ldd} runs), read-only and executable;</li>
 *   <li>the TCG accelerator module QEMU loads at start ({@code accel-tcg-<arch>.so}, with its libraries);</li>
 *   <li>the firmware and option ROMs this command line makes QEMU load, looked up in QEMU's firmware path the way
 *       QEMU does (measured with {@code strace -e trace=%file}: for {@code pc}/{@code q35}, {@code bios-256k.bin} and
 *       {@code kvmvapic.bin}; {@code linuxboot_dma.bin} with {@code -kernel}, or {@code multiboot_dma.bin} when that
 *       kernel is a multiboot one (both are bound, as QEMU decides by the file's contents); the NIC's {@code efi-*.rom});</li>
 *   <li>the boot files read-only, the VM's disks and run directory read-write;</li>
 *   <li>{@code /dev/null}, {@code /dev/zero}, {@code /dev/urandom} (bind mounts of the host's), and only with
 *       {@code -accel kvm} a {@code /dev/kvm} node made in the jail, owned by the VM's uid, mode 0600, with the host's
 *       major:minor (the jailer's way: the host's {@code /dev/kvm} keeps its {@code 0660 root:kvm});
 *       No {@code /dev/net/tun}: a bridged guest's tap arrives as descriptor 3. No {@code /sys}: QEMU only probes
 *       NUMA and NVDIMM topology there and runs without it (measured).</li>
 * </ul>
 * The launch chain's own programs ({@code sh}, {@code mount}, {@code setpriv}) are not in the jail: they run from the
 * host's root at {@link Jail#HOST_ROOT}, which is detached before the guest runs.
 */
public final class GuestJail {

    /** QEMU's firmware path on Debian, relative to the binary's directory, in QEMU's search order. */
    static final List<String> FIRMWARE_DIRS = List.of("../share/qemu", "../share/seabios", "../lib/ipxe/qemu");
    static final List<Path> DEVICES = List.of(Path.of("/dev/null"), Path.of("/dev/zero"), Path.of("/dev/urandom"));
    static final Path KVM = Path.of("/dev/kvm");
    /** The jail's {@code /dev/kvm}: read and write for the VM's uid alone. */
    static final int KVM_MODE = 0600;
    /** The option ROM QEMU loads for each NIC model (its default {@code romfile}). */
    static final Map<String, String> NIC_ROMS = Map.of(
            "virtio-net-pci", "efi-virtio.rom", "e1000", "efi-e1000.rom", "e1000e", "efi-e1000e.rom",
            "rtl8139", "efi-rtl8139.rom", "ne2k_pci", "efi-ne2k_pci.rom", "pcnet", "efi-pcnet.rom", "vmxnet3", "efi-vmxnet3.rom");

    /**
     * An empty directory in the jail of a guest that runs under AppArmor, nothing mounted on it: util-linux
     * {@code setpriv --apparmor-profile} refuses with "AppArmor is not running" (exit 127, before it writes
     * {@code /proc/self/attr/exec}) unless this path exists, and in the jail there is no {@code /sys}. Measured in the
     * lab (Debian 12, util-linux 2.38.1): without it every jailed guest under AppArmor exited at once with that message,
     * which is why {@code SystemdDaemonLabTest} started no guest. The profile is still set by the kernel's own
     * interface ({@code /proc/self/attr/exec} of the jail's /proc); this directory only answers setpriv's check.
     */
    public static final Path APPARMOR_MARKER = Path.of("/sys/kernel/security/apparmor");
    static final String APPARMOR_ENFORCE = "enforce";

    /** The realized config's key and value for a jailed guest ({@code namespaces: jail}). */
    public static final String CONFIG_KEY = "namespaces";
    public static final String CONFIG_JAILED = "jail";

    /** Listings for callers without a state directory (tests): kept in this process, re-checked on every use. */
    private static final JailLibraries IN_PROCESS = new JailLibraries(Optional.empty(), GuestJail::list, 0);
    /** One cache per cache file in this process, so that parallel starts share their listings. */
    private static final Map<Path, JailLibraries> PERSISTED = new ConcurrentHashMap<>();

    private GuestJail() {}

    /**
     * The listings kept in {@code stateDir} across qfence processes ({@link JailLibraries}), one instance per
     * directory in this process.
     */
    public static JailLibraries libraryCache(Path stateDir) {
        return PERSISTED.computeIfAbsent(stateDir.resolve(JailLibraries.FILE),
                file -> new JailLibraries(Optional.of(file), GuestJail::list, JailLibraries.ownUid()));
    }

    /**
     * The programs of the launch chain that run from the host's root, and how their loader finds their libraries.
     * {@code unshare} (util-linux) is present where the host has cgroup namespaces: the chain then gives QEMU one of
     * its own, after it joined its cgroups ({@link LaunchChain#JAILED_SCRIPT}).
     */
    public record HostTools(Path loader, String libraryPath, Path sh, Path mount, Path setpriv, Optional<Path> unshare) {
        public HostTools {
            Objects.requireNonNull(unshare, "unshare");
        }

        public HostTools(Path loader, String libraryPath, Path sh, Path mount, Path setpriv) {
            this(loader, libraryPath, sh, mount, setpriv, Optional.empty());
        }

        /** {@code path} as the jailed chain reaches it before the host's root is detached. */
        public static String viaHostRoot(Path path) {
            return Jail.HOST_ROOT + path.toString();
        }
    }

    /** Whether this kernel has the jail's namespaces (the host fact {@code NAMESPACES}). */
    public static boolean available() {
        return NAMESPACES.stream().allMatch(kind -> Files.exists(Path.of("/proc/self/ns", kind)));
    }

    /**
     * Whether this kernel has cgroup namespaces (Linux 4.6 and later, with cgroup v1 as with v2): a jailed QEMU then
     * gets one of its own, rooted at its VM cgroup, so its {@code /proc/self/cgroup} shows {@code /}.
     */
    public static boolean cgroupNamespaces() {
        return Files.exists(Path.of("/proc/self/ns", CGROUP));
    }

    /** The namespaces a jail made on this kernel has of its own: the four, and the cgroup namespace where it exists. */
    public static List<String> jailNamespaces() {
        return cgroupNamespaces() ? WITH_CGROUP : NAMESPACES;
    }

    /** The jail's contents for {@code guest}, its libraries listed in this process only. */
    public static JailLayout layout(Guest guest) {
        return layout(guest, IN_PROCESS);
    }

    /** The jail's contents for {@code guest}, its libraries from {@code cache}. */
    public static JailLayout layout(Guest guest, JailLibraries cache) {
        List<String> argv = guest.argv();
        Path binary = Path.of(argv.get(0));
        Path loader = interpreter(binary);
        List<Path> binaryLibraries = cache.libraries(binary, loader);
        JailLayout.Builder builder = new JailLayout.Builder();
        builder.mirror(binary, Access.EXECUTE);
        for (Path library : binaryLibraries) {
            builder.mirror(library, Access.EXECUTE);
        }
        for (Path module : modules(binary, argv, binaryLibraries)) {
            builder.mirror(module, Access.EXECUTE);
            for (Path library : cache.libraries(module, loader)) {
                builder.mirror(library, Access.EXECUTE);
            }
        }
        for (Path firmware : firmware(binary, argv)) {
            builder.mirror(firmware, Access.READ);
        }
        for (Path device : DEVICES) {
            builder.mirror(device, Access.DEVICE);
        }
        if (kvm(argv)) {
            // made in the jail for this VM's uid, never a bind of the host's node (DESIGN.md §9)
            builder.deviceNode(KVM, guest.uid(), guest.gid(), KVM_MODE);
        }
        List<String> boot = GuestLauncher.bootFiles(argv);
        for (String image : guest.launch().images()) {
            // boot files and base images (DESIGN.md §17) are shared and read-only; disks and overlays the VM's own
            boolean shared = boot.contains(image) || guest.launch().sharedImages().contains(image);
            builder.mirror(Path.of(image), shared ? Access.READ : Access.READ_WRITE);
        }
        builder.mirror(Path.of(guest.launch().runDir()), Access.READ_WRITE);
        if (APPARMOR_ENFORCE.equals(guest.config().get("apparmor"))) {
            builder.directory(APPARMOR_MARKER);
        }
        return builder.build();
    }

    /** The host's sh, mount and setpriv, and the library path their loader needs once the jail is the root. */
    public static HostTools hostTools(Path setpriv) {
        return hostTools(setpriv, IN_PROCESS);
    }

    /** The same, their libraries from {@code cache}. */
    public static HostTools hostTools(Path setpriv, JailLibraries cache) {
        Path sh = Path.of("/bin/sh");
        Path mount = Path.of("/usr/bin/mount");
        Optional<Path> unshare = cgroupNamespaces() ? Optional.of(UNSHARE) : Optional.empty();
        Path loader = interpreter(sh);
        Set<String> dirs = new LinkedHashSet<>();
        List<Path> tools = new ArrayList<>(List.of(sh, mount, setpriv));
        unshare.ifPresent(tools::add);
        for (Path tool : tools) {
            Path own = interpreter(tool);
            for (Path library : cache.libraries(tool, own)) {
                if (!library.equals(own)) {
                    dirs.add(HostTools.viaHostRoot(library.getParent()));
                }
            }
        }
        return new HostTools(loader, String.join(":", dirs), sh, mount, setpriv, unshare);
    }

    /** The modules QEMU loads for this command line: the TCG accelerator (built as a module on Debian). */
    static List<Path> modules(Path binary, List<String> argv) {
        return modules(binary, argv, libraries(binary));
    }

    private static List<Path> modules(Path binary, List<String> argv, List<Path> binaryLibraries) {
        Optional<String> accel = value(argv, "-accel");
        String name = binary.getFileName().toString();
        if (accel.isEmpty() || !accel.get().startsWith("tcg") || !name.startsWith("qemu-system-")) {
            return List.of();
        }
        Path module = moduleDir(binary, binaryLibraries).resolve("accel-tcg-" + name.substring("qemu-system-".length()) + ".so");
        return Files.exists(module) ? List.of(module) : List.of();
    }

    private static Path moduleDir(Path binary, List<Path> binaryLibraries) {
        // <bindir>/../lib/<multiarch>/qemu, the multiarch directory being libc's
        String multiarch = binaryLibraries.stream().filter(p -> p.getFileName().toString().startsWith("libc.so"))
                .map(p -> p.getParent().getFileName().toString()).findFirst().orElse("x86_64-linux-gnu");
        return binary.getParent().resolve("../lib").resolve(multiarch).resolve("qemu");
    }

    /** The firmware files this command line makes QEMU load, as QEMU's firmware path finds them. */
    static List<Path> firmware(Path binary, List<String> argv) {
        List<String> names = firmwareNames(argv);
        List<Path> found = new ArrayList<>();
        for (String name : names) {
            for (String dir : FIRMWARE_DIRS) {
                Path candidate = binary.getParent().resolve(dir).resolve(name);
                if (Files.exists(candidate)) {
                    found.add(candidate);
                    break;
                }
            }
        }
        return found;
    }

    /** Pure: the firmware file names for a command line. */
    static List<String> firmwareNames(List<String> argv) {
        List<String> names = new ArrayList<>();
        String machine = value(argv, "-machine").map(m -> m.split(",", 2)[0]).orElse("pc");
        if (machine.equals("microvm")) {
            names.add("bios-microvm.bin");
        } else if (machine.startsWith("pc") || machine.startsWith("q35")) {
            names.addAll(List.of("bios-256k.bin", "kvmvapic.bin"));
        }
        if (argv.contains("-kernel")) {
            // QEMU picks the loader ROM by the kernel file's contents, which the jail does not parse: linuxboot_dma.bin
            // for a Linux bzImage, multiboot_dma.bin for a multiboot kernel (measured with strace)
            names.add("linuxboot_dma.bin");
            names.add("multiboot_dma.bin");
        }
        for (int i = 1; i < argv.size() - 1; i++) {
            if (argv.get(i).equals("-device")) {
                String[] parts = argv.get(i + 1).split(",");
                String rom = NIC_ROMS.get(parts[0]);
                for (String part : parts) {
                    if (part.startsWith("romfile=")) {
                        rom = part.substring("romfile=".length());
                    }
                }
                if (rom != null && !rom.isEmpty() && !names.contains(rom)) {
                    names.add(rom);
                }
            }
        }
        return names;
    }

    /** Whether this command line uses KVM, and so gets its own {@code /dev/kvm} node in the jail. */
    static boolean kvm(List<String> argv) {
        return value(argv, "-accel").map(a -> a.startsWith("kvm")).orElse(false);
    }

    private static Optional<String> value(List<String> argv, String flag) {
        int i = argv.indexOf(flag);
        return i >= 0 && i + 1 < argv.size() ? Optional.of(argv.get(i + 1)) : Optional.empty();
    }

    /**
     * The interpreter and every shared library the interpreter loads for {@code elf} (a host binary or library
     * owned by root), from {@code ld.so --list}; remembered in this process while nothing listed changes.
     */
    static List<Path> libraries(Path elf) {
        return IN_PROCESS.libraries(elf, interpreter(elf));
    }

    /**
     * The listing itself: {@code loader --list elf} in the environment QEMU gets ({@link LaunchChain#ENVIRONMENT}: no
     * {@code LD_LIBRARY_PATH} of qfence's own changes what the loader resolves).
     */
    static List<Path> list(Path elf, Path loader) {
        List<Path> libraries = new ArrayList<>(List.of(loader));
        try {
            ProcessBuilder builder = new ProcessBuilder(loader.toString(), "--list", elf.toString()).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(LaunchChain.ENVIRONMENT);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new GuestLaunchException(loader + " --list " + elf + " failed: " + output.strip());
            }
            for (String line : output.split("\n")) {
                // "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or "\t/lib64/ld-linux-x86-64.so.2 (0x...)"
                String l = line.strip();
                int arrow = l.indexOf("=> ");
                String path = arrow >= 0 ? l.substring(arrow + 3) : l;
                int paren = path.lastIndexOf(" (0x");
                if (paren >= 0) {
                    path = path.substring(0, paren);
                }
                if (path.startsWith("/")) {
                    Path p = Path.of(path);
                    if (!libraries.contains(p)) {
                        libraries.add(p);
                    }
                } else if (arrow >= 0) {
                    throw new GuestLaunchException(elf + " needs a library its loader cannot find: " + l);
                }
            }
            return List.copyOf(libraries);
        } catch (IOException e) {
            throw new GuestLaunchException("cannot run " + loader + " --list " + elf + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestLaunchException("interrupted while listing the libraries of " + elf, e);
        }
    }

    /** The ELF interpreter ({@code PT_INTERP}) of a 64-bit little-endian ELF file. */
    static Path interpreter(Path elf) {
        try (RandomAccessFile file = new RandomAccessFile(elf.toFile(), "r")) {
            byte[] header = new byte[64];
            file.readFully(header);
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            if (h.getInt(0) != 0x464c457f || header[4] != 2 || header[5] != 1) {
                throw new GuestLaunchException(elf + " is not a 64-bit little-endian ELF file");
            }
            long phoff = h.getLong(32);
            int phentsize = Short.toUnsignedInt(h.getShort(54));
            int phnum = Short.toUnsignedInt(h.getShort(56));
            byte[] entry = new byte[phentsize];
            for (int i = 0; i < phnum; i++) {
                file.seek(phoff + (long) i * phentsize);
                file.readFully(entry);
                ByteBuffer e = ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN);
                if (e.getInt(0) == 3) { // PT_INTERP
                    long offset = e.getLong(8);
                    long size = e.getLong(32);
                    if (size < 2 || size > 4096) {
                        break;
                    }
                    byte[] name = new byte[(int) size - 1];
                    file.seek(offset);
                    file.readFully(name);
                    return Path.of(new String(name, StandardCharsets.UTF_8));
                }
            }
            throw new GuestLaunchException(elf + " has no ELF interpreter (a static binary cannot be listed)");
        } catch (IOException e) {
            throw new GuestLaunchException("cannot read " + elf + ": " + e.getMessage(), e);
        }
    }

    /** The namespaces every jailed QEMU has of its own. */
    public static final List<String> NAMESPACES = List.of("mnt", "pid", "ipc", "uts");
    /** The cgroup namespace, which a jailed QEMU has of its own where the kernel has them ({@link #cgroupNamespaces}). */
    public static final String CGROUP = "cgroup";
    static final List<String> WITH_CGROUP = List.of("mnt", "pid", "ipc", "uts", CGROUP);
    /** util-linux {@code unshare}: without {@code --fork} it execs in place, so the pid stays QEMU's. */
    static final Path UNSHARE = Path.of("/usr/bin/unshare");

    /**
     * What the kernel says about a process's jail, read from {@code /proc} (host side).
     *
     * @param namespaces  namespace kind to its inode ({@code /proc/PID/ns/KIND})
     * @param pidInJail   the process's pid in its innermost PID namespace ({@code NSpid}'s last field)
     * @param mountPoints every mount point of its mount namespace, as the process sees them
     */
    public record Observed(Map<String, String> namespaces, long pidInJail, List<String> mountPoints) {

        public static Optional<Observed> read(long pid) {
            try {
                return Optional.of(readOrFail(pid));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        /** The same, or what stopped the read (a file of {@code /proc/PID} and why, see {@link #unreadable}). */
        static Observed readOrFail(long pid) throws IOException {
            Map<String, String> namespaces = namespacesOf(pid, jailNamespaces());
            long inner = -1;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring(6).trim().split("\\s+");
                    inner = Long.parseLong(ids[ids.length - 1]);
                }
            }
            List<String> mounts = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    mounts.add(unescape(fields[4]));
                }
            }
            return new Observed(namespaces, inner, List.copyOf(mounts));
        }

        /** One line for {@code state}: the namespaces and the root. */
        public String describe() {
            StringBuilder b = new StringBuilder();
            namespaces.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(v));
            return b + ", pid " + pidInJail + " inside, " + mountPoints.size() + " mounts";
        }
    }

    /**
     * Observation's check of a running guest (the exact mount set is checked at start, against the layout of that
     * moment; a QEMU upgraded on the host since would change it): its own namespaces, PID 1 of its own, and the
     * host's root detached. Empty when jailed, else the first thing wrong. Sharing a namespace with another guest is
     * judged across all of them ({@link #sharedWithOtherGuests}).
     */
    public static Optional<String> notJailed(long pid) {
        Optional<Observed> read;
        try {
            read = Optional.of(Observed.readOrFail(pid));
        } catch (IOException e) {
            return Optional.of("its namespaces cannot be read: " + unreadable(e));
        } catch (RuntimeException e) {
            return Optional.of("its namespaces cannot be read: " + e.getMessage());
        }
        Map<String, String> host = ownNamespaces();
        for (String kind : WITH_CGROUP) {
            if (read.get().namespaces().containsKey(kind) && read.get().namespaces().get(kind).equals(host.get(kind))) {
                return Optional.of("shares the host's " + kind + " namespace");
            }
        }
        if (read.get().pidInJail() != 1) {
            return Optional.of("is pid " + read.get().pidInJail() + " in its PID namespace");
        }
        if (read.get().mountPoints().contains(Jail.HOST_ROOT.toString())) {
            return Optional.of("still sees the host's root");
        }
        return Optional.empty();
    }

    /**
     * Another guest, as qfence knows it: its VM, and the pid and start time (clock ticks since boot, from
     * {@code /proc/PID/stat}) it was recorded or is being launched with. The pair names one process across pid reuse.
     */
    public record Peer(String vm, long pid, long startTime) {
        public Peer {
            Objects.requireNonNull(vm, "vm");
            if (pid < 1) {
                throw new IllegalArgumentException("pid must be positive, got " + pid);
            }
        }

        String describe() {
            return "guest " + vm + " (pid " + pid + ")";
        }
    }

    /**
     * Why the process is not in the jail {@code layout} describes: every failed check, or empty. Its namespaces are
     * compared with qfence's own and with those of every other guest in {@code peers} (the recorded guests and those
     * being launched), each read safely ({@link #namespacesOf(Peer, List)}).
     */
    public static List<String> violations(ProcessInfo info, JailLayout layout, List<Peer> peers) {
        Observed read;
        try {
            read = Observed.readOrFail(info.pid());
        } catch (IOException e) {
            return List.of("its namespaces and mounts cannot be read from /proc: " + unreadable(e));
        } catch (RuntimeException e) {
            return List.of("its namespaces and mounts cannot be read from /proc: " + e.getMessage());
        }
        List<String> failed = new ArrayList<>();
        Map<String, Map<String, String>> others = new java.util.LinkedHashMap<>();
        List<String> kinds = List.copyOf(read.namespaces().keySet());
        for (Peer peer : peers) {
            if (peer.pid() == info.pid()) {
                continue;
            }
            try {
                namespacesOf(peer, kinds).ifPresent(ns -> others.put(peer.describe(), ns));
            } catch (IOException e) {
                failed.add("cannot compare its namespaces with " + peer.describe() + "'s: " + unreadable(e));
            }
        }
        failed.addAll(violations(read, ownNamespaces(), others, layout));
        return failed;
    }

    /**
     * The namespaces of {@code peer}, read safely: only while its pid is still the process recorded (its start time
     * read before and after the links), so a pid reused by another process is never taken for the guest. Empty when
     * that guest has ended (its pid gone or someone else's now); throws when the files cannot be read.
     */
    static Optional<Map<String, String>> namespacesOf(Peer peer, List<String> kinds) throws IOException {
        if (!sameProcess(peer)) {
            return Optional.empty();
        }
        Map<String, String> namespaces;
        try {
            namespaces = namespacesOf(peer.pid(), kinds);
        } catch (java.nio.file.NoSuchFileException gone) {
            return Optional.empty();
        }
        return sameProcess(peer) ? Optional.of(namespaces) : Optional.empty();
    }

    /** Whether {@code peer.pid()} is still the live process recorded: its {@code /proc/PID/stat} alone, not a zombie. */
    private static boolean sameProcess(Peer peer) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(peer.pid()), "stat"), StandardCharsets.UTF_8);
        } catch (IOException gone) {
            return false;
        }
        // comm (field 2) may hold spaces and parentheses: the fields after it start after the last ')'
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        char state = after[0].charAt(0);
        return state != 'Z' && state != 'X' && Long.parseLong(after[19]) == peer.startTime();
    }

    /** {@code /proc/PID/ns/KIND} of each kind, by kind. */
    static Map<String, String> namespacesOf(long pid, List<String> kinds) throws IOException {
        Map<String, String> namespaces = new java.util.TreeMap<>();
        for (String kind : kinds) {
            namespaces.put(kind, Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", kind)).toString());
        }
        return namespaces;
    }

    /**
     * qfence's own namespaces (the host's), read from {@code /proc/self/ns} alone: not through {@link Observed}, which
     * would also read qfence's whole mount table (hundreds of lines on a host) only to drop it.
     */
    static Map<String, String> ownNamespaces() {
        try {
            return namespacesOf(ProcessHandle.current().pid(), jailNamespaces());
        } catch (IOException e) {
            return Map.of();
        }
    }

    /**
     * Why {@code /proc/PID/...} of a guest could not be read, with the errno. {@code /proc/PID/ns/*} is readable only
     * with ptrace read access ({@code PTRACE_MODE_READ_FSCREDS}): for root and a QEMU of another uid that takes
     * {@code CAP_SYS_PTRACE}, which a unit's {@code CapabilityBoundingSet} may lack (under qfence.service without it, in
     * the lab, every jailed start failed its checks; readlink of another uid's {@code /proc/PID/ns/mnt} without it
     * fails with EACCES).
     */
    static String unreadable(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException denied) {
            return "EACCES (permission denied) on " + denied.getFile()
                    + ": reading the namespaces of a process of another uid needs CAP_SYS_PTRACE (ptrace read access)";
        }
        if (e instanceof java.nio.file.NoSuchFileException gone) {
            return "ENOENT on " + gone.getFile() + ": the process is gone";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** Pure: the checks of an observed jail against qfence's own namespaces and the layout. */
    static List<String> violations(Observed observed, Map<String, String> host, JailLayout layout) {
        return violations(observed, host, Map.of(), layout);
    }

    /**
     * Pure: the checks of an observed jail against qfence's own namespaces, those of every other guest
     * ({@code others}, named as the failure names them) and the layout. Every namespace the observation holds is
     * checked: the four, and the cgroup namespace where the kernel has them.
     */
    static List<String> violations(Observed observed, Map<String, String> host, Map<String, Map<String, String>> others, JailLayout layout) {
        List<String> failed = new ArrayList<>();
        Set<String> kinds = new LinkedHashSet<>(NAMESPACES);
        kinds.addAll(observed.namespaces().keySet());
        for (String kind : kinds) {
            String ns = observed.namespaces().get(kind);
            if (ns == null || ns.equals(host.get(kind))) {
                failed.add("shares the host's " + kind + " namespace (" + ns + ")");
                continue;
            }
            List<String> sharing = others.entrySet().stream().filter(e -> ns.equals(e.getValue().get(kind))).map(Map.Entry::getKey).toList();
            if (!sharing.isEmpty()) {
                failed.add("shares its " + kind + " namespace (" + ns + ") with " + String.join(", ", sharing));
            }
        }
        if (observed.pidInJail() != 1) {
            failed.add("is pid " + observed.pidInJail() + " in its PID namespace, expected 1 (alone in it)");
        }
        Set<String> expected = new java.util.TreeSet<>(expectedMountPoints(layout));
        Set<String> actual = new java.util.TreeSet<>(observed.mountPoints());
        if (!actual.equals(expected) || observed.mountPoints().size() != expected.size()) {
            Set<String> extra = new java.util.TreeSet<>(actual);
            extra.removeAll(expected);
            Set<String> missing = new java.util.TreeSet<>(expected);
            missing.removeAll(actual);
            List<String> what = new ArrayList<>();
            if (!extra.isEmpty()) {
                what.add("not in the jail " + extra);
            }
            if (!missing.isEmpty()) {
                what.add("missing " + missing);
            }
            if (observed.mountPoints().size() != actual.size()) {
                what.add("a path mounted twice");
            }
            failed.add("its root is not its jail: mounts " + String.join(", ", what));
        }
        return failed;
    }

    /**
     * Pure: for observation, which jailed guests share one of their jail's namespaces with another guest, by VM, as
     * the reason their observed config reads {@code namespaces: off (...)}: {@code shares its ipc namespace with
     * guest b}. {@code namespaces} holds each running jailed guest's namespaces by kind (as {@code /proc} names them).
     */
    public static Map<String, String> sharedWithOtherGuests(Map<String, Map<String, String>> namespaces) {
        Map<String, String> reasons = new java.util.TreeMap<>();
        namespaces.forEach((vm, mine) -> {
            List<String> why = new ArrayList<>();
            for (String kind : WITH_CGROUP) {
                String ns = mine.get(kind);
                if (ns == null) {
                    continue;
                }
                List<String> with = namespaces.entrySet().stream().filter(e -> !e.getKey().equals(vm) && ns.equals(e.getValue().get(kind)))
                        .map(Map.Entry::getKey).sorted().toList();
                if (!with.isEmpty()) {
                    why.add("shares its " + kind + " namespace with guest " + String.join(", ", with));
                }
            }
            if (!why.isEmpty()) {
                reasons.put(vm, String.join("; ", why));
            }
        });
        return reasons;
    }

    /** The mount points a jailed QEMU has: the root, every device directory's tmpfs, every bind mount and its /proc. */
    public static List<String> expectedMountPoints(JailLayout layout) {
        List<String> expected = new ArrayList<>(List.of("/"));
        layout.deviceDirectories().forEach(d -> expected.add(d.toString()));
        layout.binds().forEach(b -> expected.add(b.path().toString()));
        expected.add(Jail.PROC.toString());
        return expected;
    }

    private static String unescape(String field) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                b.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
