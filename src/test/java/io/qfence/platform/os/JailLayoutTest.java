package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.platform.os.JailLayout.Access;
import io.qfence.platform.os.JailLayout.BindMount;
import io.qfence.platform.os.JailLayout.Directory;
import io.qfence.platform.os.JailLayout.Symlink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a host path is mirrored into a jail's root: its directories, its symbolic links, and the file it leads to. */
class JailLayoutTest {

    @TempDir
    Path tmp;

    @Test
    void aPathThroughSymbolicLinksKeepsEveryLinkAndBindsOnlyTheFileItResolvesTo() throws IOException {
        Path real = Files.createDirectories(tmp.resolve("usr/lib"));
        Files.writeString(real.resolve("ld.so.2"), "x");
        Files.createSymbolicLink(tmp.resolve("lib"), Path.of("usr/lib")); // relative, as merged /usr has it
        Files.createSymbolicLink(real.resolve("ld.so"), tmp.resolve("lib/ld.so.2")); // absolute

        JailLayout layout = new JailLayout.Builder().mirror(tmp.resolve("lib/ld.so"), Access.EXECUTE).build();

        assertThat(layout.entries()).contains(
                new Symlink(tmp.resolve("lib"), Path.of("usr/lib")),
                new Directory(tmp.resolve("usr")),
                new Symlink(tmp.resolve("usr/lib/ld.so"), tmp.resolve("lib/ld.so.2")),
                new BindMount(tmp.resolve("usr/lib/ld.so.2"), Access.EXECUTE, false));
        assertThat(layout.binds()).containsExactly(new BindMount(tmp.resolve("usr/lib/ld.so.2"), Access.EXECUTE, false));
    }

    @Test
    void dotDotIsFollowedFromTheDirectoryReachedLikeQemusFirmwarePath() throws IOException {
        Files.createDirectories(tmp.resolve("usr/bin"));
        Files.createDirectories(tmp.resolve("usr/share/seabios"));
        Files.writeString(tmp.resolve("usr/share/seabios/bios-256k.bin"), "x");

        JailLayout layout = new JailLayout.Builder().mirror(tmp.resolve("usr/bin/../share/seabios/bios-256k.bin"), Access.READ).build();

        assertThat(layout.binds()).containsExactly(new BindMount(tmp.resolve("usr/share/seabios/bios-256k.bin"), Access.READ, false));
        assertThat(layout.paths()).contains(tmp.resolve("usr/bin"), tmp.resolve("usr/share/seabios"));
    }

    @Test
    void aMissingFileOrALoopIsRefused() throws IOException {
        assertThatThrownBy(() -> new JailLayout.Builder().mirror(tmp.resolve("nope"), Access.READ))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        Files.createSymbolicLink(tmp.resolve("a"), tmp.resolve("b"));
        Files.createSymbolicLink(tmp.resolve("b"), tmp.resolve("a"));
        assertThatThrownBy(() -> new JailLayout.Builder().mirror(tmp.resolve("a"), Access.READ))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too many symbolic links");
    }

    @Test
    void anEmptyDirectoryOfTheJailsOwnBindsNothingAndMustBeAbsolute() {
        JailLayout layout = new JailLayout.Builder().directory(Path.of("/sys/kernel/security/apparmor")).build();
        assertThat(layout.entries()).containsExactly(new Directory(Path.of("/sys/kernel/security/apparmor")));
        assertThat(layout.binds()).isEmpty();
        assertThatThrownBy(() -> new JailLayout.Builder().directory(Path.of("sys/kernel")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute and normal");
    }

    @Test
    void nothingMayBeMountedInsideABindMountBecauseItWouldBeCreatedInTheHostsDirectory() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("run/vm"));
        Files.writeString(run.resolve("disk.img"), "x");
        assertThatThrownBy(() -> new JailLayout.Builder().mirror(run, Access.READ_WRITE).mirror(run.resolve("disk.img"), Access.READ_WRITE).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lies inside the bind mount");
    }

    @Test
    void eachAccessGetsItsMountFlagsAndOnlyTheProgramsMayExecute() {
        assertThat(Jail.flags(Access.EXECUTE) & OsNative.LibC.MS_NOEXEC).isZero();
        for (Access a : List.of(Access.READ, Access.READ_WRITE, Access.DEVICE)) {
            assertThat(Jail.flags(a) & OsNative.LibC.MS_NOEXEC).as(a.name()).isNotZero();
        }
        for (Access a : Access.values()) {
            assertThat(Jail.flags(a) & OsNative.LibC.MS_NOSUID).as(a.name()).isNotZero();
        }
        assertThat(Jail.flags(Access.READ_WRITE) & OsNative.LibC.MS_RDONLY).isZero();
        assertThat(Jail.flags(Access.DEVICE) & OsNative.LibC.MS_NODEV).isZero();
        assertThat(Jail.flags(Access.READ) & OsNative.LibC.MS_NODEV).isNotZero();
    }
}
