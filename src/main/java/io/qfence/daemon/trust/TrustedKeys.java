package io.qfence.daemon.trust;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

/**
 * The keys whose signatures qfence trusts, read from one directory the operator controls (never from a user's GnuPG
 * keyring or {@code ~/.ssh}):
 * <ul>
 *   <li>{@code *.asc}, {@code *.gpg}, {@code *.pgp}: OpenPGP public keys, armored or binary ({@code gpg --export});</li>
 *   <li>{@code allowed_signers}: SSH public keys in OpenSSH's allowed-signers format, as for
 *       {@code git config gpg.ssh.allowedSignersFile} (e.g. {@code alice@example.org namespaces="git" ssh-ed25519 AAAA...}).</li>
 * </ul>
 * A directory with neither is refused: verification that trusts nobody would refuse everything, silently.
 */
public final class TrustedKeys {

    /** The file name of the SSH allowed-signers file inside the directory. */
    public static final String ALLOWED_SIGNERS = "allowed_signers";

    private final Path directory;
    private final PGPPublicKeyRingCollection openPgp;
    private final Optional<Path> allowedSigners;

    private TrustedKeys(Path directory, PGPPublicKeyRingCollection openPgp, Optional<Path> allowedSigners) {
        this.directory = directory;
        this.openPgp = openPgp;
        this.allowedSigners = allowedSigners;
    }

    public static TrustedKeys load(Path directory) throws TrustedKeysException {
        Path dir = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new TrustedKeysException(dir, "the trusted-keys directory does not exist", null);
        }
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        List<Path> keyFiles = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString().toLowerCase(Locale.ROOT);
                if (Files.isRegularFile(entry)
                        && (name.endsWith(".asc") || name.endsWith(".gpg") || name.endsWith(".pgp"))) {
                    keyFiles.add(entry);
                }
            }
        } catch (IOException e) {
            throw new TrustedKeysException(dir, "cannot list: " + e.getMessage(), e);
        }
        keyFiles.sort(null);
        for (Path file : keyFiles) {
            try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
                PGPPublicKeyRingCollection fromFile = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
                if (fromFile.size() == 0) {
                    throw new TrustedKeysException(file, "holds no OpenPGP public key", null);
                }
                fromFile.forEach(rings::add);
            } catch (IOException | PGPException | RuntimeException e) {
                throw new TrustedKeysException(file, "not an OpenPGP public key file (" + e.getMessage() + ")", e);
            }
        }
        Path signers = dir.resolve(ALLOWED_SIGNERS);
        Optional<Path> allowed = Optional.empty();
        if (Files.exists(signers)) {
            if (!Files.isRegularFile(signers) || !Files.isReadable(signers)) {
                throw new TrustedKeysException(signers, "is not a readable file", null);
            }
            allowed = Optional.of(signers);
        }
        if (rings.isEmpty() && allowed.isEmpty()) {
            throw new TrustedKeysException(dir, "holds no trusted key: expected OpenPGP public keys (*.asc, *.gpg) "
                    + "or an SSH " + ALLOWED_SIGNERS + " file", null);
        }
        try {
            return new TrustedKeys(dir, new PGPPublicKeyRingCollection(rings), allowed);
        } catch (IllegalArgumentException e) {
            throw new TrustedKeysException(dir, "holds the same OpenPGP key more than once (" + e.getMessage() + ")", e);
        }
    }

    public Path directory() {
        return directory;
    }

    /** Number of OpenPGP key rings (one per exported certificate). */
    public int openPgpKeyRings() {
        return openPgp.size();
    }

    public Optional<Path> allowedSigners() {
        return allowedSigners;
    }

    PGPPublicKeyRingCollection openPgp() {
        return openPgp;
    }
}
