package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.ConfinementLayers;
import io.qfence.model.host.ConfinementLayersFixture;
import io.qfence.model.host.GuestConfinement;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** verify's confinement report: every guest's line, and a missing layer fails the run in every format. */
class ConfinementReportTest {

    static VerifyReport with(List<VerifyReport.Confined> confinement) {
        VerifyReport r = MatrixRendererTest.report(false);
        return new VerifyReport(r.host(), r.revision(), r.sandbox(), r.world(), r.results(), r.guestBoot(), r.phases(), r.passes(), r.teardown(),
                confinement);
    }

    @Test
    void everyGuestsConfinementIsShownOnOneLineAndAllPresentPasses() {
        VerifyReport report = with(List.of(new VerifyReport.Confined("web-app-1", Optional.of(ConfinementLayersFixture.confined()), List.of())));

        assertThat(report.passed()).isTrue();
        assertThat(MatrixRenderer.text(report, false)).contains("Confinement of each guest, read from /proc:\n"
                + "  web-app-1  uid 20001 gid 20001, no groups, no capabilities, no_new_privs, seccomp 2 (1 filter), apparmor unconfined, "
                + "namespaces mnt pid ipc uts own, net host, root jail (tmpfs, 20 mounts), cgroup /qfence/web/web-01, 3 fds (device 1, file 1, tap 1)\n")
                .doesNotContain("Missing confinement layers").contains("PASSED");
        assertThat(MatrixRenderer.json(report)).contains("\"missing_layers\" : 0", "\"seccomp_mode\" : 2", "\"jail\" : true");
    }

    @Test
    void aGuestWithoutItsJailFailsVerifyNamingTheVmTheLayerWhatWasFoundAndWhatIsRequired() {
        ConfinementLayers.MissingLayer missing = new ConfinementLayers.MissingLayer("web-app-1", ConfinementLayers.Layer.NAMESPACES,
                "mnt:[4026531832] shared with the host", "mount, PID, IPC and UTS namespaces of its own (confinement.namespaces)");
        GuestConfinement found = ConfinementLayersFixture.confined();
        VerifyReport report = with(List.of(new VerifyReport.Confined("web-app-1", Optional.of(found), List.of(missing)),
                new VerifyReport.Confined("db-main", Optional.empty(), List.of(new ConfinementLayers.MissingLayer("db-main", ConfinementLayers.Layer.PROCESS,
                        "no running QEMU to read", "a running QEMU")))));

        assertThat(report.passed()).isFalse();
        assertThat(MatrixRenderer.text(report, false)).contains("  db-main    not running\n", "Missing confinement layers (2):\n"
                + "  ! web-app-1 lacks namespaces: found mnt:[4026531832] shared with the host; required mount, PID, IPC and UTS namespaces of its own (confinement.namespaces)\n"
                + "  ! db-main lacks process: found no running QEMU to read; required a running QEMU\n", "FAILED:", "; 2 MISSING CONFINEMENT LAYERS");
        assertThat(MatrixRenderer.json(report)).contains("\"passed\" : false", "\"missing_layers\" : 2", "\"layer\" : \"namespaces\"",
                "\"found\" : null");
        assertThat(MatrixRenderer.markdown(report)).contains("**Missing confinement layers (2)**", "- web-app-1 lacks namespaces");
    }

    @Test
    void aReportWithoutConfinementRendersAsBefore() {
        VerifyReport r = MatrixRendererTest.report(false);
        assertThat(MatrixRenderer.text(r, false)).doesNotContain("Confinement");
        assertThat(MatrixRenderer.json(r)).doesNotContain("confinement");
    }
}
