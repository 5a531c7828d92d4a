package io.qfence.host;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Creates one of qfence's own directories ({@code stateDir}, {@code runDir}) on first use, with the directories above
 * it that are missing. The directory itself gets the mode its role needs; every missing directory above it gets 0755,
 * whatever the umask, as {@code mkdir -p} does under the usual one.
 *
 * <p>Why not {@code Files.createDirectories(dir, mode)}: it gives every missing parent the leaf's mode. With
 * {@code --state-dir /tmp/x/state --run-dir /tmp/x/run} (the README's walkthrough), the lock made {@code /tmp/x} 0700
 * for {@code stateDir}, and every guest start then failed with QEMU's "cannot create PID file: Permission denied",
 * after the network and cgroups were in place: the VMs' uids could not pass through {@code /tmp/x} to {@code runDir}.
 */
public final class OwnDirectories {

    private static final Set<PosixFilePermission> PASSABLE = PosixFilePermissions.fromString("rwxr-xr-x");

    private OwnDirectories() {}

    /** Creates {@code dir} with {@code mode}, and each missing directory above it with 0755; an existing one is left as it is. */
    public static void create(Path dir, Set<PosixFilePermission> mode) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        Deque<Path> missing = new ArrayDeque<>();
        for (Path d = absolute; d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) {
            missing.push(d);
        }
        while (!missing.isEmpty()) {
            Path d = missing.pop();
            try {
                Files.createDirectory(d);
            } catch (FileAlreadyExistsException raced) {
                continue; // made meanwhile by someone else: theirs, left as it is
            }
            // set after creation, so that the umask cannot narrow it
            Files.setPosixFilePermissions(d, d.equals(absolute) ? mode : PASSABLE);
        }
    }
}
