package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.apply.StateLock;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.trust.TrustedKeys;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Signers;
import io.qfence.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --verify-signatures} through the daemon: commits signed with real SSH keys by the real git; Bob's key is
 * trusted. The operator seeded {@code last-applied} with the reviewed, unsigned commit the repository started from.
 */
@RequiresHost(tools = {"git", "ssh-keygen"})
class SignedRevisionsTest {

    @TempDir
    Path tmp;

    MutableClock clock = new MutableClock(ReconcilerTest.START);
    DesiredRepo repo;
    DesiredRepo bob;
    DesiredRepo mallory;
    Path stateDir;
    Path trusted;
    FakeCycle host = new FakeCycle();
    QfenceMetrics metrics = QfenceMetrics.create();
    GitMirror mirror;
    Journal journal;
    Reconciler reconciler;

    @BeforeEach
    void setUp() throws Exception {
        Signers signers = Signers.in(tmp.resolve("keys"));
        Path bobKey = signers.sshKey("bob");
        Path malloryKey = signers.sshKey("mallory");
        trusted = Files.createDirectory(tmp.resolve("trusted"));
        Files.writeString(trusted.resolve(TrustedKeys.ALLOWED_SIGNERS), Signers.allowedSignersLine("bob@example.org", bobKey));
        repo = DesiredRepo.create(tmp.resolve("origin"));
        bob = repo.with(signers.signingWithSsh(repo.git.as("Bob Builder", "bob@example.org"), bobKey));
        mallory = repo.with(signers.signingWithSsh(repo.git.as("Mallory Mole", "mallory@example.org"), malloryKey));
        stateDir = Files.createDirectories(tmp.resolve("state"));
        Files.writeString(stateDir.resolve(LastApplied.FILE_NAME), repo.head() + "\n");

        mirror = GitMirror.open(stateDir, new RemoteSpec.LocalRepository(repo.git.dir()), System::nanoTime);
        journal = Journal.open(stateDir);
        ReconcileSettings settings = new ReconcileSettings("hv1", stateDir, ReconcilerTest.INTERVAL,
                ReconcilerTest.DRIFT_INTERVAL, 0.1, Duration.ofSeconds(10), Duration.ofMinutes(5), AutoApply.ALL, true);
        reconciler = new Reconciler(settings, new GitRevisionSource(mirror, "main", DesiredRepo.DIR,
                Duration.ofSeconds(20), Optional.of(trusted), false), host, IsolationView.realized(),
                () -> StateLock.acquire(stateDir, "qfence reconcile"), journal, metrics, clock, clock::nanos, ReconcilerTest.HALF);
    }

    @AfterEach
    void tearDown() throws Exception {
        journal.close();
        mirror.close();
    }

    @Test
    void aCommitSignedByATrustedKeyIsAppliedAndAnUnsignedOneIsRefusedByIdAndAuthor() throws Exception {
        String seeded = repo.head();
        String signed = bob.setAlphaExceptions(DesiredRepo.exception("5433", ""), "signed by bob", "-S");
        reconciler.cycle(Trigger.STARTUP);
        assertThat(host.last().state().revision()).isEqualTo(signed);
        assertThat(Journal.read(stateDir).records()).last().satisfies(r ->
                assertThat(r.notes().get(0)).contains("(1 signed commits verified)"));

        String unsigned = repo.with(repo.git.as("Eve Eager", "eve@example.org"))
                .setAlphaExceptions(DesiredRepo.exception("5434", ""), "quick fix");
        String signedOnTop = bob.setAlphaExceptions(DesiredRepo.exception("5435", ""), "bob signs on top", "-S");
        clock.advance(Duration.ofMinutes(2));
        CycleRecord refused = reconciler.cycle(Trigger.SCHEDULE).records().get(0);

        assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(refused.revision()).contains(signedOnTop);
        assertThat(refused.errors()).anySatisfy(e -> assertThat(e).contains("commit " + unsigned.substring(0, 12))
                .contains("\"quick fix\" by Eve Eager <eve@example.org>").contains("unsigned"));
        assertThat(host.requests()).hasSize(1);
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(signed);
        assertThat(DaemonStatus.read(stateDir).orElseThrow().pending()).hasValueSatisfying(p -> {
            assertThat(p.state()).isEqualTo(PendingState.REFUSED);
            assertThat(p.message()).contains("Eve Eager <eve@example.org>");
        });
        assertThat(seeded).isNotEqualTo(signed);
    }

    @Test
    void aCommitSignedByAnUntrustedKeyIsRefusedUntilTheKeyIsTrustedWithoutARestart() throws Exception {
        String seeded = repo.head();
        String byMallory = mallory.setAlphaExceptions(DesiredRepo.exception("5433", ""), "mallory's change", "-S");
        CycleRecord refused = reconciler.cycle(Trigger.STARTUP).records().get(0);
        assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(refused.errors().get(0)).contains("signed by an untrusted key");
        assertThat(host.requests()).as("the host is only checked against the seeded revision")
                .extracting(r -> r.state().revision()).containsOnly(seeded);

        Path malloryKey = tmp.resolve("keys/ssh/mallory");
        Files.writeString(trusted.resolve(TrustedKeys.ALLOWED_SIGNERS), Signers.allowedSignersLine("mallory@example.org",
                malloryKey), java.nio.file.StandardOpenOption.APPEND);
        clock.advance(Duration.ofMinutes(2));
        reconciler.cycle(Trigger.SCHEDULE);

        assertThat(host.last().state().revision()).isEqualTo(byMallory);
        assertThat(LastApplied.read(stateDir).orElseThrow().revision()).isEqualTo(CommitId.of(byMallory));
    }
}
