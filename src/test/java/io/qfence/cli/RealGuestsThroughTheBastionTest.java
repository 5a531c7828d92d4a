package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end proof of issue 17: real guests configured from Git, reached only through their bastion.
 *
 * <p>The real guest image ({@code bin/build-guest-image}: Debian 12, systemd, cloud-init, openssh-server) is a shared
 * base; a group with a bastion and one app VM is committed to a real Git repository, with an SSH key the test made;
 * {@code qfence apply --wait-ready} reads that revision and starts both guests at once in a private host (a network
 * namespace, a cgroup parent, directories of its own). Nothing inside the image names an address, a host name or a
 * key: the seed qfence generates from Git does. An outside namespace behind the host's uplink holds an allowed client
 * (inside the exposure's {@code from} block) and a stranger (outside it). Then, from the client, {@code ssh -J} through
 * the host's exposed port reaches the app VM with the committed key and sees the desired state's host name and
 * address; everything else is refused: the stranger at the port, the client going around the bastion, a key Git does
 * not hold, a password. A key changed in Git and applied restarts the guests ({@code seed changed: sshKeys}) and
 * opens them to the new key only; what the guest wrote survives in its overlay, and the base's bytes never change.
 *
 * <p>Not tagged {@code guest-image}: it runs in every {@code bin/test}, which builds the image first when it is not
 * cached (DESIGN.md §17, "The end-to-end proof"). Measured times are printed (boot under TCG, the whole test).
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "qemu-img", "xorriso", "setpriv", "ssh", "ssh-keygen", "git", "sha256sum",
    "mmdebstrap"}, cgroups = true)
class RealGuestsThroughTheBastionTest {

    static final String HOST = "192.0.2.1";        // the host's uplink address, where the bastion is exposed
    static final String UPLINK_PEER = "192.0.2.2";
    static final String CLIENT = "198.51.100.7";   // inside the exposure's from block
    static final String STRANGER = "203.0.113.9";  // outside it
    static final String BASTION_IP = "10.77.0.10";
    static final String APP_IP = "10.77.0.11";
    static final Pattern READY = Pattern.compile("group\\.rg/vm\\.(rg-[a-z]+): ready: cloud-init finished(?: ([0-9.]+) s after boot)?.*seen after ([0-9.]+) s");

    static Path image;

    @TempDir
    Path work;

    LiveSandbox sandbox;
    String outside;
    Path repo;
    Path images;
    final List<String> timings = new ArrayList<>();

    @BeforeAll
    static void buildOrReuseTheGuestImage() throws Exception {
        // bin/test builds it before Maven when it is not cached; run alone, this builds it (minutes, progress on stderr)
        Process p = new ProcessBuilder("bin/build-guest-image").redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(last).startsWith("guest-image: dir=");
        image = Path.of(last.substring("guest-image: dir=".length(), last.indexOf(' ', "guest-image: dir=".length())));
    }

    @BeforeEach
    void hostOutsideAndGitRepository() throws Exception {
        sandbox = LiveSandbox.create();
        Path source = Files.createDirectories(work.resolve("source"));
        Files.createDirectories(source.resolve("hosts"));
        Files.createDirectories(source.resolve("groups"));
        Files.writeString(source.resolve("hosts/h1.yaml"), HOST_YAML);
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", work.resolve("alice").toString());
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@new-laptop", "-f", work.resolve("alice-new").toString());
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mallory", "-f", work.resolve("mallory").toString());
        Files.writeString(source.resolve("groups/rg.yaml"), GROUP_YAML.replace("ALICE_KEY", publicKey("alice")));
        repo = sandbox.forGuests(source); // dir/desired: the sandbox's copy, made a Git repository below
        LiveSandbox.privateUidRange(repo);
        git("init", "-q", "-b", "main");
        git("config", "user.email", "ops@example.org");
        git("config", "user.name", "ops");
        git("add", "-A");
        git("commit", "-q", "-m", "rg: a bastion and an app server from the Debian guest image, alice's key");

        images = sandbox.dir.resolve("images");
        for (String[] f : List.of(new String[] {"disk.qcow2", "bases/debian-12-guest.qcow2"},
                new String[] {"vmlinuz", "kernels/debian-12-guest.vmlinuz"}, new String[] {"initrd.img", "initrds/debian-12-guest.img"})) {
            Path to = images.resolve(f[1]);
            Files.createDirectories(to.getParent());
            Files.copy(image.resolve(f[0]), to, StandardCopyOption.REPLACE_EXISTING);
        }

        // the world beyond the host's uplink: the allowed client and the stranger, routed to the host
        outside = "qfence-test-" + UUID.randomUUID().toString().substring(0, 6) + "-out";
        Witness.run("ip", "netns", "add", outside);
        sandbox.witness("ip", "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", outside);
        sandbox.witness("ip", "addr", "add", HOST + "/24", "dev", "up0");
        sandbox.witness("ip", "link", "set", "up0", "up");
        sandbox.witness("ip", "link", "set", "lo", "up");
        sandbox.witness("ip", "route", "add", "default", "via", UPLINK_PEER);
        Witness.inNetns(outside, "ip", "addr", "add", UPLINK_PEER + "/24", "dev", "eth0");
        Witness.inNetns(outside, "ip", "addr", "add", CLIENT + "/32", "dev", "eth0");
        Witness.inNetns(outside, "ip", "addr", "add", STRANGER + "/32", "dev", "eth0");
        Witness.inNetns(outside, "ip", "link", "set", "eth0", "up");
        Witness.inNetns(outside, "ip", "link", "set", "lo", "up");
        Witness.inNetns(outside, "ip", "route", "add", "10.0.0.0/8", "via", HOST);
    }

    @AfterEach
    void removeEverything() throws Exception {
        timings.forEach(System.out::println);
        try {
            GuestKills.killAll(sandbox);
        } finally {
            if (outside != null) {
                Witness.tryRun("ip", "netns", "del", outside);
            }
            sandbox.close();
            ApplyGuestsTest.assertNothingLeftOf(sandbox);
        }
    }

    @Test
    void gitConfiguresBothGuestsAndOnlyTheBastionWithAKeyFromGitLetsAClientIn() throws Exception {
        long testStart = System.nanoTime();
        Path base = images.resolve("bases/debian-12-guest.qcow2");
        String baseChecksum = sha256(base);

        // 1. one apply starts both guests at once and waits until cloud-init finished in each
        CliRun apply = applyAndWait("first boot");
        assertThat(apply.out()).contains("group.rg/vm.rg-bastion", "group.rg/vm.rg-app");
        Map<String, Long> pids = GuestKills.recordedPids(sandbox);
        assertThat(pids).containsOnlyKeys("rg-bastion", "rg-app");
        double apart = Math.abs(startSeconds(pids.get("rg-bastion")) - startSeconds(pids.get("rg-app")));
        timings.add(String.format("real guests: the two QEMUs started %.2f s apart", apart));
        assertThat(apart).as("both guests boot in parallel: the second starts long before the first can be ready").isLessThan(20.0);

        // 2. from the allowed client, through the host's exposed port and the bastion, with the key committed in Git
        Path client = sshConfig(CLIENT, "alice");
        Witness.Result facts = ssh(client, "-i", key("alice"), "-J", "alice@" + HOST + ":2222", "alice@" + APP_IP,
                "hostname; ip -br addr show eth0");
        assertThat(facts.exitCode()).as(facts.stderr()).isZero();
        List<String> lines = facts.stdout().lines().toList();
        System.out.println("real guests: ssh -J alice@" + HOST + ":2222 alice@" + APP_IP + " prints: " + lines);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).as("the host name from the seed").isEqualTo("rg-app");
        assertThat(lines.get(1)).as("the address from the seed").matches("eth0 +UP +10\\.77\\.0\\.11/24( .*)?");
        Witness.Result onBastion = ssh(client, "-i", key("alice"), "-p", "2222", "alice@" + HOST, "hostname; ip -br addr show eth0");
        assertThat(onBastion.exitCode()).as(onBastion.stderr()).isZero();
        assertThat(onBastion.stdout().lines().toList()).hasSize(2).first().isEqualTo("rg-bastion");
        assertThat(onBastion.stdout().lines().toList().get(1)).matches("eth0 +UP +10\\.77\\.0\\.10/24( .*)?");
        // the guest writes to its own disk: an overlay over the shared base
        Witness.Result write = ssh(client, "-i", key("alice"), "-J", "alice@" + HOST + ":2222", "alice@" + APP_IP,
                "echo written-by-rg-app > ~/marker && sync");
        assertThat(write.exitCode()).as(write.stderr()).isZero();

        // qfence ssh-config from the same Git revision gives the same way in
        Path generated = work.resolve("qfence-ssh.conf");
        CliRun config = cli("ssh-config", "--host-address", HOST, "-l", "alice", "-i", key("alice"),
                "-o", "UserKnownHostsFile=" + work.resolve("known_hosts"), "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
                "-o", "IdentityAgent=none", "-o", "BindAddress=" + CLIENT);
        assertThat(config.exitCode()).as(config.err()).isZero();
        Files.writeString(generated, config.out());
        Witness.Result viaConfig = Witness.tryRun("ip", "netns", "exec", outside, "ssh", "-F", generated.toString(), "rg-app", "hostname");
        assertThat(viaConfig.exitCode()).as(config.out() + viaConfig.stderr()).isZero();
        assertThat(viaConfig.stdout().strip()).isEqualTo("rg-app");

        // 3. everything else is refused
        Path stranger = sshConfig(STRANGER, "alice");
        Witness.Result fromStranger = ssh(stranger, "-i", key("alice"), "-p", "2222", "alice@" + HOST, "true");
        assertThat(fromStranger.exitCode()).as("the stranger reaches no SSH server at the exposed port").isEqualTo(255);
        assertThat(fromStranger.stderr()).as("refused or dropped before any SSH exchange").doesNotContain("Permission denied")
                .containsAnyOf("timed out", "Connection refused", "No route to host");
        for (String direct : List.of(APP_IP, BASTION_IP)) {
            Witness.Result around = ssh(client, "-i", key("alice"), "alice@" + direct, "true");
            assertThat(around.exitCode()).as("the client cannot go around the bastion to " + direct).isEqualTo(255);
            assertThat(around.stderr()).doesNotContain("Permission denied").containsAnyOf("timed out", "Connection refused", "No route to host");
        }
        Witness.Result notInGit = ssh(client, "-i", key("mallory"), "-J", "alice@" + HOST + ":2222", "alice@" + APP_IP, "true");
        assertThat(notInGit.exitCode()).as("a key not in Git is refused by the app VM").isEqualTo(255);
        assertThat(notInGit.stderr()).contains("alice@" + APP_IP + ": Permission denied (publickey)");
        Witness.Result password = ssh(client, "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no",
                "-J", "alice@" + HOST + ":2222", "alice@" + APP_IP, "true");
        assertThat(password.exitCode()).as("password login is refused").isEqualTo(255);
        assertThat(password.stderr()).contains("alice@" + APP_IP + ": Permission denied (publickey)");
        Witness.Result bastionPassword = ssh(client, "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no",
                "-p", "2222", "alice@" + HOST, "true");
        assertThat(bastionPassword.exitCode()).isEqualTo(255);
        assertThat(bastionPassword.stderr()).contains("Permission denied (publickey)");

        // 4. key rotation: the new key in Git, applied; the seeds change, the guests restart and take it
        Path group = repo.resolve("groups/rg.yaml");
        Files.writeString(group, Files.readString(group).replace(publicKey("alice"), publicKey("alice-new")));
        git("commit", "-q", "-am", "rg: alice's new key");
        CliRun rotate = applyAndWait("restart with the new key");
        assertThat(rotate.out()).contains("seed changed: sshKeys");
        assertThat(GuestKills.recordedPids(sandbox).get("rg-app")).as("restarted").isNotEqualTo(pids.get("rg-app"));
        Path rotated = sshConfig(CLIENT, "alice-new");
        Witness.Result newKey = ssh(rotated, "-i", key("alice-new"), "-J", "alice@" + HOST + ":2222", "alice@" + APP_IP,
                "hostname; cat ~/marker");
        assertThat(newKey.exitCode()).as("the new key works on both hops: " + newKey.stderr()).isZero();
        assertThat(newKey.stdout().lines().toList()).as("the overlay kept what the guest wrote across the restart")
                .containsExactly("rg-app", "written-by-rg-app");
        Witness.Result oldKeyOnApp = ssh(rotated, "-i", key("alice"), "-J", "alice@" + HOST + ":2222", "alice@" + APP_IP, "true");
        assertThat(oldKeyOnApp.exitCode()).as("the old key no longer opens the app VM").isEqualTo(255);
        assertThat(oldKeyOnApp.stderr()).contains("alice@" + APP_IP + ": Permission denied (publickey)");
        Witness.Result oldKeyOnBastion = ssh(client, "-i", key("alice"), "-p", "2222", "alice@" + HOST, "true");
        assertThat(oldKeyOnBastion.exitCode()).as("nor the bastion").isEqualTo(255);
        assertThat(oldKeyOnBastion.stderr()).contains("Permission denied (publickey)");

        // 5. the overlay holds the guest's writes; the base's bytes are unchanged
        Path overlay = images.resolve("overlays/rg-app.qcow2");
        assertThat(Files.size(overlay)).as("the overlay grew with the guest's writes").isGreaterThan(1L << 20);
        assertThat(sha256(base)).as("the base image's bytes are unchanged").isEqualTo(baseChecksum);
        timings.add(String.format("real guests: the whole test took %.1f s; load %s", (System.nanoTime() - testStart) / 1e9,
                Files.readString(Path.of("/proc/loadavg")).strip()));
    }

    /** {@code apply --auto-approve --wait-ready} of the repository's main branch; records how long the guests took. */
    private CliRun applyAndWait(String what) throws IOException {
        long start = System.nanoTime();
        CliRun apply = cli("apply", "--auto-approve", "--wait-ready", "--ready-timeout", "25m");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
        StringBuilder line = new StringBuilder(String.format("real guests, %s: apply --wait-ready took %.1f s under TCG (load %s)", what,
                seconds, Files.readString(Path.of("/proc/loadavg")).strip()));
        Matcher m = READY.matcher(apply.out() + apply.err());
        while (m.find()) {
            line.append("; ").append(m.group(1)).append(" ready").append(m.group(2) == null ? "" : " " + m.group(2) + " s after boot")
                    .append(", seen after ").append(m.group(3)).append(" s");
        }
        timings.add(line.toString());
        System.out.println(line);
        return apply;
    }

    private CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        if (command.equals("apply")) {
            args.addAll(List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir",
                    sandbox.dir.resolve("run").toString(), "--images-root", images.toString(), "--cgroup-parent", sandbox.cgroupParent));
        }
        args.addAll(List.of("--repo", repo.toString(), "--rev", "main", "--dir", "."));
        return CliRun.onHost(io.qfence.app.Main.liveHost(), "", args.toArray(String[]::new));
    }

    /**
     * An ssh_config for a client at {@code source} in the outside namespace: the bastion's hop authenticates with
     * {@code jumpKey}; the destination's key comes from the command line ({@code -i}), so each hop is tested alone.
     */
    private Path sshConfig(String source, String jumpKey) throws IOException {
        Path file = work.resolve("ssh-" + source + "-" + jumpKey + ".conf");
        Files.writeString(file, String.join("\n",
                "Host " + HOST,
                "  IdentityFile " + key(jumpKey),
                "Host *",
                "  BindAddress " + source,
                "  UserKnownHostsFile " + work.resolve("known_hosts"),
                "  GlobalKnownHostsFile /dev/null",
                "  StrictHostKeyChecking accept-new",
                "  BatchMode yes",
                "  ConnectTimeout 15",
                "  IdentitiesOnly yes",
                "  IdentityAgent none",
                ""));
        return file;
    }

    private Witness.Result ssh(Path config, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", outside, "ssh", "-F", config.toString()));
        argv.addAll(List.of(args));
        return Witness.tryRun(argv.toArray(String[]::new));
    }

    private String key(String name) {
        return work.resolve(name).toString();
    }

    private String publicKey(String name) throws IOException {
        return Files.readString(work.resolve(name + ".pub")).strip();
    }

    private void git(String... args) {
        List<String> argv = new ArrayList<>(List.of("git", "-C", repo.toString()));
        argv.addAll(List.of(args));
        Witness.run(argv.toArray(String[]::new));
    }

    /** When the process started, in seconds since boot ({@code /proc/PID/stat} field 22, in clock ticks of 1/100 s). */
    private static double startSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[19]) / 100.0;
    }

    private static String sha256(Path file) {
        return Witness.run("sha256sum", file.toString()).split(" ")[0];
    }

    static final String HOST_YAML = """
            # The host of RealGuestsThroughTheBastionTest; directories and cgroup parent are re-rooted into a sandbox.
            apiVersion: qfence.io/v1alpha1
            kind: Host
            metadata:
              name: h1
            spec:
              groups: [rg]
              imagesRoot: /var/lib/qfence/images
              runDir: /run/qfence
              stateDir: /var/lib/qfence
              cgroupParent: qfence.slice
              vmUidRange:
                first: 312000
                last: 312999
              qemu:
                binary: /usr/bin/qemu-system-x86_64
                accel: tcg
                machine: q35
              confinement:
                apparmor: preferred
                seccomp: "on"
            """;

    /** README "Run your own images", as a test runs it: microsegmented, the bastion's way in explicit. */
    static final String GROUP_YAML = """
            apiVersion: qfence.io/v1alpha1
            kind: Group
            metadata:
              name: rg
            spec:
              vlan: 77
              subnet: 10.77.0.0/24
              egress: none
              intraGroup: deny
              limits: {cpus: 2, memory: 1Gi, pids: 512}
              bastion:
                vm: rg-bastion
                sshToGroup: true
                expose: {hostPort: 2222, port: 22, from: [198.51.100.0/24]}
              access:
                users:
                  - name: alice
                    sshKeys: ["ALICE_KEY"]
              vms:
                - name: rg-bastion
                  cpus: 1
                  memory: 256Mi
                  disk: {base: bases/debian-12-guest.qcow2, format: qcow2}
                  boot: &guest
                    kernel: kernels/debian-12-guest.vmlinuz
                    initrd: initrds/debian-12-guest.img
                    cmdline: "root=LABEL=qfguest-root rw console=ttyS0 quiet tsc=reliable no_timer_check"
                  cloudInit: {}
                  ip: 10.77.0.10
                  stopTimeout: 10s
                - name: rg-app
                  cpus: 1
                  memory: 256Mi
                  disk: {base: bases/debian-12-guest.qcow2, format: qcow2}
                  boot: *guest
                  cloudInit: {}
                  ip: 10.77.0.11
                  stopTimeout: 10s
            """;
}
