package io.qfence.platform.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The shared libraries the ELF interpreter loads for a host binary ({@code ld.so --list}), remembered across qfence
 * processes (DESIGN.md §9, "What the jail holds"): listing them takes a process per binary, five per jailed start
 * (QEMU, its TCG module, {@code sh}, {@code mount}, {@code setpriv}), 300 to 600 ms on the first start of every
 * qfence process before this cache.
 *
 * <p>A listing is served only while nothing it was computed from has changed: every entry records the identity
 * ({@link FileId}: device, inode, size, modification and status-change time in nanoseconds) of the binary, the
 * loader, {@code /etc/ld.so.cache} (present or absent) and every listed library, and each lookup stats them all again
 * (about 60 {@code stat}s per start, well under a millisecond) before it answers. A package upgrade replaces files
 * (a new inode, a new ctime) and {@code ldconfig} rewrites the cache, so neither can be served stale. A listing whose
 * files changed while it ran (a status change at or after its start) is used once and not remembered.
 *
 * <p>The file ({@link #FILE} in qfence's state directory) is qfence's alone: written to a temporary file created
 * {@code 0600}, renamed into place. It is read only when it is a regular file (not followed through a link) owned by
 * qfence's own uid with no permission for group or others, and parsed strictly (a version line, absolute paths,
 * numbers); anything else is ignored as a whole and the file rebuilt from fresh listings, so a corrupt or foreign file
 * costs the listings, never a wrong jail.
 */
public final class JailLibraries {

    /** The cache file's name in the state directory. */
    public static final String FILE = "jail-libraries";
    static final String HEADER = "qfence-jail-libraries 1";
    /** What the loader reads to find libraries: a listing depends on it too. */
    static final Path LD_SO_CACHE = Path.of("/etc/ld.so.cache");
    /** A status change this close to a listing's start may have happened while it ran (ctime is coarse). */
    static final long RACE_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_ENTRIES = 256;
    private static final int MAX_FILES = 4096;

    /** One file's identity; {@link #ABSENT} for a file that does not exist. */
    public record FileId(long dev, long ino, long size, long mtimeNanos, long ctimeNanos) {
        public static final FileId ABSENT = new FileId(-1, -1, -1, -1, -1);

        /** Follows links: a library's path is usually a link to a versioned file, and the file is what is loaded. */
        public static FileId of(Path path) throws IOException {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(path, "unix:dev,ino,size,lastModifiedTime,ctime");
            } catch (NoSuchFileException e) {
                return ABSENT;
            }
            return new FileId((Long) a.get("dev"), (Long) a.get("ino"), (Long) a.get("size"), nanos((FileTime) a.get("lastModifiedTime")),
                    nanos((FileTime) a.get("ctime")));
        }

        private static long nanos(FileTime time) {
            return time.to(TimeUnit.NANOSECONDS);
        }
    }

    /**
     * One listing and what it depends on.
     *
     * @param libraries the loader first, then every library, as {@code ld.so --list} resolved them
     * @param files     every file the listing depends on, with its identity when listed
     */
    public record Listing(Path elf, Path loader, List<Path> libraries, Map<Path, FileId> files) {
        public Listing {
            Objects.requireNonNull(elf, "elf");
            Objects.requireNonNull(loader, "loader");
            libraries = List.copyOf(libraries);
            files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
            for (Path p : concat(List.of(elf, loader), libraries, files.keySet())) {
                if (!p.isAbsolute()) {
                    throw new IllegalArgumentException("a listed path must be absolute, got " + p);
                }
                if (p.toString().contains("\t") || p.toString().contains("\n")) {
                    throw new IllegalArgumentException("a listed path must not hold a tab or a newline: " + p);
                }
            }
            if (!files.keySet().containsAll(libraries) || !files.containsKey(elf) || !files.containsKey(loader)) {
                throw new IllegalArgumentException("an entry must record the identity of " + elf + ", its loader and every library");
            }
        }

        /** Whether every file is still the one listed. */
        boolean current() {
            for (Map.Entry<Path, FileId> f : files.entrySet()) {
                try {
                    if (!FileId.of(f.getKey()).equals(f.getValue())) {
                        return false;
                    }
                } catch (IOException e) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Runs {@code loader --list elf}: the loader, then the libraries. */
    @FunctionalInterface
    public interface Lister extends BiFunction<Path, Path, List<Path>> {}

    private final Optional<Path> file;
    private final Lister lister;
    private final long ownUid;
    private final java.util.function.LongSupplier clock;
    private final Map<String, Listing> entries = new ConcurrentHashMap<>();
    private final Map<String, Object> listing = new ConcurrentHashMap<>();
    private boolean loaded;

    /**
     * @param file   the cache file, or empty for a cache in this process only (still re-checked on every lookup)
     * @param lister how a listing is made
     * @param ownUid the uid the file must belong to (qfence's effective uid)
     */
    public JailLibraries(Optional<Path> file, Lister lister, long ownUid) {
        this(file, lister, ownUid, () -> System.currentTimeMillis() * 1_000_000L);
    }

    /** The same with the wall clock (in nanoseconds since the epoch, as file times are) given: for tests. */
    JailLibraries(Optional<Path> file, Lister lister, long ownUid, java.util.function.LongSupplier clock) {
        this.file = Objects.requireNonNull(file, "file");
        this.lister = Objects.requireNonNull(lister, "lister");
        this.ownUid = ownUid;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** qfence's own effective uid, as the kernel shows it (the owner of {@code /proc/self}). */
    public static long ownUid() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException e) {
            throw new GuestLaunchException("cannot read qfence's own uid from /proc/self: " + e.getMessage(), e);
        }
    }

    /** The libraries of {@code elf} as {@code loader} resolves them, from the cache when nothing changed. */
    public List<Path> libraries(Path elf, Path loader) {
        String key = elf + "\0" + loader;
        synchronized (this) {
            if (!loaded) {
                loaded = true;
                file.flatMap(f -> read(f, ownUid)).ifPresent(found -> found.forEach(e -> entries.put(e.elf() + "\0" + e.loader(), e)));
            }
        }
        Listing cached = entries.get(key);
        if (cached != null && cached.current()) {
            return cached.libraries();
        }
        // parallel starts of one apply need the same listings: one lists, the others wait for it and take it
        synchronized (listing.computeIfAbsent(key, k -> new Object())) {
            Listing again = entries.get(key);
            if (again != null && again != cached && again.current()) {
                return again.libraries();
            }
            return list(key, elf, loader);
        }
    }

    private List<Path> list(String key, Path elf, Path loader) {
        long started = clock.getAsLong();
        Map<Path, FileId> files = new LinkedHashMap<>();
        try {
            // taken before the listing, so that a change while it runs shows as a difference on the next lookup
            files.put(elf, FileId.of(elf));
            files.put(loader, FileId.of(loader));
            files.put(LD_SO_CACHE, FileId.of(LD_SO_CACHE));
        } catch (IOException e) {
            throw new GuestLaunchException("cannot read " + elf + " to compute the jail: " + e.getMessage(), e);
        }
        List<Path> libraries = lister.apply(elf, loader);
        for (Path library : libraries) {
            try {
                files.putIfAbsent(library, FileId.of(library));
            } catch (IOException e) {
                throw new GuestLaunchException("cannot read " + library + " to compute the jail: " + e.getMessage(), e);
            }
        }
        boolean settled = files.values().stream().allMatch(id -> id.ctimeNanos() < started - RACE_MARGIN_NANOS);
        if (settled) {
            entries.put(key, new Listing(elf, loader, libraries, files));
            file.ifPresent(this::write);
        } else {
            entries.remove(key);
        }
        return List.copyOf(libraries);
    }

    /** The entries of a cache file, or empty when it is not one qfence may trust (see the class comment). */
    static Optional<List<Listing>> read(Path file, long ownUid) {
        try {
            Map<String, Object> before = Files.readAttributes(file, "unix:uid,mode,dev,ino", LinkOption.NOFOLLOW_LINKS);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || ((Integer) before.get("uid")) != ownUid
                    || (((Integer) before.get("mode")) & 077) != 0) {
                return Optional.empty();
            }
            byte[] bytes;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                if (channel.size() > 4 * 1024 * 1024) {
                    return Optional.empty();
                }
                ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
                while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                    // read it all
                }
                bytes = buffer.array();
            }
            Map<String, Object> after = Files.readAttributes(file, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            if (!after.get("dev").equals(before.get("dev")) || !after.get("ino").equals(before.get("ino"))) {
                return Optional.empty(); // replaced while read: the next write makes a fresh one
            }
            return parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Pure: the entries of a cache file's text, or empty when any line is wrong. The format: the {@link #HEADER} line,
     * then per entry (paths absolute, as listed) {@code entry\tELF\tLOADER\tLIBRARIES\tFILES}, {@code LIBRARIES} lines {@code lib\tPATH} and
     * {@code FILES} lines {@code file\tPATH\tDEV\tINO\tSIZE\tMTIME_NS\tCTIME_NS}.
     */
    static Optional<List<Listing>> parse(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length < 2 || !lines[0].equals(HEADER) || !lines[lines.length - 1].isEmpty()) {
            return Optional.empty();
        }
        List<Listing> entries = new ArrayList<>();
        int i = 1;
        try {
            while (i < lines.length - 1) {
                String[] head = lines[i++].split("\t", -1);
                if (head.length != 5 || !head[0].equals("entry") || entries.size() >= MAX_ENTRIES) {
                    return Optional.empty();
                }
                int libs = Integer.parseInt(head[3]);
                int files = Integer.parseInt(head[4]);
                if (libs < 0 || files < 0 || libs > MAX_FILES || files > MAX_FILES || i + libs + files > lines.length - 1) {
                    return Optional.empty();
                }
                List<Path> libraries = new ArrayList<>();
                for (int n = 0; n < libs; n++) {
                    String[] f = lines[i++].split("\t", -1);
                    if (f.length != 2 || !f[0].equals("lib")) {
                        return Optional.empty();
                    }
                    libraries.add(absolute(f[1]));
                }
                Map<Path, FileId> ids = new LinkedHashMap<>();
                for (int n = 0; n < files; n++) {
                    String[] f = lines[i++].split("\t", -1);
                    if (f.length != 7 || !f[0].equals("file")) {
                        return Optional.empty();
                    }
                    ids.put(absolute(f[1]), new FileId(Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]),
                            Long.parseLong(f[6])));
                }
                entries.add(new Listing(absolute(head[1]), absolute(head[2]), libraries, ids));
            }
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        return Optional.of(List.copyOf(entries));
    }

    /**
     * An absolute path as it was listed: not required to be normal, because QEMU's module is found through the
     * binary's directory ({@code /usr/bin/../lib/...}, as QEMU itself looks for it) and is keyed so.
     */
    private static Path absolute(String path) {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException("not an absolute path: " + path);
        }
        return p;
    }

    /** Pure: the text of a cache file holding {@code entries}. */
    static String format(List<Listing> entries) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (Listing e : entries) {
            b.append("entry\t").append(e.elf()).append('\t').append(e.loader()).append('\t').append(e.libraries().size()).append('\t')
                    .append(e.files().size()).append('\n');
            e.libraries().forEach(l -> b.append("lib\t").append(l).append('\n'));
            e.files().forEach((p, id) -> b.append("file\t").append(p).append('\t').append(id.dev()).append('\t').append(id.ino()).append('\t')
                    .append(id.size()).append('\t').append(id.mtimeNanos()).append('\t').append(id.ctimeNanos()).append('\n'));
        }
        return b.toString();
    }

    /**
     * Writes every entry this process knows; a failure to write only costs the next process its listings. Entries
     * are keyed by binary and loader, so two processes writing at once each leave a file that is whole and true.
     */
    private synchronized void write(Path target) {
        Path temporary = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            if (!Files.isDirectory(target.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                return; // the state directory is made, with its own mode, by whoever owns it (the registry)
            }
            Files.deleteIfExists(temporary);
            try (FileChannel channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer bytes = ByteBuffer.wrap(format(List.copyOf(entries.values())).getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing more to do: the cache is an optimisation
            }
        }
    }

    @SafeVarargs
    private static List<Path> concat(java.util.Collection<Path>... parts) {
        List<Path> all = new ArrayList<>();
        for (java.util.Collection<Path> part : parts) {
            all.addAll(part);
        }
        return all;
    }
}
