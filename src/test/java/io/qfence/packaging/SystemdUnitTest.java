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
    static final Path CONFIG = Path.of("packaging/reconcile.conf");

    @Test
    @RequiresHost(tools = "systemd-analyze")
    void systemdAcceptsTheUnitWithoutASingleWarning() {
        Witness.Result verify = Witness.tryRun("systemd-analyze", "verify", UNIT.toAbsolutePath().toString());

        // systemd-analyze exits 0 even for unknown keys and bad values: it only warns, so the output must be empty
        assertThat(verify.exitCode()).isZero();
        assertThat(verify.stdout() + verify.stderr()).isEmpty();
    }

    @Test
    void theUnitDelegatesItsCgroupKeepsGuestsAcrossRestartsAndIsHardened() throws Exception {
        List<String> lines = Files.readAllLines(UNIT);

        assertThat(lines).contains("Delegate=yes", "KillMode=process", "RuntimeDirectoryPreserve=yes",
                "ProtectSystem=strict", "ProtectHome=yes", "Environment=QFENCE_LOG_LEVEL=INFO");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("NoNewPrivileges="));
        assertThat(lines).filteredOn(l -> l.startsWith("CapabilityBoundingSet=")).singleElement().asString()
                .contains("CAP_NET_ADMIN").doesNotContain("CAP_SYS_MODULE").doesNotContain("CAP_SYS_PTRACE");
        assertThat(lines).filteredOn(l -> l.startsWith("ExecStart=")).singleElement().asString()
                .endsWith("reconcile @/etc/qfence/reconcile.conf");
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
