package io.qfence.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Real signing keys for tests: GnuPG in a private home (batch generation, no passphrase) and OpenSSH keys from
 * {@code ssh-keygen}. Commits are signed by real {@code git commit -S}, so verification is tested against what people
 * actually push.
 */
public final class Signers implements AutoCloseable {

    private final Path gnupgHome;
    private final Path sshDir;

    private Signers(Path gnupgHome, Path sshDir) {
        this.gnupgHome = gnupgHome;
        this.sshDir = sshDir;
    }

    /** Keys live under {@code dir}; closing stops the gpg-agent that signing started there. */
    public static Signers in(Path dir) {
        Path gnupg = dir.resolve("gnupg");
        Path ssh = dir.resolve("ssh");
        try {
            Files.createDirectories(gnupg, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.createDirectories(ssh, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Signers(gnupg, ssh);
    }

    /** Generates an ed25519 OpenPGP signing key for {@code name <email>}; returns its fingerprint. */
    public String gpgKey(String name, String email) {
        gpg("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                name + " <" + email + ">", "ed25519", "sign", "never");
        String colons = gpg("--list-keys", "--with-colons", "<" + email + ">");
        return colons.lines().filter(l -> l.startsWith("fpr:")).findFirst()
                .map(l -> l.split(":")[9]).orElseThrow(() -> new AssertionError("no fingerprint for " + email));
    }

    /** Writes the armored public key of {@code fingerprint} to {@code file}, as an operator would trust it. */
    public void exportGpgKey(String fingerprint, Path file) {
        try {
            Files.writeString(file, gpg("--armor", "--export", fingerprint));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Generates an ed25519 SSH key; returns the private key's path (the public key is next to it, {@code .pub}). */
    public Path sshKey(String name) {
        Path key = sshDir.resolve(name);
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString());
        return key;
    }

    /** The allowed-signers line for {@code key} under {@code principal}, restricted to Git's namespace. */
    public static String allowedSignersLine(String principal, Path privateKey) {
        try {
            String pub = Files.readString(Path.of(privateKey + ".pub")).strip();
            String[] parts = pub.split(" ");
            return principal + " namespaces=\"git\" " + parts[0] + " " + parts[1] + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code git} that signs with this OpenPGP key. */
    public GitCli signingWithGpg(GitCli git, String fingerprint) {
        return git.withEnv("GNUPGHOME", gnupgHome.toString()).withConfig("gpg.format", "openpgp")
                .withConfig("user.signingkey", fingerprint);
    }

    /** {@code git} that signs with this SSH key ({@code ssh-keygen -Y sign}). */
    public GitCli signingWithSsh(GitCli git, Path privateKey) {
        return git.withConfig("gpg.format", "ssh").withConfig("user.signingkey", privateKey.toString());
    }

    private String gpg(String... args) {
        String[] command = new String[args.length + 3];
        command[0] = "env";
        command[1] = "GNUPGHOME=" + gnupgHome;
        command[2] = "gpg";
        System.arraycopy(args, 0, command, 3, args.length);
        return Witness.run(command);
    }

    @Override
    public void close() {
        Witness.tryRun("env", "GNUPGHOME=" + gnupgHome, "gpgconf", "--kill", "all");
    }
}
