package io.qfence.platform.qemu;

import io.qfence.model.ConfigDigest;
import io.qfence.model.host.Guest;
import io.qfence.platform.os.OsException;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a guest's QEMU from its pidfile, as qfence does after a restart. The pidfile is written by QEMU as the VM's
 * uid, in a directory that uid owns, so it is only a hint: the process it names must run as the VM's uid, not be a
 * zombie, and run QEMU with this guest's {@code -pidfile}. A pidfd is opened before those checks, so the process
 * checked is the process later signalled.
 */
public final class GuestPidFiles {

    private static final int MAX_PIDFILE_BYTES = 32;

    private GuestPidFiles() {}

    /** What the pidfile of a guest leads to. */
    public sealed interface Finding {
        /** No pidfile: the guest is not running (QEMU removes its pidfile when it exits cleanly). */
        record Missing() implements Finding {}

        /** A pidfile whose process is gone or a zombie: the guest ended without cleaning up (a crash, a kill). */
        record Ended(long pid, String reason) implements Finding {}

        /** The pidfile names a process that is not this guest's QEMU; it is never signalled. */
        record Foreign(long pid, String reason) implements Finding {}

        /**
         * This guest's QEMU. {@code observedDigest} is the {@link ConfigDigest} of its actual command line; it equals
         * the realized guest's digest exactly when it runs the realized configuration.
         */
        record Running(GuestProcess process, ProcessInfo info, String observedDigest) implements Finding {}
    }

    public static Finding find(Guest guest) {
        Path pidFile = Path.of(guest.launch().pidFile());
        Optional<Long> pid;
        try {
            pid = readPid(pidFile);
        } catch (NoSuchFileException e) {
            return new Finding.Missing();
        } catch (IOException e) {
            return new Finding.Foreign(0, "unreadable pidfile " + pidFile + ": " + io.qfence.model.errors.IoMessages.describe(e));
        }
        if (pid.isEmpty()) {
            return new Finding.Foreign(0, "pidfile " + pidFile + " does not hold a pid");
        }
        long p = pid.get();
        PidFd pidFd;
        try {
            pidFd = PidFd.open(p);
        } catch (OsException e) {
            return new Finding.Ended(p, "process " + p + " no longer exists");
        }
        try {
            Optional<ProcessInfo> read = ProcessInfo.read(p);
            if (read.isEmpty() || pidFd.hasExited()) {
                pidFd.close();
                return new Finding.Ended(p, "process " + p + " has exited");
            }
            ProcessInfo info = read.get();
            if (info.hasEnded()) {
                pidFd.close();
                return new Finding.Ended(p, "process " + p + " is a zombie (state " + info.state() + ")");
            }
            if (!info.runsAs(guest.uid(), guest.gid())) {
                pidFd.close();
                return new Finding.Foreign(p, "process " + p + " runs as uids " + info.uids() + ", not " + guest.uid());
            }
            if (!isQemuOf(info, guest)) {
                pidFd.close();
                return new Finding.Foreign(p, "process " + p + " is not QEMU with -pidfile " + pidFile);
            }
            GuestProcess process = new GuestProcess(guest.vm(), pidFd, Path.of(guest.launch().qmpSocket()), Optional.empty());
            return new Finding.Running(process, info, ConfigDigest.of(info.cmdline()));
        } catch (RuntimeException e) {
            pidFd.close();
            throw e;
        }
    }

    /** QEMU (the guest's binary) with this guest's {@code -pidfile}. */
    static boolean isQemuOf(ProcessInfo info, Guest guest) {
        var cmdline = info.cmdline();
        if (cmdline.isEmpty() || guest.argv().isEmpty() || !cmdline.get(0).equals(guest.argv().get(0))) {
            return false;
        }
        int i = cmdline.indexOf("-pidfile");
        return i > 0 && i + 1 < cmdline.size() && cmdline.get(i + 1).equals(guest.launch().pidFile());
    }

    /** Reads a small pidfile without following symlinks; empty if it does not hold exactly one positive number. */
    static Optional<Long> readPid(Path pidFile) throws IOException {
        if (!Files.isRegularFile(pidFile, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.exists(pidFile, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(pidFile.toString());
            }
            return Optional.empty();
        }
        ByteBuffer buffer = ByteBuffer.allocate(MAX_PIDFILE_BYTES + 1);
        try (SeekableByteChannel channel = Files.newByteChannel(pidFile, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // read up to the cap
            }
        }
        if (buffer.position() > MAX_PIDFILE_BYTES) {
            return Optional.empty();
        }
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
        if (!text.matches("[1-9][0-9]{0,9}")) {
            return Optional.empty();
        }
        long pid = Long.parseLong(text);
        return pid > 1 && pid <= Integer.MAX_VALUE ? Optional.of(pid) : Optional.empty();
    }
}
