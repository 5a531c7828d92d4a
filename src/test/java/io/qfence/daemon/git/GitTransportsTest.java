package io.qfence.daemon.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.qfence.daemon.Backoff;
import io.qfence.daemon.trust.Admission;
import io.qfence.daemon.trust.RevisionAdmission;
import io.qfence.testing.GitCli;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNetns;
import io.qfence.testing.Witness;
import io.qfence.testing.MutableClock;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.loader.openssh.OpenSSHKeyPairResourceParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetching over the network transports from real servers: {@code git daemon}, SSH running the real
 * {@code git-upload-pack}, and HTTPS in front of the real {@code git http-backend}. Every server listens on 127.0.0.1
 * in a namespace this class creates, and every fetch runs from a thread inside it.
 */
@RequiresHost(tools = {"ip", "git", "ssh-keygen"})
@Timeout(120)
class GitTransportsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private static TestNetns netns;

    @TempDir
    Path tmp;

    private Path served;
    private GitCli work;

    @BeforeAll
    static void createNamespace() {
        netns = TestNetns.create("git");
    }

    @AfterAll
    static void deleteNamespace() {
        if (netns != null) {
            netns.close();
        }
    }

    /** A bare repository to serve, and a work tree that pushes to it, both with the real git. */
    @BeforeEach
    void createServedRepository() {
        served = tmp.resolve("srv/fleet.git");
        GitCli.initBare(served);
        work = GitCli.init(tmp.resolve("work"));
        work.run("remote", "add", "origin", served.toString());
    }

    private CommitId pushCommit(String content, String message) {
        String id = work.commitFile("hosts/h1.yaml", content, message);
        work.run("push", "-q", "origin", "main");
        return CommitId.of(id);
    }

    @Test
    void gitDaemonFetchesIncrementallyAndThenReportsUpToDate() throws Exception {
        CommitId first = pushCommit("v: 1\n", "first");
        try (var daemon = new GitServers.GitDaemon(netns, served.getParent(), 9418);
             GitMirror mirror = GitMirror.open(tmp.resolve("state"),
                     new RemoteSpec.GitDaemon(URI.create("git://127.0.0.1:9418/fleet.git")), System::nanoTime)) {
            FetchResult initial = netns.call(() -> mirror.fetch("main", TIMEOUT));
            CommitId second = pushCommit("v: 2\n", "second");
            FetchResult update = netns.call(() -> mirror.fetch("main", TIMEOUT));
            FetchResult again = netns.call(() -> mirror.fetch("main", TIMEOUT));

            assertThat(initial.head()).isEqualTo(first);
            assertThat(update).isEqualTo(new FetchResult("main", Optional.of(first), second, true));
            assertThat(again.changed()).isFalse();
        }
    }

    @Test
    void aForcePushThroughGitDaemonIsDetectedAndAppliedOnlyWhenAllowed() throws Exception {
        CommitId base = pushCommit("v: 1\n", "base");
        CommitId applied = pushCommit("v: 2\n", "applied");
        try (var daemon = new GitServers.GitDaemon(netns, served.getParent(), 9418);
             GitMirror mirror = GitMirror.open(tmp.resolve("state"),
                     new RemoteSpec.GitDaemon(URI.create("git://127.0.0.1:9418/fleet.git")), System::nanoTime)) {
            netns.call(() -> mirror.fetch("main", TIMEOUT));
            work.run("reset", "-q", "--hard", base.hex());
            CommitId rewritten = CommitId.of(work.commitFile("hosts/h1.yaml", "v: 3\n", "rewritten"));
            work.run("push", "-q", "--force", "origin", "main");

            FetchResult result = netns.call(() -> mirror.fetch("main", TIMEOUT));

            assertThat(result.fastForward()).isFalse();
            assertThat(result.head()).isEqualTo(rewritten);
            assertThat(RevisionAdmission.historyOnly().admit(mirror, Optional.of(applied), rewritten))
                    .isEqualTo(new Admission.HistoryRewriteDetected(applied, rewritten));
            assertThat(RevisionAdmission.historyOnly().allowingRewrite(true).admit(mirror, Optional.of(applied), rewritten))
                    .isEqualTo(new Admission.Admitted(rewritten, 0, true));
        }
    }

    /**
     * The daemon's loop in miniature: a remote nobody listens for fails at once, every failure lengthens the wait,
     * no attempt is made while waiting, and the mirror stays empty: nothing could be applied.
     */
    @Test
    void anUnreachableRemoteFailsFastBacksOffAndLeavesTheMirrorEmpty() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
        Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofHours(1), clock, new SplittableRandom(7));
        List<Duration> delays = new ArrayList<>();
        int attempts = 0;
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"),
                new RemoteSpec.GitDaemon(URI.create("git://127.0.0.1:9/fleet.git")), System::nanoTime)) {
            for (int tick = 0; tick < 400; tick++) {
                clock.advance(Duration.ofSeconds(5)); // the poll schedule
                if (!backoff.mayAttempt()) {
                    continue;
                }
                attempts++;
                FetchFailedException failure = catchThrowableOfType(FetchFailedException.class,
                        () -> netns.call(() -> mirror.fetch("main", TIMEOUT)));
                assertThat(failure).isNotNull();
                assertThat(failure.timedOut()).isFalse();
                assertThat(failure.remote()).isEqualTo("git://127.0.0.1:9/fleet.git");
                delays.add(backoff.recordFailure());
            }
            assertThat(mirror.head("main")).isEmpty();
        }
        // 400 polls over 33 minutes, yet only 8 or 9 requests reached the dead remote, each wait longer than the last
        assertThat(attempts).isBetween(8, 9);
        assertThat(delays).isSortedAccordingTo(Duration::compareTo);
        assertThat(delays.get(0)).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    /** A server that accepts connections and never says a word: every transport must give up on its own. */
    @Test
    void everyTransportGivesUpOnARemoteThatAcceptsButNeverAnswers() throws Exception {
        Path key = sshKey("client");
        Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), "");
        try (ServerSocket silent = netns.call(() -> {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0), 50);
            return socket;
        })) {
            int port = silent.getLocalPort();
            List<RemoteSpec> remotes = List.of(
                    new RemoteSpec.GitDaemon(URI.create("git://127.0.0.1:" + port + "/fleet.git")),
                    new RemoteSpec.Ssh("ssh://git@127.0.0.1:" + port + "/fleet.git", key, knownHosts),
                    RemoteSpec.of("https://127.0.0.1:" + port + "/fleet.git", Optional.empty(), Optional.empty(),
                            Optional.empty()));
            for (RemoteSpec remote : remotes) {
                try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), remote, System::nanoTime)) {
                    FetchFailedException failure = catchThrowableOfType(FetchFailedException.class,
                            () -> netns.call(() -> mirror.fetch("main", Duration.ofSeconds(1))));

                    assertThat(failure).as(remote.uri()).isNotNull();
                    assertThat(failure.timedOut()).as(remote.uri() + ": " + failure.getMessage()).isTrue();
                    assertThat(mirror.head("main")).isEmpty();
                }
            }
        }
    }

    @Test
    void sshWithAnExplicitKeyAndKnownHostsFetchesFromGitUploadPack() throws Exception {
        CommitId first = pushCommit("v: 1\n", "first");
        Path key = sshKey("client");
        try (var server = new GitServers.SshGitServer(netns, tmp.resolve("srv"), publicKey(key))) {
            Path knownHosts = knownHosts("known_hosts", server.port(), server.hostKey());
            RemoteSpec remote = new RemoteSpec.Ssh("ssh://git@127.0.0.1:" + server.port() + served, key, knownHosts);
            try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), remote, System::nanoTime)) {
                FetchResult initial = netns.call(() -> mirror.fetch("main", TIMEOUT));
                CommitId second = pushCommit("v: 2\n", "second");
                FetchResult update = netns.call(() -> mirror.fetch("main", TIMEOUT));

                assertThat(initial.head()).isEqualTo(first);
                assertThat(update).isEqualTo(new FetchResult("main", Optional.of(first), second, true));
            }
        }
    }

    @Test
    void sshRefusesAHostWhoseKeyIsNotInKnownHosts() throws Exception {
        pushCommit("v: 1\n", "first");
        Path key = sshKey("client");
        try (var server = new GitServers.SshGitServer(netns, tmp.resolve("srv"), publicKey(key))) {
            Path otherHostKey = sshKey("impostor");
            Path knownHosts = knownHosts("known_hosts", server.port(), publicKey(otherHostKey));
            RemoteSpec remote = new RemoteSpec.Ssh("ssh://git@127.0.0.1:" + server.port() + served, key, knownHosts);
            try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), remote, System::nanoTime)) {
                assertThatThrownBy(() -> netns.call(() -> mirror.fetch("main", TIMEOUT)))
                        .isInstanceOf(FetchFailedException.class);
                assertThat(mirror.head("main")).isEmpty();
            }
            // an empty known_hosts file trusts nobody either: strict checking, no "accept new"
            Path empty = Files.writeString(tmp.resolve("empty_known_hosts"), "");
            RemoteSpec unknown = new RemoteSpec.Ssh("ssh://git@127.0.0.1:" + server.port() + served, key, empty);
            try (GitMirror mirror = GitMirror.open(tmp.resolve("state2"), unknown, System::nanoTime)) {
                assertThatThrownBy(() -> netns.call(() -> mirror.fetch("main", TIMEOUT)))
                        .isInstanceOf(FetchFailedException.class);
            }
            assertThat(Files.readString(empty)).isEmpty();
        }
    }

    @Test
    void sshWithAKeyTheServerDoesNotAcceptFails() throws Exception {
        pushCommit("v: 1\n", "first");
        Path accepted = sshKey("accepted");
        Path other = sshKey("other");
        try (var server = new GitServers.SshGitServer(netns, tmp.resolve("srv"), publicKey(accepted))) {
            Path knownHosts = knownHosts("known_hosts", server.port(), server.hostKey());
            RemoteSpec remote = new RemoteSpec.Ssh("ssh://git@127.0.0.1:" + server.port() + served, other, knownHosts);
            try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), remote, System::nanoTime)) {
                assertThatThrownBy(() -> netns.call(() -> mirror.fetch("main", TIMEOUT)))
                        .isInstanceOf(FetchFailedException.class);
            }
        }
    }

    @Test
    void httpsSendsTheTokenFromTheFileAndRereadsItForEveryFetch() throws Exception {
        CommitId first = pushCommit("v: 1\n", "first");
        Path tokenFile = Files.writeString(tmp.resolve("token"), "tok-1\n");
        try (var server = new GitServers.HttpsGitServer(netns, tmp.resolve("srv"), "x-access-token", "tok-1")) {
            SSLSocketFactory previous = HttpsURLConnection.getDefaultSSLSocketFactory();
            HttpsURLConnection.setDefaultSSLSocketFactory(server.clientContext().getSocketFactory());
            RemoteSpec remote = RemoteSpec.of("https://127.0.0.1:" + server.port() + "/fleet.git",
                    Optional.of(tokenFile), Optional.empty(), Optional.empty());
            try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), remote, System::nanoTime)) {
                FetchResult initial = netns.call(() -> mirror.fetch("main", TIMEOUT));
                assertThat(initial.head()).isEqualTo(first);
                assertThat(server.authorizedRequests.get()).isPositive();

                // the server now wants a new token; the old one is refused, and the message does not show it
                server.expectToken("x-access-token", "tok-2");
                CommitId second = pushCommit("v: 2\n", "second");
                FetchFailedException refused = catchThrowableOfType(FetchFailedException.class,
                        () -> netns.call(() -> mirror.fetch("main", TIMEOUT)));
                assertThat(refused).isNotNull();
                assertThat(stackText(refused)).doesNotContain("tok-1");
                assertThat(mirror.head("main")).contains(first);

                // rotating the file is enough: no restart
                Files.writeString(tokenFile, "tok-2\n");
                FetchResult update = netns.call(() -> mirror.fetch("main", TIMEOUT));
                assertThat(update).isEqualTo(new FetchResult("main", Optional.of(first), second, true));
            } finally {
                HttpsURLConnection.setDefaultSSLSocketFactory(previous);
            }
        }
    }

    private Path sshKey(String name) {
        Path key = tmp.resolve("ssh").resolve(name);
        try {
            Files.createDirectories(key.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Witness.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString());
        return key;
    }

    private static PublicKey publicKey(Path privateKey) throws Exception {
        return OpenSSHKeyPairResourceParser.INSTANCE.loadKeyPairs(null, privateKey, null).iterator().next().getPublic();
    }

    private Path knownHosts(String name, int port, PublicKey hostKey) throws Exception {
        return Files.writeString(tmp.resolve(name), "[127.0.0.1]:" + port + " " + PublicKeyEntry.toString(hostKey) + "\n");
    }

    private static String stackText(Throwable t) {
        java.io.StringWriter out = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }
}
