package io.qfence.model.desired;

/** The unprivileged uids (and equal gids) that qfence hands out, one per VM. Never below 1000. */
public record UidRange(long first, long last) {

    public static final long MIN_UNPRIVILEGED = 1000;
    public static final long MAX_UID = 4_294_967_294L; // 2^32-2: (uid_t)-1 means "no change" to setresuid

    public UidRange {
        if (first < MIN_UNPRIVILEGED || last > MAX_UID || first > last) {
            throw new IllegalArgumentException("vmUidRange must satisfy " + MIN_UNPRIVILEGED + " <= first <= last <= "
                    + MAX_UID + ", got " + first + ".." + last);
        }
    }

    public long size() {
        return last - first + 1;
    }

    public boolean contains(long uid) {
        return uid >= first && uid <= last;
    }
}
