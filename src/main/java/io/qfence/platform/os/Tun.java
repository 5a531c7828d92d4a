package io.qfence.platform.os;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Persistent taps through {@code /dev/net/tun}: create one owned by a VM's uid and gid, open an existing one to hand
 * its descriptor to QEMU, and delete one.
 *
 * <p>A tap lives in the network namespace of the thread that opens {@code /dev/net/tun} (the kernel takes the
 * namespace of the opener's socket), and attaching by name looks it up there too. Call these on the namespace's
 * thread: {@code netns.call(() -> Tun.openTap("qft-web-01"))}. The returned descriptor can then be used anywhere.
 */
public final class Tun {

    public static final String DEVICE = "/dev/net/tun";

    // <linux/if_tun.h>, x86_64: _IOW('T', 202, int) and friends.
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETPERSIST = 0x400454cbL;
    private static final long TUNSETOWNER = 0x400454ccL;
    private static final long TUNSETGROUP = 0x400454ceL;
    private static final long TUNGETIFF = 0x800454d2L;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_PERSIST = 0x0800;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final short IFF_TUN_EXCL = (short) 0x8000;
    /** The flags every qfence tap has: QEMU's {@code -netdev tap,fd=N} expects a vnet header and no packet info. */
    private static final short TAP_FLAGS = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_BYTES = 40;
    private static final int EBUSY = 16;
    private static final int ENODEV = 19;

    private Tun() {}

    /**
     * Creates a persistent tap {@code name} owned by {@code uid}/{@code gid}. Fails with errno EBUSY if a link of
     * that name exists: deciding whether an existing link is qfence's is observation's job, not this one's. Atomic
     * in effect: a failure before the tap is made persistent destroys it when the descriptor closes.
     */
    public static void createPersistentTap(String name, long uid, long gid) {
        requireName(name);
        requireId("uid", uid);
        requireId("gid", gid);
        int fd = openDevice();
        try {
            setIff(fd, name, (short) (TAP_FLAGS | IFF_TUN_EXCL), "create tap " + name);
            OsNative.check(OsNative.LIBC.ioctl(fd, TUNSETOWNER, uid), "TUNSETOWNER " + name + " to uid " + uid);
            OsNative.check(OsNative.LIBC.ioctl(fd, TUNSETGROUP, gid), "TUNSETGROUP " + name + " to gid " + gid);
            OsNative.check(OsNative.LIBC.ioctl(fd, TUNSETPERSIST, 1L), "TUNSETPERSIST " + name);
        } finally {
            OsNative.LIBC.close(fd);
        }
    }

    /**
     * Attaches to the existing persistent tap {@code name} and returns the descriptor (close-on-exec) for QEMU's
     * {@code -netdev tap,fd=N}. Fails with errno ENODEV if there is no such persistent tap: attaching by name would
     * otherwise silently create a new, non-persistent one, which this undoes.
     */
    public static Descriptor openTap(String name) {
        requireName(name);
        int fd = openDevice();
        try {
            setIff(fd, name, TAP_FLAGS, "attach to tap " + name);
            requirePersistent(fd, name);
            return new Descriptor(fd, "tap " + name);
        } catch (RuntimeException e) {
            OsNative.LIBC.close(fd);
            throw e;
        }
    }

    /**
     * Makes the persistent tap {@code name} non-persistent: it disappears as soon as no process holds it (at once,
     * unless a QEMU still has its descriptor). Returns false if there was no such tap.
     */
    public static boolean deleteTap(String name) {
        requireName(name);
        int fd = openDevice();
        try {
            setIff(fd, name, TAP_FLAGS, "attach to tap " + name);
            if (!isPersistent(fd, name)) {
                return false; // our attach created it; closing destroys it again
            }
            OsNative.check(OsNative.LIBC.ioctl(fd, TUNSETPERSIST, 0L), "TUNSETPERSIST off " + name);
            return true;
        } finally {
            OsNative.LIBC.close(fd);
        }
    }

    private static int openDevice() {
        return OsNative.check(OsNative.LIBC.open(DEVICE, OsNative.LibC.O_RDWR | OsNative.LibC.O_CLOEXEC, 0), "open " + DEVICE);
    }

    private static void setIff(int fd, String name, short flags, String operation) {
        Pointer ifr = Memory.allocateDirect(OsNative.runtime(), IFREQ_BYTES, true);
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        ifr.put(0, bytes, 0, bytes.length);
        ifr.putShort(IFNAMSIZ, flags);
        OsNative.check(OsNative.LIBC.ioctl(fd, TUNSETIFF, ifr), operation);
    }

    private static void requirePersistent(int fd, String name) {
        if (!isPersistent(fd, name)) {
            throw new OsException("open tap " + name, ENODEV, "no persistent tap of that name in this network namespace");
        }
    }

    private static boolean isPersistent(int fd, String name) {
        Pointer ifr = Memory.allocateDirect(OsNative.runtime(), IFREQ_BYTES, true);
        OsNative.check(OsNative.LIBC.ioctl(fd, TUNGETIFF, ifr), "TUNGETIFF " + name);
        return (ifr.getShort(IFNAMSIZ) & IFF_PERSIST) != 0;
    }

    static void requireName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() >= IFNAMSIZ || !name.matches("[A-Za-z0-9_.-]+") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("tap name must be 1-15 characters of [A-Za-z0-9_.-], got '" + name + "'");
        }
    }

    private static void requireId(String what, long id) {
        if (id < 0 || id > 4_294_967_294L) {
            throw new IllegalArgumentException(what + " must be 0..4294967294, got " + id);
        }
    }

    /** errno for "a link of that name exists", for callers that want to tell it apart. */
    public static boolean isNameTaken(OsException e) {
        return e.errno() == EBUSY;
    }
}
