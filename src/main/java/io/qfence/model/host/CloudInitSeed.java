package io.qfence.model.host;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A VM's cloud-init NoCloud seed (DESIGN.md §17), as realized: the three texts the guest reads and where the guest
 * adapter writes them as an ISO 9660 volume labelled {@code cidata}.
 *
 * @param path          absolute: {@code runDir/<vm>/cidata.iso}
 * @param instanceId    {@code qf-} and 16 hex digits of SHA-256 over the content without the id itself
 * @param parts         short digests of what a reviewer recognises (network, sshKeys, users, userData), so a plan
 *                      can say which part of the seed changed
 */
public record CloudInitSeed(String path, String instanceId, String metaData, String networkConfig, String userData,
                            SortedMap<String, String> parts) {

    public static final String VOLUME_ID = "cidata";
    public static final String FILE_NAME = "cidata.iso";
    private static final Pattern INSTANCE_ID = Pattern.compile("qf-[0-9a-f]{16}");

    public CloudInitSeed {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("seed path must be absolute: " + path);
        }
        if (instanceId == null || !INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("instance-id must be qf- and 16 hex digits, got " + instanceId);
        }
        Objects.requireNonNull(metaData, "metaData");
        Objects.requireNonNull(networkConfig, "networkConfig");
        Objects.requireNonNull(userData, "userData");
        parts = Collections.unmodifiableSortedMap(new TreeMap<>(parts));
    }
}
