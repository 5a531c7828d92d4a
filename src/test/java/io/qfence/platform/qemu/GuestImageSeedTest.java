package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.BootStatus;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNetns;
import io.qfence.testing.Witness;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real guest image ({@code bin/build-guest-image}) learns everything from a NoCloud seed: booted under TCG in a
 * private network namespace with a seed made here by hand (label cidata; meta-data, network-config v2 with a static
 * address matched by MAC, user-data with one account and its key), it takes the seed's hostname and addresses, lets
 * the seed's key in over SSH and refuses a password (even one the seed set) and any other key, reports cloud-init done,
 * and says so on its serial console in the line {@link ConsoleReadiness} reads. The base image's bytes do not change:
 * the guest writes to its own overlay.
 *
 * <p>Tagged {@code guest-image}: a boot takes minutes under TCG (and a first image build more), so it runs on request
 * ({@code mvn -o test -Dtest=GuestImageSeedTest -Dqfence.excludedGroups=production-kernel}), not in every {@code bin/test}.
 */
@Tag("guest-image")
@RequiresHost(tools = {"ip", "qemu-system-x86_64", "qemu-img", "genisoimage", "ssh", "ssh-keygen", "mmdebstrap"})
class GuestImageSeedTest {

    static final String MAC = "02:00:0a:4d:00:0b";
    static final String INSTANCE = "qf-app-1-seed-1";
    static Path image;

    @TempDir
    Path work;

    @BeforeAll
    static void buildOrReuseTheImage() throws Exception {
        Process p = new ProcessBuilder("bin/build-guest-image").redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(last).startsWith("guest-image: dir=");
        image = Path.of(last.substring("guest-image: dir=".length(), last.indexOf(' ', "guest-image: dir=".length())));
    }

    private Path seed(String publicKey) throws IOException {
        Path dir = Files.createDirectories(work.resolve("seed"));
        Files.writeString(dir.resolve("meta-data"), "instance-id: " + INSTANCE + "\nlocal-hostname: qf-app-1\n");
        Files.writeString(dir.resolve("network-config"), String.join("\n",
                "version: 2",
                "ethernets:",
                "  nic0:",
                "    match:",
                "      macaddress: \"" + MAC + "\"",
                "    set-name: eth0",
                "    addresses: [10.77.0.11/24, \"fd00:77::b/64\"]",
                "    routes:",
                "      - to: 0.0.0.0/0", // cloud-init 22.4 refuses "to: default"
                "        via: 10.77.0.1",
                ""));
        Files.writeString(dir.resolve("user-data"), String.join("\n",
                "#cloud-config",
                "users:",
                "  - name: alice",
                "    shell: /bin/bash",
                "    ssh_authorized_keys:",
                "      - " + publicKey,
                "ssh_pwauth: false",
                "chpasswd:",
                "  expire: false",
                "  users:",
                "    - {name: alice, password: a-password-ssh-must-refuse, type: text}",
                "final_message: \"qfence-ready instance-id=" + INSTANCE + " boot-seconds=$uptime\"",
                ""));
        Path iso = work.resolve("seed.iso");
        Witness.run("genisoimage", "-quiet", "-output", iso.toString(), "-volid", "cidata", "-joliet", "-rock",
                dir.resolve("user-data").toString(), dir.resolve("meta-data").toString(), dir.resolve("network-config").toString());
        return iso;
    }

    private Witness.Result ssh(TestNetns ns, String... extraAndCommand) {
        List<String> argv = new ArrayList<>(List.of("ssh", "-o", "UserKnownHostsFile=" + work.resolve("known_hosts"),
                "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30"));
        argv.addAll(List.of(extraAndCommand));
        return Witness.tryRun(ns.exec(argv.toArray(String[]::new)));
    }

    @Test
    void theImageTakesItsNameAddressesAndKeysFromTheSeedAndSaysWhenItIsReady() throws Exception {
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", work.resolve("key").toString());
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", work.resolve("stranger").toString());
        Path iso = seed(Files.readString(work.resolve("key.pub")).strip());
        Path base = image.resolve("disk.qcow2");
        String baseBefore = Witness.run("sha256sum", base.toString());
        Path overlay = work.resolve("overlay.qcow2");
        Witness.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", overlay.toString());
        Path serial = work.resolve("serial.log");
        try (TestNetns ns = TestNetns.create("guestimg")) {
            Witness.inNetns(ns.name(), "ip", "link", "add", "qfb-img", "type", "bridge");
            Witness.inNetns(ns.name(), "ip", "addr", "add", "10.77.0.1/24", "dev", "qfb-img");
            Witness.inNetns(ns.name(), "ip", "link", "set", "qfb-img", "up");
            Witness.inNetns(ns.name(), "ip", "tuntap", "add", "dev", "qft-img", "mode", "tap");
            Witness.inNetns(ns.name(), "ip", "link", "set", "qft-img", "master", "qfb-img", "up");
            // The base is opened read-only as the overlay's explicit backing node: the guest cannot write it.
            Process qemu = new ProcessBuilder(ns.exec("qemu-system-x86_64", "-name", "guest-image-seed", "-accel", "tcg", "-machine", "q35",
                    "-cpu", "max", "-smp", "1", "-m", "256", "-nodefaults", "-no-user-config", "-display", "none",
                    "-chardev", "file,id=s0,path=" + serial, "-serial", "chardev:s0",
                    "-kernel", image.resolve("vmlinuz").toString(), "-initrd", image.resolve("initrd.img").toString(),
                    "-append", "root=LABEL=qfguest-root rw console=ttyS0 quiet",
                    "-blockdev", "driver=file,filename=" + base + ",node-name=base-file,read-only=on",
                    "-blockdev", "driver=qcow2,file=base-file,node-name=base,read-only=on",
                    "-blockdev", "driver=file,filename=" + overlay + ",node-name=overlay-file",
                    "-blockdev", "driver=qcow2,file=overlay-file,backing=base,node-name=root",
                    "-device", "virtio-blk-pci,drive=root",
                    "-blockdev", "driver=file,filename=" + iso + ",node-name=seed-file,read-only=on",
                    "-blockdev", "driver=raw,file=seed-file,node-name=seed,read-only=on",
                    "-device", "virtio-blk-pci,drive=seed",
                    "-netdev", "tap,id=n0,ifname=qft-img,script=no,downscript=no", "-device", "virtio-net-pci,netdev=n0,mac=" + MAC))
                    .redirectErrorStream(true).redirectOutput(work.resolve("qemu.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                long start = System.nanoTime();
                BootStatus status = new BootStatus.Booting();
                // TCG on a shared, loaded machine: minutes, not seconds (measured: 1 to 5 minutes to cloud-init done).
                while (!(status instanceof BootStatus.Finished) && System.nanoTime() - start < Duration.ofMinutes(15).toNanos() && qemu.isAlive()) {
                    Thread.sleep(2000);
                    status = ConsoleReadiness.read(serial, Optional.of(INSTANCE));
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("guest image: ready after %.1f s (host), %s; load %s%n", seconds, status,
                        Files.readString(Path.of("/proc/loadavg")).strip());
                assertThat(status).as("console: %s", tail(serial)).isInstanceOf(BootStatus.Finished.class);

                Witness.Result facts = ssh(ns, "-i", work.resolve("key").toString(), "alice@10.77.0.11",
                        "hostname; ip -br addr show eth0; cloud-init status");
                assertThat(facts.exitCode()).as(facts.stderr()).isZero();
                assertThat(facts.stdout().lines().toList()).hasSize(3);
                assertThat(facts.stdout().lines().toList().get(0)).isEqualTo("qf-app-1");
                assertThat(facts.stdout().lines().toList().get(1)).matches("eth0 +UP +10\\.77\\.0\\.11/24 fd00:77::b/64 fe80::.*");
                assertThat(facts.stdout().lines().toList().get(2)).isEqualTo("status: done");

                Witness.Result password = ssh(ns, "-o", "PreferredAuthentications=password,keyboard-interactive",
                        "-o", "PubkeyAuthentication=no", "alice@10.77.0.11", "true");
                assertThat(password.exitCode()).isEqualTo(255);
                assertThat(password.stderr()).contains("Permission denied (publickey)");
                Witness.Result stranger = ssh(ns, "-i", work.resolve("stranger").toString(), "-o", "IdentitiesOnly=yes", "alice@10.77.0.11", "true");
                assertThat(stranger.exitCode()).isEqualTo(255);
                assertThat(stranger.stderr()).contains("Permission denied (publickey)");
                Witness.Result root = ssh(ns, "-i", work.resolve("key").toString(), "root@10.77.0.11", "true");
                assertThat(root.exitCode()).isEqualTo(255);
            } finally {
                qemu.destroy();
                if (!qemu.waitFor(30, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly().waitFor();
                }
            }
        }
        assertThat(Witness.run("sha256sum", base.toString())).isEqualTo(baseBefore);
        assertThat(Files.size(overlay)).isGreaterThan(1024 * 1024);
    }

    private static String tail(Path file) throws IOException {
        if (!Files.exists(file)) {
            return "(no console log)";
        }
        String all = Files.readString(file, StandardCharsets.ISO_8859_1);
        return all.substring(Math.max(0, all.length() - 3000));
    }
}
