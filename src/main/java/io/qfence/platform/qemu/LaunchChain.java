package io.qfence.platform.qemu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The command that turns a root-spawned process into a confined QEMU (DESIGN.md §9): a fixed shell script that
 * joins the VM's cgroups with its own pid, then execs {@code setpriv} to drop to the VM's uid and gid with no groups,
 * {@code no_new_privs} and no capabilities (optionally entering an AppArmor profile at exec), which execs QEMU.
 * The pid never changes along the chain, so QEMU is in its cgroups before it allocates anything, and the pid that
 * {@code posix_spawn} returns is QEMU's.
 *
 * <p>Nothing is interpolated into the script: the cgroup files, ids and QEMU's argv are positional arguments.
 */
public final class LaunchChain {

    public static final Path SHELL = Path.of("/bin/sh");
    public static final Path DEFAULT_SETPRIV = Path.of("/usr/bin/setpriv");
    /** The launcher's name while it is still a shell ({@code $0}), as {@code ps} shows it for a few milliseconds. */
    public static final String NAME = "qfence-launch";
    /** Exit status of the chain when it could not join a cgroup; QEMU never started. */
    public static final int EXIT_CGROUP_JOIN_FAILED = 125;

    /**
     * Joins the cgroups: $1 is the number of cgroup.procs files that follow, each written with the shell's own pid;
     * both scripts run it, so a plain and a jailed guest join their cgroups the same way (the texts are unchanged).
     */
    private static final String JOIN_CGROUPS = String.join("\n",
            "n=\"$1\"; shift",
            "while [ \"$n\" -gt 0 ]; do",
            "  case \"$1\" in */cgroup.procs) ;; *) echo \"qfence-launch: not a cgroup.procs file: $1\" >&2; exit 125 ;; esac",
            "  [ -f \"$1\" ] || { echo \"qfence-launch: no such cgroup: $1\" >&2; exit 125; }",
            "  echo \"$$\" >\"$1\" || { echo \"qfence-launch: cannot join $1\" >&2; exit 125; }",
            "  shift; n=$((n - 1))",
            "done");

    /**
     * $1 is the number of cgroup.procs files that follow; the rest is the command to exec. Written for POSIX sh
     * (dash): no bashisms, every expansion quoted.
     */
    static final String SCRIPT = String.join("\n", JOIN_CGROUPS, "exec \"$@\"");

    /** The jail's /proc: its own PID namespace only, process directories only, each visible only to its owner. */
    public static final String PROC_OPTIONS = "nosuid,nodev,noexec,hidepid=invisible,subset=pid";

    /** Exit status of the jailed chain when it could not mount its /proc; QEMU never started. */
    public static final int EXIT_PROC_MOUNT_FAILED = 124;

    /**
     * The same inside a jail ({@link io.qfence.platform.os.Jail}), where the shell is PID 1 of the guest's own PID
     * namespace. It first waits until its descriptor 0 (the jail's gate) reaches end-of-file, which happens once
     * qfence has switched its root to the jail (the shell itself is loaded by then: {@code posix_spawn} returns after
     * the exec); then it leaves the host's directory, joins the cgroups through the host's root (its {@code $$} is 1,
     * which the kernel reads in the writer's namespace: itself), mounts the namespace's /proc with the host's
     * {@code mount} (three words: loader, library path, program) and execs the rest, all reached through the host's
     * root until qfence detaches it. Where the host has cgroup namespaces the rest begins with the host's
     * {@code unshare --cgroup --}: it makes a cgroup namespace rooted where the shell now is, its VM cgroups (joined
     * first, so QEMU is accounted there before it allocates), and execs {@code setpriv} in place, the pid unchanged.
     */
    static final String JAILED_SCRIPT = String.join("\n",
            "read -r _ || :",
            "exec </dev/null",
            "cd / || exit 124",
            JOIN_CGROUPS,
            "\"$1\" --library-path \"$2\" \"$3\" -n -t proc -o " + PROC_OPTIONS + " proc /proc"
                    + " || { echo \"qfence-launch: cannot mount /proc\" >&2; exit 124; }",
            "shift 3",
            "exec \"$@\"");

    /** The environment QEMU starts with: nothing of qfence's own. */
    public static final SortedMap<String, String> ENVIRONMENT = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(java.util.Map.of(
            "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
            "LC_ALL", "C")));

    private LaunchChain() {}

    /**
     * @param cgroupDirs      the VM's cgroup directory in every hierarchy it joins (one per v1 controller, or the
     *                        v2 directory)
     * @param apparmorProfile the profile QEMU runs under, or empty where there is no AppArmor
     * @param qemuArgv        QEMU's argv, binary first
     * @return argv for {@link #SHELL}
     */
    public static List<String> argv(List<Path> cgroupDirs, long uid, long gid, Optional<String> apparmorProfile,
                                    Path setpriv, List<String> qemuArgv) {
        Objects.requireNonNull(apparmorProfile, "apparmorProfile");
        if (qemuArgv.isEmpty() || !qemuArgv.get(0).startsWith("/")) {
            throw new IllegalArgumentException("QEMU's argv must start with the binary's absolute path");
        }
        if (uid < 1 || gid < 1) {
            throw new IllegalArgumentException("QEMU never runs as root: uid " + uid + " gid " + gid);
        }
        List<String> argv = new ArrayList<>(List.of("sh", "-c", SCRIPT, NAME, Integer.toString(cgroupDirs.size())));
        for (Path dir : cgroupDirs) {
            argv.add(cgroupProcs(dir, ""));
        }
        argv.addAll(setpriv(uid, gid, apparmorProfile, List.of(setpriv.toString()), qemuArgv));
        return List.copyOf(argv);
    }

    /**
     * The chain for a jailed QEMU: argv for {@link #SHELL}; once in the jail, the host's mount and setpriv run through
     * {@link io.qfence.platform.os.Jail#HOST_ROOT} with the loader {@code tools.loader()} (the host's ELF
     * interpreter, which is also QEMU's and so in the jail).
     */
    public static List<String> jailedArgv(List<Path> cgroupDirs, long uid, long gid, Optional<String> apparmorProfile,
                                          GuestJail.HostTools tools, List<String> qemuArgv) {
        Objects.requireNonNull(apparmorProfile, "apparmorProfile");
        if (uid < 1 || gid < 1) {
            throw new IllegalArgumentException("QEMU never runs as root: uid " + uid + " gid " + gid);
        }
        String loader = tools.loader().toString();
        List<String> argv = new ArrayList<>(List.of("sh", "-c", JAILED_SCRIPT, NAME, Integer.toString(cgroupDirs.size())));
        for (Path dir : cgroupDirs) {
            argv.add(cgroupProcs(dir, io.qfence.platform.os.Jail.HOST_ROOT.toString()));
        }
        argv.addAll(List.of(loader, tools.libraryPath(), GuestJail.HostTools.viaHostRoot(tools.mount())));
        tools.unshare().ifPresent(unshare -> argv.addAll(List.of(loader, "--library-path", tools.libraryPath(),
                GuestJail.HostTools.viaHostRoot(unshare), "--cgroup", "--")));
        argv.addAll(setpriv(uid, gid, apparmorProfile,
                List.of(loader, "--library-path", tools.libraryPath(), GuestJail.HostTools.viaHostRoot(tools.setpriv())), qemuArgv));
        return List.copyOf(argv);
    }

    private static String cgroupProcs(Path dir, String prefix) {
        if (!dir.isAbsolute()) {
            throw new IllegalArgumentException("cgroup directory must be absolute, got " + dir);
        }
        return prefix + dir.resolve("cgroup.procs");
    }

    private static List<String> setpriv(long uid, long gid, Optional<String> apparmorProfile, List<String> setpriv, List<String> qemuArgv) {
        if (qemuArgv.isEmpty() || !qemuArgv.get(0).startsWith("/")) {
            throw new IllegalArgumentException("QEMU's argv must start with the binary's absolute path");
        }
        List<String> argv = new ArrayList<>(setpriv);
        argv.addAll(List.of(
                "--reuid", Long.toString(uid), "--regid", Long.toString(gid), "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"));
        apparmorProfile.ifPresent(p -> argv.addAll(List.of("--apparmor-profile", p)));
        argv.add("--");
        argv.addAll(qemuArgv);
        return argv;
    }
}
