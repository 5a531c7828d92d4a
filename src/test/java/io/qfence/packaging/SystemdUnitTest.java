package io.qfence.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code packaging/}: the systemd unit as systemd reads it, and the example configuration as qfence reads it. */
class SystemdUnitTest {

    static final Path UNIT = Path.of("packaging/qfence.service");
    static final Path GUESTS_UNIT = Path.of("packaging/qfence-guests.service");
    static final Path CONFIG = Path.of("packaging/reconcile.conf");

    @Test
    @RequiresHost(tools = "systemd-analyze")
    void systemdAcceptsBothUnitsWithoutASingleWarning() {
        Witness.Result verify = Witness.tryRun("systemd-analyze", "verify", UNIT.toAbsolutePath().toString(),
                GUESTS_UNIT.toAbsolutePath().toString());

        // systemd-analyze exits 0 even for unknown keys and bad values: it only warns, so the output must be empty
        assertThat(verify.exitCode()).isZero();
        assertThat(verify.stdout() + verify.stderr()).isEmpty();
    }

    @Test
    void theDaemonsUnitKeepsGuestsAcrossRestartsAndIsHardened() throws Exception {
        List<String> lines = Files.readAllLines(UNIT);

        assertThat(lines).contains("KillMode=process", "SuccessExitStatus=143", "RuntimeDirectoryPreserve=yes",
                "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "Environment=QFENCE_LOG_LEVEL=INFO");
        // the guests are not below the daemon's cgroup (SystemdDaemonLabTest: a delegated daemon unit with guests
        // below it cannot start again on systemd 252 while they run), so the daemon's unit delegates nothing
        assertThat(lines).noneMatch(l -> l.startsWith("Delegate="));
        assertThat(lines).filteredOn(l -> l.startsWith("Wants=") || l.startsWith("After="))
                .allSatisfy(l -> assertThat(l).contains("qfence-guests.service"));
        // SYS_PTRACE only to read jailed guests' /proc/PID/ns (EACCES without it, measured in the lab); the jail's
        // pivot_root needs no SYS_CHROOT; nothing loads modules
        assertThat(lines).filteredOn(l -> l.startsWith("CapabilityBoundingSet=")).singleElement().asString()
                .contains("CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE")
                .doesNotContain("CAP_SYS_MODULE").doesNotContain("CAP_SYS_CHROOT").doesNotContain("CAP_SYS_RAWIO");
        assertThat(lines).contains("RestrictNamespaces=net mnt pid ipc uts cgroup", "ProtectHostname=yes", "PrivateTmp=yes");
        assertThat(lines).filteredOn(l -> l.startsWith("ExecStart=")).singleElement().asString()
                .endsWith("reconcile @/etc/qfence/reconcile.conf");
    }

    @Test
    void theGuestsUnitDelegatesASubtreeWhoseOwnCgroupHoldsNoProcessAndNeverKillsAGuest() throws Exception {
        List<String> lines = Files.readAllLines(GUESTS_UNIT);

        assertThat(lines).contains("Delegate=yes", "KillMode=process");
        assertThat(lines).filteredOn(l -> l.startsWith("ExecStart=")).singleElement().asString()
                .contains("/holder/cgroup.procs").endsWith("exec sleep infinity'");
        assertThat(Files.readAllLines(CONFIG)).contains("--cgroup-parent=system.slice/qfence-guests.service/vms");
    }

    @Test
    void theExampleConfigurationIsAValidSetOfReconcileOptions() {
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new CliContext(Clock.systemUTC()));
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));

        int code = cli.execute("reconcile", "@" + CONFIG, "--once");

        // every option parsed and checked; this test's build has no engine, which is the first thing missing
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("needs the reconcile engine");
    }
}
