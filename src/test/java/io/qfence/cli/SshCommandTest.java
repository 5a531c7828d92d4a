package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.Golden;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code qfence ssh} and {@code ssh-config}: the way in to a VM is the host's exposed port, the bastion, and port 22 of
 * the VM (ProxyJump), computed from the desired state and its realized policy; a VM without a way in is refused with
 * the reason. The fixture (src/test/resources/ssh/desired-state) has one group of each kind: web (intraGroup deny,
 * bastion.sshToGroup), db (exposed bastion that reaches nothing), ci (bastion not exposed).
 */
class SshCommandTest {

    static final String DIR = "src/test/resources/ssh/desired-state";
    static final Path GOLDEN = Golden.RESOURCES.resolve("golden/cli/ssh");

    @Test
    void sshConfigHasABlockPerExposedBastionAndPerReachableVmAndListsTheRestWithTheirReasons() {
        CliRun run = CliRun.of("ssh-config", "--dir", DIR, "--host-address", "hv1.example.org", "-l", "alice", "-i", "~/.ssh/id_ed25519",
                "-o", "StrictHostKeyChecking=accept-new");

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        Golden.assertMatches(GOLDEN.resolve("ssh-config.txt"), run.out());
    }

    @Test
    void sshRunsOpenSshWithTheVmsRouteOnly() {
        CliRun run = CliRun.of("ssh", "--print", "--dir", DIR, "web-app-1", "--", "ip", "-br", "addr");

        assertThat(run.exitCode()).isZero();
        Golden.assertMatches(GOLDEN.resolve("ssh-print-web-app-1.txt"), run.out());
    }

    @Test
    void theBastionItselfIsReachedDirectlyOnTheExposedPort() {
        CliRun run = CliRun.of("ssh", "--print", "--dir", DIR, "web-bastion");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Host web-bastion\n    HostName hv1\n    Port 2222\n").doesNotContain("    ProxyJump");
    }

    @Test
    void aVmTheBastionMayNotReachOnPort22IsRefusedWithTheFixInTheMessage() {
        CliRun run = CliRun.of("ssh", "--print", "--dir", DIR, "db-main");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEqualTo("qfence: error: no way in to db-main: the policy does not let bastion db-bastion reach db-main"
                + " on TCP 22 (group db: intraGroup deny, bastion.sshToGroup false, and no exception allows it);"
                + " set bastion.sshToGroup: true in groups/db.yaml to allow it\n");
    }

    @Test
    void everyOtherWayInThatDoesNotExistIsRefusedWithItsReason() {
        assertThat(CliRun.of("ssh", "--print", "--dir", DIR, "ci-runner").err())
                .isEqualTo("qfence: error: no way in to ci-runner: group ci's bastion ci-bastion is not exposed on a host port (bastion.expose)\n");
        assertThat(CliRun.of("ssh", "--print", "--dir", DIR, "web-app-2").err())
                .isEqualTo("qfence: error: no way in to web-app-2: web-app-2 is stopped in the desired state\n");
        assertThat(CliRun.of("ssh", "--print", "--dir", DIR, "web-tools").err())
                .isEqualTo("qfence: error: no way in to web-tools: web-tools uses user-mode networking: no connection can be opened to it\n");
        assertThat(CliRun.of("ssh", "--print", "--dir", DIR, "nowhere").err())
                .isEqualTo("qfence: error: no way in to nowhere: no VM named nowhere in the desired state\n");
    }

    @Test
    void optionsThatCouldInjectADirectiveOrReplaceTheRouteAreUsageErrors() {
        CliRun newline = CliRun.of("ssh-config", "--dir", DIR, "-l", "alice\n    ProxyCommand sh");
        CliRun proxy = CliRun.of("ssh-config", "--dir", DIR, "-o", "ProxyCommand=nc%h");
        CliRun address = CliRun.of("ssh-config", "--dir", DIR, "--host-address", "hv1 evil");

        assertThat(newline.exitCode()).isEqualTo(1);
        assertThat(newline.out()).isEmpty();
        assertThat(newline.err()).startsWith("qfence: error: user must be a POSIX user name, got 'alice?    ProxyCommand sh'");
        assertThat(proxy.err()).startsWith("qfence: error: ssh option ProxyCommand is not accepted: qfence sets the route itself");
        assertThat(address.err()).startsWith("qfence: error: host address must be a DNS name or an IP address, got 'hv1 evil'");
    }
}
