package io.qfence.model.desired;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A VM configured by cloud-init from a NoCloud seed that qfence generates (DESIGN.md §17).
 *
 * @param userData extra cloud-config from Git: top-level key to its value as compact JSON text (JSON is YAML), only
 *                 keys of {@link #ALLOWED_MODULES}; the loader has checked the size cap and the write_files paths
 */
public record CloudInit(SortedMap<String, String> userData) {

    /** The cloud-config keys Git may set. Nothing here can change the network, the accounts or sshd. */
    public static final List<String> ALLOWED_MODULES = List.of("apt", "final_message", "locale", "ntp", "package_update",
            "package_upgrade", "packages", "runcmd", "timezone", "write_files");
    /** The largest extra user-data, as qfence renders it (compact JSON per key). */
    public static final int MAX_USER_DATA_BYTES = 16 * 1024;
    /** Paths extra write_files may not touch: sshd's and the network's configuration, and cloud-init's own. */
    public static final List<String> PROTECTED_PATHS = List.of("/etc/ssh/", "/etc/netplan/", "/etc/network/", "/etc/cloud/",
            "/etc/systemd/network/", "/etc/sudoers");

    public static final CloudInit PLAIN = new CloudInit(new TreeMap<>());

    public CloudInit {
        userData = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(userData, "userData")));
        Set<String> allowed = Set.copyOf(ALLOWED_MODULES);
        for (String key : userData.keySet()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException("userData: '" + key + "' is not allowed (allowed: " + String.join(", ", ALLOWED_MODULES) + ")");
            }
        }
        int size = userData.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length() + 3).sum();
        if (size > MAX_USER_DATA_BYTES) {
            throw new IllegalArgumentException("userData is " + size + " bytes, more than " + MAX_USER_DATA_BYTES);
        }
    }

    /** Whether extra write_files may write {@code path}. */
    public static boolean writablePath(String path) {
        if (path == null || !path.startsWith("/") || path.contains("/../") || path.endsWith("/..")) {
            return false;
        }
        return PROTECTED_PATHS.stream().noneMatch(p -> path.startsWith(p) || (path + "/").equals(p) || path.equals(p));
    }
}
