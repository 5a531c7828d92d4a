package io.qfence.daemon.trust;

import io.qfence.daemon.git.CommitInfo;
import io.qfence.daemon.trust.SignatureCheck.Refused;
import io.qfence.daemon.trust.SignatureCheck.SignatureFormat;
import io.qfence.daemon.trust.SignatureCheck.Trusted;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.bouncycastle.bcpg.sig.IssuerFingerprint;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.GpgConfig;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.signing.ssh.SigningKeyDatabase;
import org.eclipse.jgit.signing.ssh.SshSignatureVerifierFactory;
import org.eclipse.jgit.signing.ssh.VerificationException;
import org.eclipse.jgit.util.Base64;

/**
 * Checks one commit's signature against {@link TrustedKeys}: OpenPGP with BouncyCastle against the keys in the
 * directory, SSH with JGit's own SSH signature verifier against the directory's allowed-signers file.
 *
 * <p>The reason is decided in a fixed order, so a message says the most useful thing: no signature
 * ({@link RefusalReason#UNSIGNED}); a signature that cannot be read ({@link RefusalReason#BAD_SIGNATURE}); a key that
 * is not trusted ({@link RefusalReason#UNTRUSTED_KEY}); and only then the cryptographic check, whose failure means
 * the commit changed after a trusted key signed it ({@link RefusalReason#TAMPERED}).
 */
public final class CommitSignatureVerifier {

    private static final String PGP_ARMOR = "-----BEGIN PGP SIGNATURE-----";
    private static final String SSH_ARMOR = "-----BEGIN SSH SIGNATURE-----";
    private static final String SSH_ARMOR_END = "-----END SSH SIGNATURE-----";
    private static final byte[] SSHSIG_MAGIC = "SSHSIG".getBytes(StandardCharsets.US_ASCII);
    private static final String SSH_NAMESPACE = "git";
    private static final Set<String> SSH_HASHES = Set.of("sha256", "sha512");

    private final TrustedKeys keys;
    private final GpgConfig sshConfig;
    /** JGit's SSH verifier wants a repository for resolving relative paths; ours are absolute, so any will do. */
    private final Repository placeholder = new InMemoryRepository(new DfsRepositoryDescription("qfence-trust"));
    private final org.eclipse.jgit.lib.SignatureVerifier sshVerifier = new SshSignatureVerifierFactory().create();

    public CommitSignatureVerifier(TrustedKeys keys) {
        this.keys = keys;
        Config config = new Config();
        keys.allowedSigners().ifPresent(file -> config.setString("gpg", "ssh", "allowedSignersFile", file.toString()));
        this.sshConfig = new GpgConfig(config);
    }

    public TrustedKeys keys() {
        return keys;
    }

    public SignatureCheck verify(CommitInfo commit) {
        SignedCommit split;
        try {
            split = SignedCommit.split(commit.raw());
        } catch (IllegalArgumentException e) {
            return new Refused(RefusalReason.BAD_SIGNATURE, e.getMessage());
        }
        if (split.signature().isEmpty()) {
            return new Refused(RefusalReason.UNSIGNED, "the commit carries no signature");
        }
        byte[] signature = split.signature().get();
        String text = new String(signature, StandardCharsets.US_ASCII).strip();
        if (text.startsWith(PGP_ARMOR)) {
            return verifyOpenPgp(split.payload(), signature);
        }
        if (text.startsWith(SSH_ARMOR)) {
            return verifySsh(commit, split.payload(), signature, text);
        }
        return new Refused(RefusalReason.BAD_SIGNATURE,
                "the signature is neither OpenPGP nor SSH (x509 signatures are not supported)");
    }

    private SignatureCheck verifyOpenPgp(byte[] payload, byte[] armored) {
        PGPSignature signature;
        try {
            signature = readSingleSignature(armored);
        } catch (IOException | PGPException | RuntimeException e) {
            return new Refused(RefusalReason.BAD_SIGNATURE, "unreadable OpenPGP signature (" + e.getMessage() + ")");
        }
        if (signature == null) {
            return new Refused(RefusalReason.BAD_SIGNATURE, "the OpenPGP block holds no single signature");
        }
        if (signature.getSignatureType() != PGPSignature.BINARY_DOCUMENT
                && signature.getSignatureType() != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
            return new Refused(RefusalReason.BAD_SIGNATURE, "the OpenPGP signature is of type "
                    + signature.getSignatureType() + ", not a document signature");
        }
        Optional<PGPPublicKey> key = findKey(signature);
        String keyName = issuerName(signature);
        if (key.isEmpty()) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "OpenPGP key " + keyName + " is not among the trusted keys in "
                    + keys.directory());
        }
        PGPPublicKey publicKey = key.get();
        String fingerprint = HexFormat.of().withUpperCase().formatHex(publicKey.getFingerprint());
        if (publicKey.hasRevocation()) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "OpenPGP key " + fingerprint + " is revoked");
        }
        long validSeconds = publicKey.getValidSeconds();
        if (validSeconds > 0 && signature.getCreationTime().after(
                new Date(publicKey.getCreationTime().getTime() + validSeconds * 1000))) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "OpenPGP key " + fingerprint + " had expired when it signed");
        }
        try {
            signature.init(new BcPGPContentVerifierBuilderProvider(), publicKey);
            signature.update(payload);
            if (!signature.verify()) {
                return new Refused(RefusalReason.TAMPERED, "the signature by trusted OpenPGP key " + fingerprint
                        + " does not verify");
            }
        } catch (PGPException | RuntimeException e) {
            return new Refused(RefusalReason.BAD_SIGNATURE, "cannot check the OpenPGP signature by " + fingerprint
                    + " (" + e.getMessage() + ")");
        }
        return new Trusted(SignatureFormat.OPENPGP, fingerprint);
    }

    private static PGPSignature readSingleSignature(byte[] armored) throws IOException, PGPException {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(armored))) {
            Object object = new BcPGPObjectFactory(in).nextObject();
            if (object instanceof PGPCompressedData compressed) {
                object = new BcPGPObjectFactory(compressed.getDataStream()).nextObject();
            }
            if (object instanceof PGPSignatureList list && list.size() == 1) {
                return list.get(0);
            }
            return null;
        }
    }

    /** The signing key, by issuer fingerprint when the signature names one, else by key id. */
    private Optional<PGPPublicKey> findKey(PGPSignature signature) {
        IssuerFingerprint issuer = signature.getHashedSubPackets() == null ? null
                : signature.getHashedSubPackets().getIssuerFingerprint();
        if (issuer != null) {
            PGPPublicKey byFingerprint = keys.openPgp().getPublicKey(issuer.getFingerprint());
            if (byFingerprint != null) {
                return Optional.of(byFingerprint);
            }
            return Optional.empty();
        }
        return Optional.ofNullable(keys.openPgp().getPublicKey(signature.getKeyID()));
    }

    private static String issuerName(PGPSignature signature) {
        IssuerFingerprint issuer = signature.getHashedSubPackets() == null ? null
                : signature.getHashedSubPackets().getIssuerFingerprint();
        if (issuer != null) {
            return HexFormat.of().withUpperCase().formatHex(issuer.getFingerprint());
        }
        return String.format(Locale.ROOT, "%016X", signature.getKeyID());
    }

    private SignatureCheck verifySsh(CommitInfo commit, byte[] payload, byte[] signature, String armored) {
        if (keys.allowedSigners().isEmpty()) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "the commit is SSH-signed and " + keys.directory()
                    + " has no " + TrustedKeys.ALLOWED_SIGNERS + " file");
        }
        PublicKey key;
        try {
            key = readSshSigner(armored);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return new Refused(RefusalReason.BAD_SIGNATURE, "unreadable SSH signature (" + e.getMessage() + ")");
        }
        String fingerprint = KeyUtils.getFingerPrint(key);
        String principal;
        try {
            PersonIdent committer = new PersonIdent(commit.committer().name(), commit.committer().email(),
                    commit.commitTime(), java.time.ZoneOffset.UTC);
            principal = SigningKeyDatabase.getInstance().isAllowed(placeholder, sshConfig, key, SSH_NAMESPACE, committer);
        } catch (VerificationException e) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "SSH key " + fingerprint + ": " + e.getMessage());
        } catch (IOException e) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "cannot read " + keys.allowedSigners().get() + " ("
                    + e.getMessage() + ")");
        }
        if (principal == null || principal.isEmpty()) {
            return new Refused(RefusalReason.UNTRUSTED_KEY, "SSH key " + fingerprint + " is not in "
                    + keys.allowedSigners().get() + " for namespace \"git\"");
        }
        org.eclipse.jgit.lib.SignatureVerifier.SignatureVerification result;
        try {
            result = sshVerifier.verify(placeholder, sshConfig, payload, signature);
        } catch (IOException | RuntimeException e) {
            return new Refused(RefusalReason.BAD_SIGNATURE, "cannot check the SSH signature by " + fingerprint
                    + " (" + e.getMessage() + ")");
        }
        if (result == null || !result.verified()) {
            return new Refused(RefusalReason.TAMPERED, "the signature by trusted SSH key " + fingerprint + " ("
                    + principal + ") does not verify" + (result == null || result.message() == null ? ""
                    : ": " + result.message()));
        }
        return new Trusted(SignatureFormat.SSH, fingerprint + " (" + principal + ")");
    }

    /**
     * Reads the envelope of an SSHSIG blob (OpenSSH's PROTOCOL.sshsig) up to the signature, to learn the signing key
     * before any cryptography: magic, version 1, public key, namespace "git", reserved, a SHA-2 hash name.
     */
    private static PublicKey readSshSigner(String armored) {
        int start = armored.indexOf(SSH_ARMOR) + SSH_ARMOR.length();
        int end = armored.indexOf(SSH_ARMOR_END);
        if (end < start) {
            throw new IllegalArgumentException("no SSH signature armor end");
        }
        byte[] blob = Base64.decode(armored.substring(start, end).replaceAll("\\s+", ""));
        if (blob.length < SSHSIG_MAGIC.length) {
            throw new IllegalArgumentException("too short");
        }
        for (int i = 0; i < SSHSIG_MAGIC.length; i++) {
            if (blob[i] != SSHSIG_MAGIC[i]) {
                throw new IllegalArgumentException("not an SSHSIG blob");
            }
        }
        ByteArrayBuffer buffer = new ByteArrayBuffer(blob, SSHSIG_MAGIC.length, blob.length - SSHSIG_MAGIC.length);
        long version = buffer.getUInt();
        if (version != 1) {
            throw new IllegalArgumentException("SSHSIG version " + version + " is not supported");
        }
        PublicKey key;
        try {
            key = buffer.getPublicKey();
        } catch (org.apache.sshd.common.SshException e) {
            throw new IllegalArgumentException("unreadable public key: " + e.getMessage(), e);
        }
        String namespace = buffer.getString();
        if (!SSH_NAMESPACE.equals(namespace)) {
            throw new IllegalArgumentException("signed for namespace \"" + namespace + "\", not \"git\"");
        }
        buffer.getString(); // reserved
        String hash = buffer.getString();
        if (!SSH_HASHES.contains(hash)) {
            throw new IllegalArgumentException("hash algorithm \"" + hash + "\" is not supported");
        }
        return key;
    }
}
