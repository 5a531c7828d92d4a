package io.qfence.platform.qemu;

import io.qfence.model.host.Guest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * qfence's own record of the guests it started: one root-owned file {@code stateDir/guests/VM.json} per guest, written
 * atomically once the guest passed its checks and runs, removed once a stop is confirmed.
 *
 * <p>Why a record of its own: everything in a guest's run directory (its pidfile, its sockets) is writable by the
 * VM's uid, hence untrusted. The record names the process by pid <em>and</em> start time (which no later process can
 * share), and holds the realized {@link Guest} as it was started: its configuration cannot be rebuilt from
 * {@code /proc} (the AppArmor mode, for instance, is not on the command line), and observation must report the
 * configuration a guest runs, not the one now desired.
 *
 * <p>The file's format is the registry's own ({@link GuestRecordFormat}, versioned), not the plan's snapshot format:
 * records outlive an upgrade while their guests run, so a new release reads every format an older one wrote.
 */
public final class GuestRegistry {

    private static final Pattern VM_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final Path directory;

    /**
     * One started guest.
     *
     * @param guest     the realized guest as started (state RUNNING, no runtime facts)
     * @param pid       QEMU's pid
     * @param startTime the process's start time ({@code /proc/PID/stat} field 22), which tells it from a later
     *                  process that reuses the pid
     * @param startedAt when qfence started it
     */
    /**
     * @param baseIdentity the base image's {@code dev:ino size mtime_ns} when the guest started (DESIGN.md §17), so
     *                     that a base changed under the running guest is seen as drift
     */
    public record Entry(Guest guest, long pid, long startTime, Instant startedAt, java.util.Optional<String> baseIdentity) {
        public Entry(Guest guest, long pid, long startTime, Instant startedAt) {
            this(guest, pid, startTime, startedAt, java.util.Optional.empty());
        }

        public Entry {
            Objects.requireNonNull(guest, "guest");
            Objects.requireNonNull(baseIdentity, "baseIdentity");
            if (pid < 2) {
                throw new IllegalArgumentException("a guest's pid is at least 2, got " + pid);
            }
            Objects.requireNonNull(startedAt, "startedAt");
        }

        public String vm() {
            return guest.vm();
        }
    }

    public GuestRegistry(Path stateDir) {
        this.directory = stateDir.resolve("guests");
    }

    public Path directory() {
        return directory;
    }

    /** Records (or replaces) the entry of a started guest: written to a temporary file, synced, renamed, synced. */
    public void record(Entry entry) {
        Path file = fileOf(entry.vm());
        try {
            ensureDirectory();
            Path temporary = directory.resolve("." + entry.vm() + ".json.tmp");
            Files.deleteIfExists(temporary);
            try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer bytes = ByteBuffer.wrap(GuestRecordFormat.write(entry));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
        } catch (IOException e) {
            throw new GuestFiles.GuestFileException("record guest " + entry.vm() + " in " + file + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
    }

    public Optional<Entry> find(String vm) {
        Path file = fileOf(vm);
        try {
            return Optional.of(read(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw unreadable(file, io.qfence.model.errors.IoMessages.describe(e));
        }
    }

    /**
     * Every recorded guest, by VM name.
     *
     * @throws GuestFiles.GuestFileException naming the file when a record cannot be read: qfence would otherwise lose track
     *                               of a guest it may have started, and start a second one
     */
    public List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.json")) {
            for (Path file : files) {
                if (!file.getFileName().toString().startsWith(".")) {
                    entries.add(read(file));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new GuestFiles.GuestFileException("list guest records in " + directory + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
        entries.sort(Comparator.comparing(Entry::vm));
        return entries;
    }

    /** Forgets a guest (after a confirmed stop, or once its end has been seen); a missing record is fine. */
    public void remove(String vm) {
        try {
            if (Files.deleteIfExists(fileOf(vm))) {
                syncDirectory();
            }
        } catch (IOException e) {
            throw new GuestFiles.GuestFileException("remove guest record " + fileOf(vm) + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
    }

    private Path fileOf(String vm) {
        if (!VM_NAME.matcher(vm).matches()) {
            throw new IllegalArgumentException("not a VM name: '" + vm + "'");
        }
        return directory.resolve(vm + ".json");
    }

    private Entry read(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(file.toString());
            }
            throw unreadable(file, "not a regular file");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Entry entry;
        try {
            entry = GuestRecordFormat.read(text);
        } catch (RuntimeException e) {
            throw unreadable(file, e.getMessage());
        }
        if (!file.getFileName().toString().equals(entry.vm() + ".json")) {
            throw unreadable(file, "holds guest " + entry.vm());
        }
        return entry;
    }

    private static GuestFiles.GuestFileException unreadable(Path file, String why) {
        return new GuestFiles.GuestFileException("unreadable guest record " + file + ": " + why
                + "; check that no guest of it still runs, then remove the file");
    }

    private void ensureDirectory() throws IOException {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(directory.getParent());
            try {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another thread made it
            }
        }
        if (Files.isSymbolicLink(directory)) {
            throw new IOException(directory + " is a symlink");
        }
    }

    private void syncDirectory() throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

}
