package io.qfence.platform.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Jail}'s root holds: directories, symbolic links and bind mounts, each at the path it has on the host,
 * so that every path in QEMU's command line means the same file inside the jail as outside (the command line, its
 * digest and an AppArmor profile's paths stay valid).
 *
 * <p>A host path is <em>mirrored</em> component by component: a directory becomes a directory, a symbolic link the
 * same link (so {@code /lib64/ld-linux-x86-64.so.2} still leads through {@code /lib64 -> usr/lib64} on a merged-/usr
 * host), and the final, resolved object a bind mount of exactly that file or directory. Nothing else of the host is
 * in the jail.
 */
public record JailLayout(List<JailEntry> entries) {

    public JailLayout {
        entries = List.copyOf(entries);
        for (JailEntry e : entries) {
            if (!e.path().isAbsolute() || !e.path().normalize().equals(e.path()) || e.path().getNameCount() == 0) {
                throw new IllegalArgumentException("jail path must be absolute, normal and not /: " + e.path());
            }
        }
        for (JailEntry e : entries) {
            if (e instanceof DeviceNode node && !(entries.contains(new Directory(node.path().getParent())))) {
                throw new IllegalArgumentException("jail device node " + node.path() + " needs its directory in the jail");
            }
        }
        // A mount point inside a bind mount would be created in the host's directory, not in the jail's root.
        for (JailEntry e : entries) {
            if (e instanceof BindMount b) {
                for (JailEntry other : entries) {
                    if (other != e && other.path().startsWith(b.path())) {
                        throw new IllegalArgumentException("jail entry " + other.path() + " lies inside the bind mount " + b.path());
                    }
                }
            }
        }
    }

    /** How QEMU may use a bind-mounted file; every bind is {@code nosuid}. */
    public enum Access {
        /** The binary, its loader, libraries and modules: read-only, executable. */
        EXECUTE,
        /** Firmware, ROMs, boot files: read-only, {@code noexec}, {@code nodev}. */
        READ,
        /** The VM's own disks and run directory: read-write, {@code noexec}, {@code nodev}. */
        READ_WRITE,
        /** A device node ({@code /dev/null}...): read-only mount (writes to a device still work), {@code noexec}. */
        DEVICE
    }

    public sealed interface JailEntry {
        Path path();
    }

    public record Directory(Path path) implements JailEntry {}

    public record Symlink(Path path, Path target) implements JailEntry {}

    /** A bind mount of the host's {@code path} at the same path in the jail. */
    public record BindMount(Path path, Access access, boolean directory) implements JailEntry {}

    /**
     * A character device node made in the jail with {@code mknod}, the jailer's way (Firecracker's jailer makes
     * {@code /dev/kvm} so): the same major:minor as the host's node at {@code path} (read with {@code stat} when the
     * jail is built; refused unless that is a character device), owned by {@code uid:gid} with {@code mode}. The host's
     * node is neither mounted nor changed, so a host keeps its own permissions (Debian: {@code 0660 root:kvm}) and a
     * VM uid without groups can still open its own node. Its directory becomes a small tmpfs of its own, the only
     * mount of the jail without {@code nodev} (still {@code nosuid}, {@code noexec}, read-only once built).
     */
    public record DeviceNode(Path path, long uid, long gid, int mode) implements JailEntry {
        public DeviceNode {
            Objects.requireNonNull(path, "path");
            if (uid < 0 || gid < 0) {
                throw new IllegalArgumentException("device node " + path + " needs an owner, got " + uid + ":" + gid);
            }
            if ((mode & ~0777) != 0) {
                throw new IllegalArgumentException("device node " + path + " mode must be permission bits only, got 0" + Integer.toOctalString(mode));
            }
        }
    }

    /** The directories that hold a {@link DeviceNode}: each gets a tmpfs that allows device nodes. */
    public List<Path> deviceDirectories() {
        return entries.stream().filter(DeviceNode.class::isInstance).map(e -> e.path().getParent()).distinct().toList();
    }

    public List<BindMount> binds() {
        return entries.stream().filter(BindMount.class::isInstance).map(BindMount.class::cast).toList();
    }

    /** Every path that exists in the jail (directories, links, mount points), for checks and tests. */
    public List<Path> paths() {
        return entries.stream().map(JailEntry::path).toList();
    }

    /** Collects entries; a path mirrored twice keeps its first access. */
    public static final class Builder {
        private static final int MAX_LINKS = 40;
        private final Map<Path, JailEntry> entries = new LinkedHashMap<>();

        /**
         * Mirrors {@code hostPath} (absolute): every directory and symbolic link on the way, and the object it
         * resolves to as a bind mount with {@code access}.
         *
         * @throws IllegalArgumentException if the path does not exist on the host or loops
         */
        public Builder mirror(Path hostPath, Access access) {
            Objects.requireNonNull(access, "access");
            if (!hostPath.isAbsolute()) {
                throw new IllegalArgumentException("cannot mirror a relative path: " + hostPath);
            }
            Deque<String> rest = new ArrayDeque<>();
            hostPath.forEach(name -> rest.addLast(name.toString()));
            Path current = Path.of("/");
            int links = 0;
            while (!rest.isEmpty()) {
                String name = rest.removeFirst();
                if (name.equals(".") || name.isEmpty()) {
                    continue;
                }
                if (name.equals("..")) {
                    current = current.getParent() == null ? current : current.getParent();
                    continue;
                }
                Path next = current.resolve(name);
                // a directory or link this builder has just mirrored for another path (the libraries share /usr/lib/...)
                // is taken as found then, not stat'ed again
                JailEntry seen = entries.get(next);
                if (seen instanceof Directory && !rest.isEmpty()) {
                    current = next;
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(next, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot put " + hostPath + " in the jail: " + next + " does not exist", e);
                }
                if (attributes.isSymbolicLink()) {
                    if (++links > MAX_LINKS) {
                        throw new IllegalArgumentException("cannot put " + hostPath + " in the jail: too many symbolic links");
                    }
                    Path target;
                    try {
                        target = Files.readSymbolicLink(next);
                    } catch (IOException e) {
                        throw new IllegalArgumentException("cannot read link " + next, e);
                    }
                    entries.putIfAbsent(next, new Symlink(next, target));
                    List<String> names = new ArrayList<>();
                    target.forEach(n -> names.add(n.toString()));
                    for (int i = names.size() - 1; i >= 0; i--) {
                        rest.addFirst(names.get(i));
                    }
                    if (target.isAbsolute()) {
                        current = Path.of("/");
                    }
                    continue;
                }
                if (rest.isEmpty()) {
                    if (!(entries.get(next) instanceof BindMount)) {
                        entries.put(next, new BindMount(next, access, attributes.isDirectory()));
                    }
                } else if (attributes.isDirectory()) {
                    entries.putIfAbsent(next, new Directory(next));
                } else {
                    throw new IllegalArgumentException("cannot put " + hostPath + " in the jail: " + next + " is not a directory");
                }
                current = next;
            }
            return this;
        }

        /**
         * An empty directory at {@code path} (absolute) and at each directory above it, made in the jail's own root:
         * nothing of the host is behind it. For a program of the launch chain that only checks that a path exists.
         */
        public Builder directory(Path path) {
            if (!path.isAbsolute() || !path.normalize().equals(path) || path.getNameCount() == 0) {
                throw new IllegalArgumentException("jail directory must be absolute, normal and not /: " + path);
            }
            Path current = Path.of("/");
            for (Path name : path) {
                current = current.resolve(name);
                entries.putIfAbsent(current, new Directory(current));
            }
            return this;
        }

        /** A {@link DeviceNode} at {@code path} (absolute, under a directory other than /) and its directories. */
        public Builder deviceNode(Path path, long uid, long gid, int mode) {
            if (!path.isAbsolute() || !path.normalize().equals(path) || path.getNameCount() < 2) {
                throw new IllegalArgumentException("jail device node must be absolute, normal and below a directory: " + path);
            }
            directory(path.getParent());
            entries.put(path, new DeviceNode(path, uid, gid, mode));
            return this;
        }

        public JailLayout build() {
            return new JailLayout(new ArrayList<>(entries.values()));
        }
    }
}
