package io.qfence.realize;

import io.qfence.model.desired.UidRange;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hands out one uid per VM from the host's {@code vmUidRange}, deterministically and without state.
 *
 * <p>Each VM has its own probe sequence: candidate {@code i} is {@code first + SHA-256("qfence-uid:GROUP/VM#i") mod
 * size}. VMs are served in the order of their {@code GROUP/VM} keys and each takes its first free candidate (after
 * {@value #HASHED_PROBES} hashed candidates, the next free uid counting up from the last one, wrapping around).
 *
 * <p><b>Stability.</b> A VM's uid depends only on its own key and on the VMs served before it that took one of its
 * candidates. So adding or removing another VM leaves every existing uid unchanged unless the two VMs' probe
 * sequences collide on the uid actually taken; with a range of {@code n} uids and {@code m} VMs that chance is
 * roughly {@code m/n} per added VM (e.g. 0.5% for 500 VMs in a range of 100000). A changed uid means a restart and a
 * re-owned tap, run directory and images, which is why the probe sequences are per VM rather than linear.
 */
final class UidAllocator {

    static final int HASHED_PROBES = 32;

    private UidAllocator() {}

    /**
     * @param keys {@code GROUP/VM} keys, unique
     * @return uid per key, in key order
     * @throws IllegalArgumentException when the range has fewer uids than there are keys
     */
    static Map<String, Long> allocate(UidRange range, List<String> keys) {
        if (keys.size() > range.size()) {
            throw new IllegalArgumentException("vmUidRange " + range.first() + ".." + range.last() + " holds " + range.size()
                    + " uids, but the host runs " + keys.size() + " VMs");
        }
        Set<Long> taken = new HashSet<>();
        Map<String, Long> result = new LinkedHashMap<>();
        for (String key : keys.stream().sorted().distinct().toList()) {
            long uid = -1;
            long candidate = range.first();
            for (int i = 0; i < HASHED_PROBES && uid < 0; i++) {
                candidate = candidate(range, key, i);
                if (!taken.contains(candidate)) {
                    uid = candidate;
                }
            }
            while (uid < 0) {
                candidate = candidate == range.last() ? range.first() : candidate + 1;
                if (!taken.contains(candidate)) {
                    uid = candidate;
                }
            }
            taken.add(uid);
            result.put(key, uid);
        }
        return result;
    }

    static long candidate(UidRange range, String key, int probe) {
        return range.first() + Long.remainderUnsigned(Hashing.sha256Long("qfence-uid:" + key + "#" + probe), range.size());
    }
}
