package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jail's library listings kept across qfence processes (DESIGN.md §9, "What the jail holds"): served only while
 * the binary, its loader and every listed library are the files that were listed, and only from a file that is
 * qfence's own and whole. Fake binaries and a fake lister stand in for {@code ld.so --list}.
 */
class JailLibrariesTest {

    /** A clock well after every file these tests make: listings count as settled (see {@link JailLibraries}). */
    private static final long LATER = System.currentTimeMillis() * 1_000_000L + TimeUnit.HOURS.toNanos(1);

    @TempDir
    Path dir;
    private Path state;
    private Path binary;
    private Path loader;
    private Path libA;
    private Path libB;
    private final List<Path> listed = new ArrayList<>();
    private final JailLibraries.Lister lister = (elf, ld) -> {
        listed.add(elf);
        return List.of(ld, libA, libB);
    };

    @BeforeEach
    void files() throws IOException {
        state = Files.createDirectory(dir.resolve("state"));
        binary = write("qemu-system-x86_64", "binary");
        loader = write("ld-linux-x86-64.so.2", "loader");
        libA = write("libz.so.1", "zlib");
        libB = write("libc.so.6", "libc");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private JailLibraries process() {
        return new JailLibraries(Optional.of(state.resolve(JailLibraries.FILE)), lister, JailLibraries.ownUid(), () -> LATER);
    }

    @Test
    void aSecondProcessIsServedFromTheFileWithoutListingAgain() {
        assertThat(process().libraries(binary, loader)).containsExactly(loader, libA, libB);
        assertThat(process().libraries(binary, loader)).containsExactly(loader, libA, libB);
        assertThat(listed).containsExactly(binary);
    }

    @Test
    void theFileIsOwnedByQfenceAndReadableByNoOneElse() throws IOException {
        process().libraries(binary, loader);
        Path file = state.resolve(JailLibraries.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rw-------");
        assertThat(((Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue()).isEqualTo(JailLibraries.ownUid());
        assertThat(Files.readString(file)).startsWith(JailLibraries.HEADER + "\nentry\t" + binary + "\t" + loader + "\t3\t5\n");
    }

    @Test
    void aModuleFoundThroughTheBinarysDirectoryIsServedFromTheFile() throws IOException {
        // QEMU's TCG module is named /usr/bin/../lib/<multiarch>/qemu/accel-tcg-x86_64.so: a path with ".." in it
        Path module = Files.createDirectories(dir.resolve("lib")).resolve("accel-tcg-x86_64.so");
        Files.writeString(module, "module");
        Path viaBin = Files.createDirectories(dir.resolve("bin")).resolve("../lib/accel-tcg-x86_64.so");
        process().libraries(viaBin, loader);
        process().libraries(viaBin, loader);
        assertThat(listed).containsExactly(viaBin);
    }

    @Test
    void aChangedBinaryIsListedAgain() throws IOException {
        process().libraries(binary, loader);
        Files.delete(binary);
        write("qemu-system-x86_64", "binary, upgraded"); // a new inode, as a package upgrade makes
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void aBinaryChangedInPlaceWithTheSameSizeIsListedAgain() throws IOException {
        process().libraries(binary, loader);
        Files.writeString(binary, "BINARY"); // same inode and size: the times tell
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void aChangedLibraryIsListedAgain() throws IOException {
        JailLibraries one = process();
        one.libraries(binary, loader);
        Files.delete(libA);
        write("libz.so.1", "zlib 2");
        one.libraries(binary, loader); // in the same process too: every lookup re-checks
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void aChangedLoaderIsListedAgain() throws IOException {
        process().libraries(binary, loader);
        Files.delete(loader);
        write("ld-linux-x86-64.so.2", "loader 2");
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void aListingWhoseFilesChangedWhileItRanIsNotRemembered() {
        // the files were made just now: a clock at "now" sees their status change within the race margin
        JailLibraries now = new JailLibraries(Optional.of(state.resolve(JailLibraries.FILE)), lister, JailLibraries.ownUid());
        assertThat(now.libraries(binary, loader)).containsExactly(loader, libA, libB);
        now.libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
        assertThat(state.resolve(JailLibraries.FILE)).doesNotExist();
    }

    @Test
    void aCorruptFileIsIgnoredAndRebuilt() throws IOException {
        process().libraries(binary, loader);
        Path file = state.resolve(JailLibraries.FILE);
        String whole = Files.readString(file);
        Files.writeString(file, whole.substring(0, whole.length() - 7)); // cut short
        assertThat(process().libraries(binary, loader)).containsExactly(loader, libA, libB);
        assertThat(listed).containsExactly(binary, binary);
        assertThat(Files.readString(file)).isEqualTo(whole); // rebuilt
    }

    @Test
    void aFileWithAnotherLibraryListIsNotTakenOnTrust() throws IOException {
        // a listing edited to name /etc/shadow (with zlib's identity): /etc/shadow is not that file, so it is listed again
        process().libraries(binary, loader);
        Path file = state.resolve(JailLibraries.FILE);
        Files.writeString(file, Files.readString(file).replace(libA.toString(), "/etc/shadow"));
        assertThat(process().libraries(binary, loader)).containsExactly(loader, libA, libB);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void aFileOthersMayReadOrWriteIsIgnored() throws IOException {
        process().libraries(binary, loader);
        Files.setPosixFilePermissions(state.resolve(JailLibraries.FILE), PosixFilePermissions.fromString("rw-rw-r--"));
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void aSymbolicLinkInPlaceOfTheFileIsNotFollowed() throws IOException {
        process().libraries(binary, loader);
        Path file = state.resolve(JailLibraries.FILE);
        Path elsewhere = Files.move(file, dir.resolve("elsewhere"));
        Files.createSymbolicLink(file, elsewhere);
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    @RequiresHost
    void aFileOfAnotherOwnerIsIgnored() throws IOException {
        process().libraries(binary, loader);
        Files.setAttribute(state.resolve(JailLibraries.FILE), "unix:uid", 4242, LinkOption.NOFOLLOW_LINKS);
        process().libraries(binary, loader);
        assertThat(listed).containsExactly(binary, binary);
    }

    @Test
    void theFormatReadsBackWhatItWrites() {
        JailLibraries.Listing entry = new JailLibraries.Listing(binary, loader, List.of(loader, libA), Map.of(binary,
                new JailLibraries.FileId(1, 2, 3, 4, 5), loader, JailLibraries.FileId.ABSENT, libA, new JailLibraries.FileId(6, 7, 8, 9, 10)));
        assertThat(JailLibraries.parse(JailLibraries.format(List.of(entry)))).contains(List.of(entry));
        assertThat(JailLibraries.parse("qfence-jail-libraries 2\n")).isEmpty();
        assertThat(JailLibraries.parse(JailLibraries.HEADER + "\nentry\trelative\t/l\t0\t0\n")).isEmpty();
        assertThat(JailLibraries.parse(JailLibraries.HEADER + "\n")).contains(List.of());
    }
}
