package io.qfence.daemon.notify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A secret (a forge token, the notification webhook's key) kept in a file, never on the command line (where
 * {@code ps} and {@code /proc/PID/cmdline} show it to every user). A file that every user may read is refused: the
 * secret would be no secret. Read when used, so that a rotated token takes effect without a restart.
 */
public final class SecretFile {

    private SecretFile() {
    }

    /**
     * Checks that {@code file} is a regular file, not readable by others, and not empty.
     *
     * @param what names the option in messages, e.g. {@code --forge-token-file}
     * @throws IOException with the reason, naming the file and never its content
     */
    public static void check(String what, Path file) throws IOException {
        read(what, file);
    }

    /** The secret: the file's content without surrounding whitespace (a final newline is not part of it). */
    public static String read(String what, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(what + " " + file + " is not a regular file");
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IOException(what + " " + file + " is readable by every user (" + PosixFilePermissions
                        .toString(permissions) + "): chmod o-r " + file);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
        String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (secret.isEmpty()) {
            throw new IOException(what + " " + file + " is empty");
        }
        if (secret.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IOException(what + " " + file + " holds more than one line, or a control character");
        }
        return secret;
    }
}
