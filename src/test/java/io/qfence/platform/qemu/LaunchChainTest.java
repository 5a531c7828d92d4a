package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchChainTest {

    @TempDir
    Path dir;

    @Test
    void argvPassesEverythingAsPositionalArgumentsToAFixedScript() {
        List<String> argv = LaunchChain.argv(List.of(Path.of("/sys/fs/cgroup/memory/qf/web/a"), Path.of("/sys/fs/cgroup/pids/qf/web/a")),
                200123, 200124, Optional.empty(), LaunchChain.DEFAULT_SETPRIV, List.of("/usr/bin/qemu-system-x86_64", "-S"));

        assertThat(argv).containsExactly("sh", "-c", LaunchChain.SCRIPT, "qfence-launch", "2",
                "/sys/fs/cgroup/memory/qf/web/a/cgroup.procs", "/sys/fs/cgroup/pids/qf/web/a/cgroup.procs",
                "/usr/bin/setpriv", "--reuid", "200123", "--regid", "200124", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--", "/usr/bin/qemu-system-x86_64", "-S");
    }

    @Test
    void anAppArmorProfileIsEnteredBySetprivAtExec() {
        List<String> argv = LaunchChain.argv(List.of(Path.of("/cg")), 200123, 200123, Optional.of("qfence.web.a"),
                LaunchChain.DEFAULT_SETPRIV, List.of("/usr/bin/qemu-system-x86_64"));
        assertThat(String.join(" ", argv)).contains("--bounding-set=-all --apparmor-profile qfence.web.a -- /usr/bin/qemu-system-x86_64");
    }

    @Test
    void theScriptJoinsEachCgroupWithItsOwnPidThenExecsTheCommandUnchanged() throws Exception {
        Path first = Files.createDirectories(dir.resolve("a")).resolve("cgroup.procs");
        Path second = Files.createDirectories(dir.resolve("b")).resolve("cgroup.procs");
        Files.createFile(first);
        Files.createFile(second);
        String hostile = "$(touch " + dir.resolve("pwned") + ") `id` ; rm -rf / \"'";

        // `sh -c 'echo $$'` after exec prints the pid the script wrote, because exec keeps the pid.
        String out = Witness.run(withCommand(List.of(first, second), List.of("/bin/sh", "-c", "echo $$; printf '%s\\n' \"$1\"", "x", hostile)));

        String pid = out.lines().findFirst().orElseThrow();
        assertThat(Files.readString(first).strip()).isEqualTo(pid);
        assertThat(Files.readString(second).strip()).isEqualTo(pid);
        assertThat(out.lines().skip(1)).containsExactly(hostile);
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void aMissingCgroupStopsTheChainBeforeTheCommandRuns() {
        Witness.Result r = Witness.tryRun(withCommand(List.of(dir.resolve("absent/cgroup.procs")), List.of("/bin/echo", "started")));
        assertThat(r.exitCode()).isEqualTo(LaunchChain.EXIT_CGROUP_JOIN_FAILED);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("no such cgroup");
    }

    @Test
    void onlyCgroupProcsFilesCanBeWritten() throws Exception {
        Path other = Files.writeString(dir.resolve("passwd"), "root:x:0:0");
        Witness.Result r = Witness.tryRun(withCommand(List.of(other), List.of("/bin/echo", "started")));
        assertThat(r.exitCode()).isEqualTo(LaunchChain.EXIT_CGROUP_JOIN_FAILED);
        assertThat(Files.readString(other)).isEqualTo("root:x:0:0");
    }

    @Test
    void qemuNeverRunsAsRoot() {
        assertThatThrownBy(() -> LaunchChain.argv(List.of(Path.of("/cg")), 0, 0, Optional.empty(), LaunchChain.DEFAULT_SETPRIV, List.of("/q")))
                .hasMessage("QEMU never runs as root: uid 0 gid 0");
    }

    /**
     * The jailed chain: the cgroups first, then the host's mount for /proc, then, where the host has cgroup
     * namespaces, {@code unshare --cgroup --} (rooted at the VM cgroups just joined, execing in place), then setpriv:
     * every program through the host's root and its loader, every value positional.
     */
    @Test
    void theJailedChainJoinsItsCgroupsBeforeItUnsharesTheCgroupNamespaceAndOnlyThenDropsToTheVmUid() {
        GuestJail.HostTools tools = new GuestJail.HostTools(Path.of("/lib64/ld-linux-x86-64.so.2"), "/.qfence-host-root/lib/x86_64-linux-gnu",
                Path.of("/bin/sh"), Path.of("/usr/bin/mount"), Path.of("/usr/bin/setpriv"), Optional.of(Path.of("/usr/bin/unshare")));
        List<String> argv = LaunchChain.jailedArgv(List.of(Path.of("/sys/fs/cgroup/memory/qf/a")), 200123, 200123, Optional.empty(), tools,
                List.of("/usr/bin/qemu-system-x86_64", "-S"));
        String loader = "/lib64/ld-linux-x86-64.so.2";
        String lib = "/.qfence-host-root/lib/x86_64-linux-gnu";
        assertThat(argv).containsExactly("sh", "-c", LaunchChain.JAILED_SCRIPT, "qfence-launch", "1",
                "/.qfence-host-root/sys/fs/cgroup/memory/qf/a/cgroup.procs",
                loader, lib, "/.qfence-host-root/usr/bin/mount",
                loader, "--library-path", lib, "/.qfence-host-root/usr/bin/unshare", "--cgroup", "--",
                loader, "--library-path", lib, "/.qfence-host-root/usr/bin/setpriv", "--reuid", "200123", "--regid", "200123", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--", "/usr/bin/qemu-system-x86_64", "-S");
        List<String> without = LaunchChain.jailedArgv(List.of(Path.of("/sys/fs/cgroup/memory/qf/a")), 200123, 200123, Optional.empty(),
                new GuestJail.HostTools(tools.loader(), lib, tools.sh(), tools.mount(), tools.setpriv()), List.of("/usr/bin/qemu-system-x86_64"));
        assertThat(without).as("a kernel without cgroup namespaces: no unshare").doesNotContain("--cgroup");
    }

    /** The script with {@code procs} as its cgroup files and {@code command} to exec (no setpriv: a unit test). */
    private static String[] withCommand(List<Path> procs, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", LaunchChain.SCRIPT, LaunchChain.NAME, Integer.toString(procs.size())));
        procs.forEach(p -> argv.add(p.toString()));
        argv.addAll(command);
        return argv.toArray(String[]::new);
    }
}
