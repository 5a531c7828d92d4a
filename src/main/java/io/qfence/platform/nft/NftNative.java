package io.qfence.platform.nft;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;

/**
 * The libnftables functions qfence calls (nftables 1.0.x, {@code libnftables.so.1}; see libnftables(3)). Loaded once;
 * only {@link NftContext} calls them, and it checks every return value. The nested interface must be public at the
 * JVM level because jnr-ffi implements it from its own class loader; the holder class keeps it out of sight.
 */
final class NftNative {

    private NftNative() {}

    /** The soname, not the {@code .so} development symlink, which Debian ships only in libnftables-dev. */
    static final String SONAME = "libnftables.so.1";

    static final LibNftables LIB = LibraryLoader.create(LibNftables.class).load(SONAME);

    public interface LibNftables {

        /** {@code NFT_CTX_DEFAULT}: the only flags value nft_ctx_new accepts. */
        int NFT_CTX_DEFAULT = 0;

        /** Listings in libnftables-json(5); input is auto-detected, so JSON commands need no flag. */
        int NFT_CTX_OUTPUT_JSON = 1 << 4;

        /** Handles in listings; JSON listings carry them anyway, so this is for debugging output only. */
        int NFT_CTX_OUTPUT_HANDLE = 1 << 3;

        Pointer nft_ctx_new(int flags);

        void nft_ctx_free(Pointer ctx);

        void nft_ctx_set_dry_run(Pointer ctx, boolean dry);

        int nft_ctx_output_get_flags(Pointer ctx);

        void nft_ctx_output_set_flags(Pointer ctx, int flags);

        /** 0 on success. */
        int nft_ctx_buffer_output(Pointer ctx);

        /** 0 on success. */
        int nft_ctx_buffer_error(Pointer ctx);

        /** NUL-terminated, owned by the context, rewound (emptied) by this call; valid until the next command. */
        Pointer nft_ctx_get_output_buffer(Pointer ctx);

        Pointer nft_ctx_get_error_buffer(Pointer ctx);

        /** {@code buf} must be NUL-terminated. 0 on success; otherwise the error buffer says why. */
        int nft_run_cmd_from_buffer(Pointer ctx, @In byte[] buf);
    }
}
