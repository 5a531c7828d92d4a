package io.qfence.platform.nft;

/**
 * A libnftables call that failed: the operation as qfence names it, and nft's own message from the context's error
 * buffer (libnftables reports no errno; its message names the kernel's error, e.g. "Could not process rule: No such
 * file or directory", with the offending command).
 */
final class NftException extends RuntimeException {

    private final String operation;
    private final String nftMessage;

    public NftException(String operation, String nftMessage) {
        super(operation + ": " + nftMessage);
        this.operation = operation;
        this.nftMessage = nftMessage;
    }

    public String operation() {
        return operation;
    }

    /** What libnftables wrote to its error output, stripped. */
    public String nftMessage() {
        return nftMessage;
    }
}
