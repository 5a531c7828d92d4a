package io.qfence.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Debian package as {@code packaging/deb/build-deb} makes it from the shaded jar (Failsafe: after the package
 * phase): its files, control fields and maintainer scripts, and {@code lintian} with no tag left but the overridden
 * ones. Installing it is {@link PackageInstallLabTest}'s part, in the production-kernel lab.
 */
@RequiresHost(tools = {"dpkg-deb", "lintian", "java", "gzip"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebPackageIT {

    private Path deb;

    @BeforeAll
    void build() throws Exception {
        assertThat(Path.of("target/qfence.jar")).as("mvn package builds the jar before integration tests").exists();
        Witness.Result r = Witness.tryRun("packaging/deb/build-deb", Path.of("").toAbsolutePath().toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            deb = files.filter(f -> f.getFileName().toString().matches("qfence_.*_all\\.deb")).findFirst().orElseThrow();
        }
    }

    @Test
    void itHoldsTheProgramTheUnitsTheConfigurationTheDocsAndTheMonitoring() {
        String contents = Witness.tryRun("dpkg-deb", "-c", deb.toString()).stdout();
        for (String file : List.of("./usr/bin/qfence", "./usr/share/qfence/qfence.jar", "./lib/systemd/system/qfence.service",
                "./lib/systemd/system/qfence-guests.service", "./etc/qfence/reconcile.conf", "./usr/share/man/man1/qfence.1.gz",
                "./usr/share/man/man1/qfence-reconcile.1.gz", "./usr/share/bash-completion/completions/qfence",
                "./usr/share/zsh/vendor-completions/_qfence", "./usr/share/qfence/prometheus/qfence.rules.yml",
                "./usr/share/qfence/grafana/qfence-dashboard.json", "./usr/share/doc/qfence/copyright")) {
            assertThat(contents).as("dpkg-deb -c").containsPattern("(?m) " + java.util.regex.Pattern.quote(file) + "$");
        }
        assertThat(contents).containsPattern("(?m)^-rwxr-xr-x root/root .* \\./usr/bin/qfence$");
    }

    @Test
    void itsControlFieldsNameTheDependenciesAndTheConffile() {
        assertThat(field("Package")).isEqualTo("qfence");
        assertThat(field("Architecture")).isEqualTo("all");
        assertThat(field("Version")).isEqualTo("0.1.0~SNAPSHOT");
        assertThat(field("Depends")).isEqualTo("openjdk-17-jre-headless | java17-runtime-headless, libnftables1, iproute2");
        assertThat(field("Recommends")).isEqualTo("qemu-system-x86, qemu-utils, nftables");
        assertThat(Witness.tryRun("dpkg-deb", "-I", deb.toString(), "conffiles").stdout().strip())
                .isEqualTo("/etc/qfence/reconcile.conf");
        // installed, not enabled or started: the configuration needs editing first
        String postinst = Witness.tryRun("dpkg-deb", "-I", deb.toString(), "postinst").stdout();
        assertThat(postinst).contains("deb-systemd-helper update-state").doesNotContain("deb-systemd-helper enable")
                .doesNotContain("systemctl start").doesNotContainPattern("(?m)^[^#]*\\bip (link|netns)|^[^#]*\\bnft ");
    }

    @Test
    void theLauncherRunsTheInstalledJarWithBinQfencesJvmOptions() throws Exception {
        Path staged = Path.of("target/deb/qfence");
        String launcher = Files.readString(staged.resolve("usr/bin/qfence"));
        assertThat(launcher).contains("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx1g")
                .contains("exec java $opts -jar /usr/share/qfence/qfence.jar \"$@\"");
        assertThat(Files.readString(Path.of("bin/qfence"))).contains("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx1g");
        assertThat(Files.readString(staged.resolve("lib/systemd/system/qfence.service")))
                .contains("\nExecStart=/usr/bin/qfence reconcile @/etc/qfence/reconcile.conf\n");
    }

    @Test
    void lintianFindsNothingButTheJustifiedOverrides() {
        Witness.Result r = Witness.tryRun("lintian", "--pedantic", "--display-info", deb.toString());
        String tags = r.stdout().lines().filter(l -> l.matches("^[EWIPX]: .*")).reduce("", (a, b) -> a + b + "\n");
        assertThat(tags).as("lintian's tags").isEmpty();
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
    }

    private String field(String name) {
        return Witness.tryRun("dpkg-deb", "-f", deb.toString(), name).stdout().strip();
    }
}
