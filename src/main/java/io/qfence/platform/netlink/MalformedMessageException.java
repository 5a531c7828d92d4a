package io.qfence.platform.netlink;

/** Bytes from the socket that do not parse as netlink: never sent by a kernel, so a bug (ours) or the wrong socket. */
final class MalformedMessageException extends RuntimeException {

    public MalformedMessageException(String message) {
        super(message);
    }
}
