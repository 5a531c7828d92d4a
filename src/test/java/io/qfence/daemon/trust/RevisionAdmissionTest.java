package io.qfence.daemon.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.Person;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.trust.Admission.Admitted;
import io.qfence.daemon.trust.Admission.HistoryRewriteDetected;
import io.qfence.daemon.trust.Admission.SignaturesRefused;
import io.qfence.testing.GitCli;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Signers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signature and history checks on commits made and signed by the real git, gpg and ssh-keygen. Alice's OpenPGP key
 * and Bob's SSH key are trusted; Mallory's keys of both kinds are not.
 */
@RequiresHost(tools = {"git", "gpg", "gpg-agent", "gpgconf", "ssh-keygen"})
class RevisionAdmissionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private Signers signers;
    private GitCli origin;
    private GitCli alice;
    private GitCli bob;
    private GitCli malloryGpg;
    private GitCli mallorySsh;
    private GitCli unsigned;
    private GitMirror mirror;
    private RevisionAdmission admission;

    @BeforeEach
    void setUp() throws Exception {
        signers = Signers.in(tmp.resolve("keys"));
        Path trusted = Files.createDirectory(tmp.resolve("trusted"));
        String aliceKey = signers.gpgKey("Alice Admin", "alice@example.org");
        String malloryKey = signers.gpgKey("Mallory Mole", "mallory@example.org");
        signers.exportGpgKey(aliceKey, trusted.resolve("alice.asc"));
        Path bobKey = signers.sshKey("bob");
        Path mallorySshKey = signers.sshKey("mallory");
        Files.writeString(trusted.resolve(TrustedKeys.ALLOWED_SIGNERS), Signers.allowedSignersLine("bob@example.org", bobKey));

        origin = GitCli.init(tmp.resolve("origin"));
        alice = signers.signingWithGpg(origin.as("Alice Admin", "alice@example.org"), aliceKey);
        bob = signers.signingWithSsh(origin.as("Bob Builder", "bob@example.org"), bobKey);
        malloryGpg = signers.signingWithGpg(origin.as("Mallory Mole", "mallory@example.org"), malloryKey);
        mallorySsh = signers.signingWithSsh(origin.as("Mallory Mole", "mallory@example.org"), mallorySshKey);
        unsigned = origin.as("Uma Unsigned", "uma@example.org");

        mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime);
        admission = RevisionAdmission.verifyingSignatures(new CommitSignatureVerifier(TrustedKeys.load(trusted)));
    }

    @AfterEach
    void tearDown() {
        if (mirror != null) {
            mirror.close();
        }
        if (signers != null) {
            signers.close();
        }
    }

    @Test
    void commitsSignedByTrustedOpenPgpAndSshKeysAreAdmitted() throws Exception {
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        alice.commitFile("a.yaml", "a: 2\n", "alice again", "-S");
        bob.commitFile("b.yaml", "b: 1\n", "bob's change", "-S");
        CommitId head = fetch();

        Admission result = admission.admit(mirror, Optional.of(applied), head);

        assertThat(result).isEqualTo(new Admitted(head, 2, false));
    }

    @Test
    void anUnsignedCommitInTheMiddleIsRefusedByIdAndAuthor() throws Exception {
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        alice.commitFile("a.yaml", "a: 2\n", "signed before", "-S");
        CommitId sneaky = CommitId.of(unsigned.commitFile("a.yaml", "a: 3\n", "open everything"));
        bob.commitFile("b.yaml", "b: 1\n", "signed after", "-S");
        CommitId head = fetch();

        Admission result = admission.admit(mirror, Optional.of(applied), head);

        assertThat(result).isInstanceOf(SignaturesRefused.class);
        SignaturesRefused refused = (SignaturesRefused) result;
        assertThat(refused.refusals()).singleElement().satisfies(r -> {
            assertThat(r.commit()).isEqualTo(sneaky);
            assertThat(r.author()).isEqualTo(new Person("Uma Unsigned", "uma@example.org"));
            assertThat(r.reason()).isEqualTo(RefusalReason.UNSIGNED);
        });
        assertThat(result.message()).isEqualTo("refusing " + head.abbreviated() + ": commit " + sneaky.abbreviated()
                + " \"open everything\" by Uma Unsigned <uma@example.org>: unsigned (the commit carries no "
                + "signature); nothing applied");
    }

    @Test
    void onlyTheHeadBeingSignedIsNotEnough() throws Exception {
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        CommitId first = CommitId.of(unsigned.commitFile("a.yaml", "a: 2\n", "unsigned 1"));
        unsigned.commitFile("a.yaml", "a: 3\n", "unsigned 2");
        alice.commitFile("a.yaml", "a: 4\n", "signed head", "-S");
        CommitId head = fetch();

        Admission result = admission.admit(mirror, Optional.of(applied), head);

        assertThat(result).isInstanceOf(SignaturesRefused.class);
        assertThat(((SignaturesRefused) result).refusals()).extracting(CommitRefusal::reason)
                .containsExactly(RefusalReason.UNSIGNED, RefusalReason.UNSIGNED);
        assertThat(result.message()).contains("commit " + first.abbreviated() + " \"unsigned 1\"")
                .contains("and 1 more untrusted commit; nothing applied");
    }

    @Test
    void commitsSignedByUntrustedKeysAreRefused() throws Exception {
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        CommitId byGpg = CommitId.of(malloryGpg.commitFile("a.yaml", "a: 2\n", "mallory gpg", "-S"));
        CommitId bySsh = CommitId.of(mallorySsh.commitFile("a.yaml", "a: 3\n", "mallory ssh", "-S"));
        CommitId head = fetch();

        Admission result = admission.admit(mirror, Optional.of(applied), head);

        assertThat(result).isInstanceOf(SignaturesRefused.class);
        assertThat(((SignaturesRefused) result).refusals()).satisfiesExactly(
                gpg -> {
                    assertThat(gpg.commit()).isEqualTo(byGpg);
                    assertThat(gpg.author().name()).isEqualTo("Mallory Mole");
                    assertThat(gpg.reason()).isEqualTo(RefusalReason.UNTRUSTED_KEY);
                    assertThat(gpg.detail()).startsWith("OpenPGP key ").endsWith(" is not among the trusted keys in "
                            + tmp.resolve("trusted"));
                },
                ssh -> {
                    assertThat(ssh.commit()).isEqualTo(bySsh);
                    assertThat(ssh.reason()).isEqualTo(RefusalReason.UNTRUSTED_KEY);
                    assertThat(ssh.detail()).startsWith("SSH key SHA256:").contains("is not in");
                });
    }

    @Test
    void aCommitChangedAfterSigningIsRefusedAsTampered() throws Exception {
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        CommitId gpgSigned = CommitId.of(alice.commitFile("a.yaml", "a: 2\n", "harmless", "-S"));
        CommitId gpgTampered = tamper(gpgSigned, "harmless", "harmful");
        origin.run("update-ref", "refs/heads/main", gpgTampered.hex());
        origin.run("reset", "-q", "--hard", "main");
        CommitId sshSigned = CommitId.of(bob.commitFile("b.yaml", "b: 1\n", "fine", "-S"));
        CommitId sshTampered = tamper(sshSigned, "fine", "fire");
        origin.run("update-ref", "refs/heads/main", sshTampered.hex());
        CommitId head = fetch();

        Admission result = admission.admit(mirror, Optional.of(applied), head);

        assertThat(result).isInstanceOf(SignaturesRefused.class);
        assertThat(((SignaturesRefused) result).refusals()).satisfiesExactly(
                gpg -> {
                    assertThat(gpg.commit()).isEqualTo(gpgTampered);
                    assertThat(gpg.reason()).isEqualTo(RefusalReason.TAMPERED);
                    assertThat(gpg.detail()).startsWith("the signature by trusted OpenPGP key ");
                },
                ssh -> {
                    assertThat(ssh.commit()).isEqualTo(sshTampered);
                    assertThat(ssh.reason()).isEqualTo(RefusalReason.TAMPERED);
                    assertThat(ssh.detail()).contains("(bob@example.org) does not verify");
                });
        // the untampered original verifies: it is the change that is refused, not the key
        origin.run("branch", "original", gpgSigned.hex());
        mirror.fetch("original", TIMEOUT);
        CommitSignatureVerifier verifier = new CommitSignatureVerifier(TrustedKeys.load(tmp.resolve("trusted")));
        assertThat(verifier.verify(mirror.resolve(gpgSigned.hex()))).isInstanceOf(SignatureCheck.Trusted.class);
    }

    @Test
    void anUnsignedCommitBroughtInByASignedMergeIsRefused() throws Exception {
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        origin.run("checkout", "-q", "-b", "topic");
        CommitId topic = CommitId.of(unsigned.commitFile("t.yaml", "t: 1\n", "topic work"));
        origin.run("checkout", "-q", "main");
        alice.commitFile("a.yaml", "a: 2\n", "mainline", "-S");
        alice.run("merge", "-q", "--no-ff", "-S", "-m", "merge topic", "topic");
        CommitId head = fetch();

        Admission result = admission.admit(mirror, Optional.of(applied), head);

        assertThat(result).isInstanceOf(SignaturesRefused.class);
        assertThat(((SignaturesRefused) result).refusals()).extracting(CommitRefusal::commit).containsExactly(topic);
    }

    @Test
    void theFirstRunVerifiesTheWholeHistory() throws Exception {
        CommitId root = CommitId.of(unsigned.commitFile("a.yaml", "a: 0\n", "before signing was required"));
        alice.commitFile("a.yaml", "a: 1\n", "signed", "-S");
        CommitId head = fetch();

        assertThat(admission.admit(mirror, Optional.empty(), head)).isInstanceOf(SignaturesRefused.class);
        // seeding the last applied revision with a reviewed commit starts verification there
        assertThat(admission.admit(mirror, Optional.of(root), head)).isEqualTo(new Admitted(head, 1, false));
    }

    @Test
    void anUnchangedHeadIsAdmittedWithNothingToVerify() throws Exception {
        CommitId head = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "applied", "-S"));
        fetch();

        assertThat(admission.admit(mirror, Optional.of(head), head)).isEqualTo(new Admitted(head, 0, false));
    }

    @Test
    void aForcePushThatDropsTheAppliedRevisionIsRefusedUnlessAllowed() throws Exception {
        CommitId base = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "base", "-S"));
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 2\n", "applied", "-S"));
        fetch();
        origin.run("reset", "-q", "--hard", base.hex());
        alice.commitFile("a.yaml", "a: 3\n", "rewritten", "-S");
        CommitId head = fetch();

        Admission refused = admission.admit(mirror, Optional.of(applied), head);
        Admission allowed = admission.allowingRewrite(true).admit(mirror, Optional.of(applied), head);

        assertThat(refused).isEqualTo(new HistoryRewriteDetected(applied, head));
        assertThat(refused.message()).isEqualTo("history rewritten: the last applied revision " + applied.abbreviated()
                + " is not in the history of the new head " + head.abbreviated()
                + " (force-push?); nothing applied; allow rewrites (--allow-rewrite) to apply it");
        assertThat(allowed).isEqualTo(new Admitted(head, 1, true));
    }

    @Test
    void anAllowedRewriteStillVerifiesTheNewCommits() throws Exception {
        CommitId base = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "base", "-S"));
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 2\n", "applied", "-S"));
        fetch();
        origin.run("reset", "-q", "--hard", base.hex());
        CommitId unsignedRewrite = CommitId.of(unsigned.commitFile("a.yaml", "a: 3\n", "rewritten, unsigned"));
        CommitId head = fetch();

        Admission result = admission.allowingRewrite(true).admit(mirror, Optional.of(applied), head);

        assertThat(result).isInstanceOf(SignaturesRefused.class);
        assertThat(((SignaturesRefused) result).refusals()).extracting(CommitRefusal::commit)
                .containsExactly(unsignedRewrite);
    }

    @Test
    void aRollbackOfTheBranchIsAHistoryRewriteToo() throws Exception {
        CommitId base = CommitId.of(alice.commitFile("a.yaml", "a: 1\n", "base", "-S"));
        CommitId applied = CommitId.of(alice.commitFile("a.yaml", "a: 2\n", "applied", "-S"));
        fetch();
        origin.run("reset", "-q", "--hard", base.hex());
        CommitId head = fetch();

        assertThat(RevisionAdmission.historyOnly().admit(mirror, Optional.of(applied), head))
                .isEqualTo(new HistoryRewriteDetected(applied, head));
        assertThat(RevisionAdmission.historyOnly().allowingRewrite(true).admit(mirror, Optional.of(applied), head))
                .isEqualTo(new Admitted(head, 0, true));
    }

    @Test
    void withoutSignatureVerificationUnsignedCommitsAreAdmitted() throws Exception {
        CommitId applied = CommitId.of(unsigned.commitFile("a.yaml", "a: 1\n", "one"));
        unsigned.commitFile("a.yaml", "a: 2\n", "two");
        CommitId head = fetch();

        assertThat(RevisionAdmission.historyOnly().admit(mirror, Optional.of(applied), head))
                .isEqualTo(new Admitted(head, 0, false));
    }

    private CommitId fetch() throws Exception {
        return mirror.fetch("main", TIMEOUT).head();
    }

    /** Rewrites one word of a commit's message, keeping its signature header, and stores the result. */
    private CommitId tamper(CommitId commit, String from, String to) {
        String raw = origin.run("cat-file", "commit", commit.hex());
        String changed = raw.replace("\n\n" + from + "\n", "\n\n" + to + "\n");
        assertThat(changed).isNotEqualTo(raw).contains("gpgsig ");
        return CommitId.of(origin.runWithInput(changed.getBytes(StandardCharsets.UTF_8),
                "hash-object", "-t", "commit", "-w", "--stdin").strip());
    }
}
