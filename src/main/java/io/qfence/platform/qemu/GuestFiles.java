package io.qfence.platform.qemu;

import io.qfence.platform.os.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A guest's files: its run directory and its images. Root does this work in directories a guest's uid can write to
 * (its run directory) or that an operator fills (imagesRoot), so nothing here follows a symlink.
 *
 * <p>Images come in two kinds. A <b>disk</b> belongs to one VM: owned by its uid, mode 0600, so no other VM can open
 * it. A <b>boot file</b> (the {@code -kernel} and {@code -initrd} of direct kernel boot) is read once at start and
 * is commonly shared by many VMs (the probe guests all boot {@code kernels/vmlinuz}): it stays owned by root with
 * mode 0644, so that no VM can change what another boots. Each VM's AppArmor profile, where there is AppArmor,
 * still names only its own files.
 */
public final class GuestFiles {

    public static final int RUN_DIR_MODE = 0700;
    public static final int DISK_MODE = 0600;
    public static final int BOOT_FILE_MODE = 0644;

    /** What a previous run may have left, removed before a new start (QEMU recreates them). */
    static final List<String> LEFTOVERS = List.of("qmp.sock", "serial.sock", "qemu.pid");
    /** Logs kept for one more run as {@code NAME.prev}: the evidence of how the previous run ended. */
    static final List<String> ROTATED_LOGS = List.of("qemu.log", "serial.log");

    private GuestFiles() {}

    /**
     * Creates (or repairs) {@code runDir}: a real directory, not a symlink, owned by {@code uid}:{@code gid}, mode
     * 0700; removes a previous run's sockets and pidfile and keeps its logs as {@code *.prev}. The parent must be a
     * real directory that only root can write to.
     */
    public static void prepareRunDir(Path runDir, long uid, long gid) {
        requireAbsoluteNormal(runDir);
        Path parent = runDir.getParent();
        try {
            if (!Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
                // qfence's own runDir, made on first use: root's, 0755 (each VM's QEMU traverses it to its 0700 directory)
                // (and each missing directory above it 0755, whatever the umask)
                io.qfence.host.OwnDirectories.create(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            BasicFileAttributes parentAttributes = Files.readAttributes(parent, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!parentAttributes.isDirectory()) {
                throw new GuestFileException(parent + " must be a directory, not a symlink or file");
            }
            Object parentOwner = Files.getAttribute(parent, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int parentMode = (Integer) Files.getAttribute(parent, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (!Integer.valueOf(0).equals(parentOwner) || (parentMode & 0022) != 0) {
                throw new GuestFileException(parent + " must be owned by root and writable only by root, is uid " + parentOwner
                        + " mode 0" + Integer.toOctalString(parentMode & 07777));
            }
            if (Files.isSymbolicLink(runDir)) {
                throw new GuestFileException(runDir + " is a symlink; refusing to use it as a run directory");
            }
            if (!Files.exists(runDir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(runDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            SecureFiles.setDirectoryOwnerAndMode(runDir, uid, gid, RUN_DIR_MODE);
            for (String name : LEFTOVERS) {
                Files.deleteIfExists(runDir.resolve(name)); // unlink: removes a symlink itself, never its target
            }
            for (String name : ROTATED_LOGS) {
                Path log = runDir.resolve(name);
                if (Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(log, runDir.resolve(name + ".prev"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new GuestFileException("prepare run directory " + runDir + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
    }

    /**
     * Checks that {@code image} lies under {@code imagesRoot} with no symlink in any component below the root and
     * is a regular file, and returns its real path. The root itself may be a symlink (an operator's choice).
     */
    public static Path resolveImage(Path imagesRoot, Path image) {
        requireAbsoluteNormal(image);
        Path root;
        try {
            root = imagesRoot.toRealPath();
        } catch (IOException e) {
            throw new GuestFileException("imagesRoot " + imagesRoot + " does not exist", e);
        }
        Path relative;
        if (image.startsWith(imagesRoot)) {
            relative = imagesRoot.relativize(image);
        } else if (image.startsWith(root)) {
            relative = root.relativize(image);
        } else {
            throw new GuestFileException("image " + image + " is not under imagesRoot " + imagesRoot);
        }
        if (relative.toString().isEmpty()) {
            throw new GuestFileException("image " + image + " is imagesRoot itself");
        }
        Path current = root;
        for (Path part : relative) {
            current = current.resolve(part);
            if (Files.isSymbolicLink(current)) {
                throw new GuestFileException("image " + image + ": " + current + " is a symlink; images must not contain symlinks");
            }
        }
        if (!Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS)) {
            throw new GuestFileException("image " + image + " is not a regular file");
        }
        try {
            Path real = current.toRealPath();
            if (!real.startsWith(root)) {
                throw new GuestFileException("image " + image + " resolves to " + real + ", outside imagesRoot");
            }
            return real;
        } catch (IOException e) {
            throw new GuestFileException("resolve image " + image + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
    }

    /** A VM's own disk: resolved safely, then owned by its uid and gid with mode 0600 (set through O_NOFOLLOW). */
    public static Path claimDisk(Path imagesRoot, Path disk, long uid, long gid) {
        Path real = resolveImage(imagesRoot, disk);
        SecureFiles.setOwnerAndMode(real, uid, gid, DISK_MODE);
        return real;
    }

    /** A shared boot file: resolved safely, then owned by root with mode 0644, so no VM can modify it. */
    public static Path shareBootFile(Path imagesRoot, Path bootFile) {
        Path real = resolveImage(imagesRoot, bootFile);
        SecureFiles.setOwnerAndMode(real, 0, 0, BOOT_FILE_MODE);
        return real;
    }

    private static void requireAbsoluteNormal(Path path) {
        if (!path.isAbsolute() || !path.normalize().equals(path) || path.getParent() == null) {
            throw new GuestFileException("path must be absolute and normalized, got " + path);
        }
    }

    /** A guest file that is missing, misplaced or unsafe to use. */
    static final class GuestFileException extends RuntimeException {
        GuestFileException(String message) {
            super(message);
        }

        GuestFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
