package io.qfence.platform.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * Kernel settings of one network namespace, through {@code /proc/sys}.
 *
 * <p>The kernel resolves {@code /proc/sys/net/...} against the network namespace of the <em>calling thread</em>,
 * not of the process or of whoever mounted {@code /proc}; so every read and write runs on the namespace's own thread
 * ({@link NetNamespace#call}). Keys use the dotted form ({@code net.ipv4.ip_forward}); an interface name with a
 * dot cannot be addressed this way (qfence's names never have one).
 */
public final class Sysctls {

    private static final Path ROOT = Path.of("/proc/sys");
    private static final int ENOENT = 2;
    private static final int EIO = 5;

    private final NetNamespace namespace;

    private Sysctls(NetNamespace namespace) {
        this.namespace = namespace;
    }

    public static Sysctls in(NetNamespace namespace) {
        return new Sysctls(Objects.requireNonNull(namespace, "namespace"));
    }

    /** The file of a key: {@code net.ipv4.ip_forward} is {@code /proc/sys/net/ipv4/ip_forward}. */
    static Path pathOf(String key) {
        if (!key.matches("[a-z0-9_]+(\\.[a-zA-Z0-9_-]+)+")) {
            throw new IllegalArgumentException("invalid sysctl key '" + key + "'");
        }
        return ROOT.resolve(key.replace('.', '/'));
    }

    /** The current value, trimmed; empty when this kernel (or namespace) has no such key. */
    public Optional<String> read(String key) {
        Path path = pathOf(key);
        return namespace.call(() -> {
            try {
                return Optional.of(Files.readString(path, StandardCharsets.UTF_8).strip());
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new OsException("read sysctl " + key, EIO, io.qfence.model.errors.IoMessages.describe(e));
            }
        });
    }

    /** Sets a key; fails with ENOENT when it does not exist (e.g. {@code net.bridge.*} without br_netfilter). */
    public void write(String key, String value) {
        Path path = pathOf(key);
        if (value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("sysctl value for " + key + " must be one line");
        }
        namespace.run(() -> {
            try {
                Files.writeString(path, value + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (NoSuchFileException e) {
                throw new OsException("write sysctl " + key, ENOENT, "no such key in this kernel or namespace");
            } catch (IOException e) {
                throw new OsException("write sysctl " + key + "=" + value, EIO, io.qfence.model.errors.IoMessages.describe(e));
            }
        });
    }
}
