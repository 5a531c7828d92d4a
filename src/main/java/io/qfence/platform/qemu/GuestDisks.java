package io.qfence.platform.qemu;

import io.qfence.model.host.CloudInitSeed;
import io.qfence.model.host.Overlay;
import io.qfence.platform.os.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The files behind real guests (DESIGN.md §17): base images, each VM's overlay, and the cloud-init seed volume.
 * Root does this work in imagesRoot (an operator's directory) and in the VM's run directory (which the VM's uid
 * owns), so nothing here follows a symlink and nothing is ever written over an existing overlay.
 */
public final class GuestDisks {

    /** A base image: root's and read-only for everyone, even by mode; every VM's uid may read it. */
    public static final int BASE_MODE = 0444;
    /** The seed volume: root's, read-only; QEMU (the VM's uid) opens it read-only. */
    public static final int SEED_MODE = 0444;
    static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);

    private GuestDisks() {}

    /** {@code qemu-img} beside the host's QEMU binary (both come with Debian's QEMU packages). */
    public static Path qemuImg(Path qemuBinary) {
        return qemuBinary.resolveSibling("qemu-img");
    }

    public static final Path XORRISO = Path.of("/usr/bin/xorriso");

    /**
     * A shared base image: resolved like every image (no symlink under imagesRoot, a regular file), then owned by
     * root with mode 0444. We fix rather than refuse (as for boot files): Git names the path, and whatever copied the
     * file there chose its mode; a VM's uid needs only to read it.
     */
    public static Path shareBase(Path imagesRoot, Path base) {
        Path real = GuestFiles.resolveImage(imagesRoot, base);
        SecureFiles.setOwnerAndMode(real, 0, 0, BASE_MODE);
        return real;
    }

    /**
     * The VM's overlay: created over its base when absent ({@code qemu-img create -f qcow2 -b BASE -F FORMAT}, into
     * a temporary name, then hard-linked to its place, which fails rather than replaces if a file appeared there),
     * then owned by the VM's uid with mode 0600. An existing overlay is never re-created or changed but for its owner
     * and mode. Returns whether it was created now.
     */
    public static boolean ensureOverlay(Path imagesRoot, Overlay overlay, Path qemuImg, long uid, long gid) {
        Path base = shareBase(imagesRoot, Path.of(overlay.base()));
        Path path = Path.of(overlay.path());
        Path dir = path.getParent();
        boolean created = false;
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
                SecureFiles.setDirectoryOwnerAndMode(dir, 0, 0, 0755);
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new GuestFiles.GuestFileException("overlay directory " + dir + " is not a directory (or is a symlink)");
            }
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                Path temporary = dir.resolve("." + path.getFileName() + ".new-" + ProcessHandle.current().pid());
                Files.deleteIfExists(temporary);
                run(List.of(qemuImg.toString(), "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", overlay.baseFormat(),
                        temporary.toString()), "create overlay " + path);
                try {
                    Files.createLink(path, temporary); // no-clobber, unlike rename
                    created = true;
                } finally {
                    Files.deleteIfExists(temporary);
                }
            }
        } catch (IOException e) {
            throw new GuestFiles.GuestFileException("overlay " + path + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
        GuestFiles.claimDisk(imagesRoot, path, uid, gid);
        return created;
    }

    /**
     * Writes the seed volume ({@code cidata.iso}: ISO 9660 with Joliet and Rock Ridge, volume id {@code cidata}) at
     * {@link CloudInitSeed#path()}: made by xorriso in a private temporary directory, then copied into the run
     * directory as a new file ({@code O_EXCL|O_NOFOLLOW} after removing any previous one), root's, mode 0444.
     */
    public static void writeSeed(CloudInitSeed seed, Path xorriso) {
        Path target = Path.of(seed.path());
        Path work = null;
        try {
            work = Files.createTempDirectory("qfence-seed-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path files = Files.createDirectory(work.resolve("cidata"));
            Files.writeString(files.resolve("meta-data"), seed.metaData(), StandardCharsets.UTF_8);
            Files.writeString(files.resolve("user-data"), seed.userData(), StandardCharsets.UTF_8);
            Files.writeString(files.resolve("network-config"), seed.networkConfig(), StandardCharsets.UTF_8);
            Path iso = work.resolve(CloudInitSeed.FILE_NAME);
            run(List.of(xorriso.toString(), "-as", "mkisofs", "-quiet", "-o", iso.toString(), "-V", CloudInitSeed.VOLUME_ID,
                    "-J", "-R", files.toString()), "write the cloud-init seed " + target);
            Files.deleteIfExists(target); // unlink: removes a symlink itself, never its target
            Files.write(target, Files.readAllBytes(iso), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            SecureFiles.setOwnerAndMode(target, 0, 0, SEED_MODE);
        } catch (IOException e) {
            throw new GuestFiles.GuestFileException("seed " + target + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        } finally {
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    /**
     * What identifies a base image's content without reading it: {@code dev:ino size mtime_ns}. A base changed in
     * place (rewritten, truncated, replaced by rename) shows a different identity; qfence records it at start.
     */
    public static String identity(Path base) {
        try {
            Map<String, Object> a = Files.readAttributes(base, "unix:dev,ino,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
            java.nio.file.attribute.FileTime mtime = (java.nio.file.attribute.FileTime) a.get("lastModifiedTime");
            long nanos = mtime.to(TimeUnit.NANOSECONDS);
            return a.get("dev") + ":" + a.get("ino") + " " + a.get("size") + " " + nanos;
        } catch (IOException e) {
            return "unreadable (" + io.qfence.model.errors.IoMessages.describe(e) + ")";
        }
    }

    private static void run(List<String> command, String what) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            builder.environment().put("LC_ALL", "C");
            Process p = builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new GuestFiles.GuestFileException(what + ": " + command.get(0) + " did not finish in " + TOOL_TIMEOUT.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                throw new GuestFiles.GuestFileException(what + ": " + command.get(0) + " exited " + p.exitValue() + ": " + output.strip());
            }
        } catch (IOException e) {
            throw new GuestFiles.GuestFileException(what + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestFiles.GuestFileException(what + ": interrupted", e);
        }
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            List<Path> all = new ArrayList<>(walk.toList());
            java.util.Collections.reverse(all);
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory of root's, 0700: left behind at worst
        }
    }
}
