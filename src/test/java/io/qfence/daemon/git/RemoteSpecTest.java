package io.qfence.daemon.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RemoteSpecTest {

    private static final Optional<Path> NONE = Optional.empty();

    @Test
    void theAddressChoosesTheTransport() {
        assertThat(RemoteSpec.of("/srv/git/fleet.git", NONE, NONE, NONE))
                .isEqualTo(new RemoteSpec.LocalRepository(Path.of("/srv/git/fleet.git")));
        assertThat(RemoteSpec.of("file:///srv/git/fleet.git", NONE, NONE, NONE))
                .isEqualTo(new RemoteSpec.LocalRepository(Path.of("/srv/git/fleet.git")));
        assertThat(RemoteSpec.of("git://git.example.org/fleet.git", NONE, NONE, NONE))
                .isEqualTo(new RemoteSpec.GitDaemon(URI.create("git://git.example.org/fleet.git")));
        assertThat(RemoteSpec.of("https://git.example.org/fleet.git", Optional.of(Path.of("/etc/qfence/token")), NONE, NONE))
                .isEqualTo(new RemoteSpec.Https(URI.create("https://git.example.org/fleet.git"),
                        Optional.of(Path.of("/etc/qfence/token")), "x-access-token"));
        assertThat(RemoteSpec.of("ssh://git@git.example.org:2222/fleet.git", NONE,
                Optional.of(Path.of("/etc/qfence/id")), Optional.of(Path.of("/etc/qfence/known_hosts"))))
                .isEqualTo(new RemoteSpec.Ssh("ssh://git@git.example.org:2222/fleet.git", Path.of("/etc/qfence/id"),
                        Path.of("/etc/qfence/known_hosts")));
        assertThat(RemoteSpec.of("git@git.example.org:org/fleet.git", NONE,
                Optional.of(Path.of("/etc/qfence/id")), Optional.of(Path.of("/etc/qfence/known_hosts"))))
                .isInstanceOf(RemoteSpec.Ssh.class);
    }

    @Test
    void anHttpsUserNameInTheAddressIsKeptAndAPasswordIsRefused() {
        assertThat(RemoteSpec.of("https://oauth2@gitlab.example.org/fleet.git", NONE, NONE, NONE))
                .isEqualTo(new RemoteSpec.Https(URI.create("https://gitlab.example.org/fleet.git"), NONE, "oauth2"));
        assertThatThrownBy(() -> RemoteSpec.of("https://me:s3cret@git.example.org/fleet.git", NONE, NONE, NONE))
                .hasMessage("the address 'https://git.example.org/fleet.git' contains a password; put the token in a "
                        + "file and name that file instead")
                .message().doesNotContain("s3cret");
    }

    @Test
    void plainHttpIsRefusedWithoutEchoingCredentials() {
        assertThatThrownBy(() -> RemoteSpec.of("http://me:s3cret@git.example.org/fleet.git", NONE, NONE, NONE))
                .hasMessage("plain http is refused ('http://***@git.example.org/fleet.git'): use https://, so that "
                        + "neither the token nor the desired state travel in clear text");
    }

    @Test
    void optionsThatTheTransportWouldIgnoreAreRefused() {
        assertThatThrownBy(() -> RemoteSpec.of("git://h/r.git", Optional.of(Path.of("/t")), NONE, NONE))
                .hasMessage("a token file applies only to https remotes, not to 'git://h/r.git'");
        assertThatThrownBy(() -> RemoteSpec.of("https://h/r.git", NONE, Optional.of(Path.of("/k")), NONE))
                .hasMessage("an ssh key and known_hosts file apply only to ssh remotes, not to 'https://h/r.git'");
        assertThatThrownBy(() -> RemoteSpec.of("git@h:r.git", NONE, Optional.of(Path.of("/k")), NONE))
                .hasMessage("the ssh remote 'git@h:r.git' needs both a private key file and a known_hosts file");
    }

    @Test
    void sshAddressesMustNameAUserAndCarryNoPassword() {
        assertThatThrownBy(() -> new RemoteSpec.Ssh("ssh://git.example.org/fleet.git", Path.of("/k"), Path.of("/kh")))
                .hasMessage("ssh address 'ssh://git.example.org/fleet.git' names no user; write it as user@host:path "
                        + "or ssh://user@host/path");
        assertThatThrownBy(() -> new RemoteSpec.Ssh("ssh://git:pw@git.example.org/fleet.git", Path.of("/k"), Path.of("/kh")))
                .hasMessageContaining("contains a password").message().doesNotContain(":pw");
    }

    @Test
    void unsupportedAddressesAreRefusedWithTheChoices() {
        assertThatThrownBy(() -> RemoteSpec.of("relative/path", NONE, NONE, NONE))
                .hasMessage("unsupported remote 'relative/path': use an absolute path, file://, git://, https://, "
                        + "ssh:// or user@host:path");
        assertThatThrownBy(() -> new RemoteSpec.GitDaemon(URI.create("git://user@h/r.git")))
                .hasMessage("the address 'git://h/r.git' must not contain credentials; name a token file instead");
    }

    @Test
    void cacheNamesAreReadableSafeAndDistinct() {
        RemoteSpec a = RemoteSpec.of("https://git.example.org/org/fleet.git", NONE, NONE, NONE);
        RemoteSpec b = RemoteSpec.of("https://git.example.org/org/fleet.git/", NONE, NONE, NONE);
        assertThat(a.cacheName()).matches("git.example.org_org_fleet.git-[0-9a-f]{10}");
        assertThat(b.cacheName()).isNotEqualTo(a.cacheName());
        assertThat(new RemoteSpec.LocalRepository(Path.of("/../../etc")).cacheName()).matches("etc-[0-9a-f]{10}");
        assertThat(RemoteSpec.of("/" + "x".repeat(200), NONE, NONE, NONE).cacheName()).hasSize(60 + 11);
    }

    @Test
    void commitIdsAreFullLowerCaseSha1() {
        assertThat(CommitId.of("0123456789abcdef0123456789abcdef01234567").abbreviated()).isEqualTo("0123456789ab");
        assertThatThrownBy(() -> CommitId.of("0123456"))
                .hasMessage("a commit id is 40 lower-case hex digits, got '0123456'");
        assertThatThrownBy(() -> CommitId.of("0123456789ABCDEF0123456789ABCDEF01234567"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
