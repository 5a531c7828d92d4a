package io.qfence.daemon.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.CommitInfo;
import io.qfence.daemon.git.Person;
import io.qfence.daemon.trust.SignatureCheck.Refused;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and foreign signatures, on synthetic commit objects; real signatures are in RevisionAdmissionTest. */
class CommitSignatureVerifierTest {

    @TempDir
    Path tmp;

    private CommitSignatureVerifier verifier;
    private KeyPair trustedSsh;

    @BeforeEach
    void trustOneSshKey() throws Exception {
        trustedSsh = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);
        Files.writeString(tmp.resolve(TrustedKeys.ALLOWED_SIGNERS),
                "bob@example.org namespaces=\"git\" " + PublicKeyEntry.toString(trustedSsh.getPublic()) + "\n");
        verifier = new CommitSignatureVerifier(TrustedKeys.load(tmp));
    }

    @Test
    void aCommitWithoutSignatureIsUnsigned() {
        assertThat(verifier.verify(commit(null)))
                .isEqualTo(new Refused(RefusalReason.UNSIGNED, "the commit carries no signature"));
    }

    @Test
    void garbageInsideAnOpenPgpArmorIsABadSignature() {
        SignatureCheck check = verifier.verify(commit("-----BEGIN PGP SIGNATURE-----\n\nbm90IGEgc2lnbmF0dXJl\n"
                + "-----END PGP SIGNATURE-----"));

        assertThat(check).isInstanceOf(Refused.class);
        assertThat(((Refused) check).reason()).isEqualTo(RefusalReason.BAD_SIGNATURE);
    }

    @Test
    void anSshSignatureForAnotherNamespaceIsABadSignature() {
        SignatureCheck check = verifier.verify(commit(sshsig("file", trustedSsh)));

        assertThat(check).isEqualTo(new Refused(RefusalReason.BAD_SIGNATURE,
                "unreadable SSH signature (signed for namespace \"file\", not \"git\")"));
    }

    @Test
    void anSshSignatureByATrustedKeyThatDoesNotVerifyIsTampered() {
        SignatureCheck check = verifier.verify(commit(sshsig("git", trustedSsh)));

        assertThat(check).isInstanceOf(Refused.class);
        assertThat(((Refused) check).reason()).isEqualTo(RefusalReason.TAMPERED);
        assertThat(((Refused) check).detail()).contains("(bob@example.org) does not verify");
    }

    @Test
    void anX509SignatureIsNotSupported() {
        assertThat(verifier.verify(commit("-----BEGIN SIGNED MESSAGE-----\nMIIB\n-----END SIGNED MESSAGE-----")))
                .isEqualTo(new Refused(RefusalReason.BAD_SIGNATURE,
                        "the signature is neither OpenPGP nor SSH (x509 signatures are not supported)"));
    }

    @Test
    void aDirectoryWithOnlyAnAllowedSignersFileTrustsNoOpenPgpKey() throws Exception {
        Path sshOnly = Files.createDirectory(tmp.resolve("ssh-only"));
        Files.copy(tmp.resolve(TrustedKeys.ALLOWED_SIGNERS), sshOnly.resolve(TrustedKeys.ALLOWED_SIGNERS));
        assertThat(TrustedKeys.load(sshOnly).openPgpKeyRings()).isZero();
    }

    @Test
    void aTrustedKeysDirectoryMustHoldKeys() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> TrustedKeys.load(empty))
                .isInstanceOf(TrustedKeysException.class)
                .hasMessage(empty + ": holds no trusted key: expected OpenPGP public keys (*.asc, *.gpg) or an SSH "
                        + "allowed_signers file");
        assertThatThrownBy(() -> TrustedKeys.load(tmp.resolve("missing")))
                .hasMessage(tmp.resolve("missing") + ": the trusted-keys directory does not exist");
        Path bad = Files.createDirectory(tmp.resolve("bad"));
        Files.writeString(bad.resolve("alice.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n"
                + "-----END PGP PUBLIC KEY BLOCK-----\n");
        assertThatThrownBy(() -> TrustedKeys.load(bad))
                .isInstanceOf(TrustedKeysException.class)
                .hasMessageStartingWith(bad.resolve("alice.asc") + ": ");
    }

    /** An SSHSIG blob with a real envelope and a signature field that signs nothing in particular. */
    private static String sshsig(String namespace, KeyPair key) {
        ByteArrayBuffer blob = new ByteArrayBuffer();
        blob.putRawBytes("SSHSIG".getBytes(StandardCharsets.US_ASCII));
        blob.putUInt(1);
        blob.putPublicKey(key.getPublic());
        blob.putString(namespace);
        blob.putString("");
        blob.putString("sha512");
        ByteArrayBuffer sig = new ByteArrayBuffer();
        sig.putString("ecdsa-sha2-nistp256");
        sig.putBytes(new byte[72]);
        blob.putBytes(sig.getCompactData());
        String b64 = Base64.getMimeEncoder(70, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(blob.getCompactData());
        return "-----BEGIN SSH SIGNATURE-----\n" + b64 + "\n-----END SSH SIGNATURE-----";
    }

    private static CommitInfo commit(String signature) {
        StringBuilder raw = new StringBuilder("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
                + "author Bob Builder <bob@example.org> 1700000000 +0000\n"
                + "committer Bob Builder <bob@example.org> 1700000000 +0000\n");
        if (signature != null) {
            raw.append("gpgsig ").append(signature.replace("\n", "\n ")).append('\n');
        }
        raw.append("\nchange\n");
        Person bob = new Person("Bob Builder", "bob@example.org");
        return new CommitInfo(CommitId.of("0123456789abcdef0123456789abcdef01234567"), List.of(), bob, bob,
                Instant.ofEpochSecond(1_700_000_000L), "change", raw.toString().getBytes(StandardCharsets.UTF_8));
    }
}
