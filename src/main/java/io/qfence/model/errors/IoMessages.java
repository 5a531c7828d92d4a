package io.qfence.model.errors;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * Words for a file-system failure, for messages people read: the JDK's {@code toString()} starts with the exception's
 * class name ({@code java.nio.file.NoSuchFileException: /run/qfence}), which says what happened only to a Java
 * programmer, and {@code getMessage()} of a {@link FileSystemException} is often the bare path.
 */
public final class IoMessages {

    private IoMessages() {}

    /** {@code /run/qfence does not exist}, {@code /x: permission denied}, or the failure's own message. */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String file = f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "");
            return file + ": " + reason(e);
        }
        return e.getMessage() != null ? e.getMessage() : "an input/output error";
    }

    /**
     * The failure alone, for a message that already names the file ({@code cannot read the snapshot FILE: REASON}):
     * {@code does not exist}, {@code permission denied}, {@code is a directory}, or the failure's own message.
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return e instanceof NoSuchFileException ? "does not exist"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof NotDirectoryException ? "is not a directory"
                    : e instanceof DirectoryNotEmptyException ? "is a directory that is not empty"
                    : e instanceof NotLinkException ? "is not a symbolic link"
                    : f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT) : "failed";
        }
        return e.getMessage() != null ? lowerFirst(e.getMessage()) : "an input/output error";
    }

    private static String lowerFirst(String s) {
        // "Is a directory" (the JDK's words for EISDIR) reads as "cannot read FILE: is a directory"
        return s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))
                ? Character.toLowerCase(s.charAt(0)) + s.substring(1) : s;
    }

    /** As {@link #describe(IOException)} for any failure: never a class name where a message exists. */
    public static String describe(Throwable e) {
        if (e instanceof IOException io) {
            return describe(io);
        }
        if (e.getCause() instanceof IOException io && (e.getMessage() == null || e.getMessage().startsWith("java."))) {
            return describe(io);
        }
        return e.getMessage() != null ? e.getMessage() : "unexpected " + e.getClass().getSimpleName();
    }
}
