package io.qfence.model.host;

import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A cgroup qfence owns (a group's, or a VM's beneath it) with the values of its limit files.
 *
 * @param path  relative to the cgroup root, e.g. {@code qfence.slice/web/web-01}
 * @param files for v2, file names such as {@code memory.max}; for v1, {@code CONTROLLER/FILE} such as
 *              {@code memory/memory.limit_in_bytes}. Values are written and read back verbatim.
 */
public record Cgroup(String address, String path, CgroupVersion version, SortedMap<String, String> files) implements HostObject {

    public Cgroup {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(path, "path");
        if (path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("cgroup path must be relative without '..': " + path);
        }
        Objects.requireNonNull(version, "version");
        files = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    @Override
    public SortedMap<String, String> attributes() {
        SortedMap<String, String> a = new TreeMap<>();
        a.put("path", path);
        a.put("version", version.name().toLowerCase(java.util.Locale.ROOT));
        files.forEach((k, v) -> a.put("file " + k, v));
        return a;
    }
}
