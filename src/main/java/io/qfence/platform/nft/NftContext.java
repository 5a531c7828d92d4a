package io.qfence.platform.nft;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * One libnftables context ({@code struct nft_ctx}) with buffered output and error, and JSON listings. Every call is
 * checked; a failure becomes an {@link NftException} with the operation and the error buffer's text.
 *
 * <p>Not thread-safe, and bound to a network namespace: libnftables opens its netfilter socket when the context is
 * created, in the namespace of the calling thread. {@link NftClient} creates, uses and frees a context only on the
 * thread of the namespace it serves.
 */
final class NftContext implements AutoCloseable {

    private static final NftNative.LibNftables LIB = NftNative.LIB;

    private Pointer ctx;

    private NftContext(Pointer ctx) {
        this.ctx = ctx;
    }

    static NftContext open() {
        Pointer ctx = LIB.nft_ctx_new(NftNative.LibNftables.NFT_CTX_DEFAULT);
        if (ctx == null || ctx.address() == 0) {
            throw new NftException("nft_ctx_new", "returned NULL (out of memory, or no netfilter socket in this namespace)");
        }
        NftContext context = new NftContext(ctx);
        try {
            if (LIB.nft_ctx_buffer_output(ctx) != 0) {
                throw new NftException("nft_ctx_buffer_output", "cannot buffer library output");
            }
            if (LIB.nft_ctx_buffer_error(ctx) != 0) {
                throw new NftException("nft_ctx_buffer_error", "cannot buffer library errors");
            }
            LIB.nft_ctx_output_set_flags(ctx, NftNative.LibNftables.NFT_CTX_OUTPUT_JSON);
            int flags = LIB.nft_ctx_output_get_flags(ctx);
            if ((flags & NftNative.LibNftables.NFT_CTX_OUTPUT_JSON) == 0) {
                // a libnftables built without JSON support silently ignores the flag
                throw new NftException("nft_ctx_output_set_flags(JSON)", "libnftables was built without JSON support");
            }
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
        return context;
    }

    /**
     * Runs {@code commands} (libnftables JSON or nft syntax) as one {@code nft_run_cmd_from_buffer} call: one parse,
     * and for changes one netlink batch, which the kernel commits atomically or not at all.
     *
     * @param dryRun check the commands against the kernel without committing them ({@code nft --check})
     * @return the output buffer (a JSON document for list commands, empty otherwise)
     */
    String run(String operation, String commands, boolean dryRun) {
        Pointer c = live();
        LIB.nft_ctx_set_dry_run(c, dryRun);
        byte[] utf8 = commands.getBytes(StandardCharsets.UTF_8);
        byte[] buf = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, buf, 0, utf8.length);
        int rc = LIB.nft_run_cmd_from_buffer(c, buf);
        // Read (and so rewind) both buffers every time, so that no message leaks into the next command's report.
        String output = take(LIB.nft_ctx_get_output_buffer(c), "nft_ctx_get_output_buffer");
        String errors = take(LIB.nft_ctx_get_error_buffer(c), "nft_ctx_get_error_buffer");
        if (rc != 0) {
            throw new NftException(operation, errors.isBlank() ? "nft_run_cmd_from_buffer returned " + rc + " without a message" : errors.strip());
        }
        return output;
    }

    private Pointer live() {
        if (ctx == null) {
            throw new IllegalStateException("libnftables context already freed");
        }
        return ctx;
    }

    private static String take(Pointer p, String operation) {
        if (p == null) {
            throw new NftException(operation, "returned NULL: buffering is not enabled");
        }
        int length = p.indexOf(0, (byte) 0);
        if (length < 0) {
            throw new NftException(operation, "buffer is not NUL-terminated");
        }
        byte[] bytes = new byte[length];
        p.get(0, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (ctx != null) {
            LIB.nft_ctx_free(ctx);
            ctx = null;
        }
    }
}
