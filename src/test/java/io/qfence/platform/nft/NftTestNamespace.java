package io.qfence.platform.nft;

import io.qfence.platform.os.NetNamespace;
import io.qfence.testing.TestNamespace;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A private network namespace for one test (prefix {@code qfence-test-nft-}), with the nft CLI as an independent witness inside it. */
final class NftTestNamespace implements AutoCloseable {

    final NetNamespace ns;

    private NftTestNamespace(NetNamespace ns) {
        this.ns = ns;
    }

    static NftTestNamespace create() {
        return new NftTestNamespace(NetNamespace.create(NetNamespace.DEFAULT_DIR, TestNamespace.uniqueName("qfence-test-nft-")));
    }

    String name() {
        return ns.name();
    }

    /** {@code nft ARGS} inside the namespace; fails the test on a non-zero exit. */
    String nft(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "nft";
        System.arraycopy(args, 0, command, 1, args.length);
        return Witness.inNetns(name(), command);
    }

    /** Runs an nft script ({@code nft -f}) inside the namespace. */
    String nftScript(String script) {
        try {
            Path file = Files.createTempFile("qfence-test-", ".nft");
            try {
                Files.writeString(file, script);
                return nft("-f", file.toString());
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The witness: {@code nft -j list ruleset}, exactly as the CLI prints it. */
    String ruleset() {
        return nft("-j", "list", "ruleset");
    }

    String ip(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        return Witness.inNetns(name(), command);
    }

    @Override
    public void close() {
        ns.delete();
    }
}
