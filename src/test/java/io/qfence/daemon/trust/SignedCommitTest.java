package io.qfence.daemon.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SignedCommitTest {

    private static final String PAYLOAD = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
            + "parent 0123456789abcdef0123456789abcdef01234567\n"
            + "author A <a@x> 1700000000 +0000\n"
            + "committer A <a@x> 1700000000 +0000\n"
            + "\n"
            + "subject\n\nbody with a line starting\n gpgsig like this\n";

    @Test
    void theSignatureHeaderAndItsContinuationLinesAreCutOutByteForByte() {
        String raw = PAYLOAD.replace("committer A <a@x> 1700000000 +0000\n",
                "committer A <a@x> 1700000000 +0000\n"
                        + "gpgsig -----BEGIN PGP SIGNATURE-----\n"
                        + " \n"
                        + " iHUEABYKAB0WIQ\n"
                        + " -----END PGP SIGNATURE-----\n");

        SignedCommit split = SignedCommit.split(raw.getBytes(StandardCharsets.UTF_8));

        assertThat(new String(split.payload(), StandardCharsets.UTF_8)).isEqualTo(PAYLOAD);
        assertThat(new String(split.signature().orElseThrow(), StandardCharsets.UTF_8))
                .isEqualTo("-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQ\n-----END PGP SIGNATURE-----\n");
    }

    @Test
    void anUnsignedCommitIsItsOwnPayload() {
        SignedCommit split = SignedCommit.split(PAYLOAD.getBytes(StandardCharsets.UTF_8));

        assertThat(split.signature()).isEmpty();
        assertThat(new String(split.payload(), StandardCharsets.UTF_8)).isEqualTo(PAYLOAD);
    }

    @Test
    void otherMultiLineHeadersStayInThePayload() {
        String raw = PAYLOAD.replace("committer A <a@x> 1700000000 +0000\n",
                "committer A <a@x> 1700000000 +0000\nmergetag object 0123\n type commit\n");

        SignedCommit split = SignedCommit.split(raw.getBytes(StandardCharsets.UTF_8));

        assertThat(split.signature()).isEmpty();
        assertThat(new String(split.payload(), StandardCharsets.UTF_8)).isEqualTo(raw);
    }

    @Test
    void twoSignatureHeadersAreRefused() {
        String raw = PAYLOAD.replace("committer A <a@x> 1700000000 +0000\n",
                "committer A <a@x> 1700000000 +0000\ngpgsig one\ngpgsig two\n");

        assertThatThrownBy(() -> SignedCommit.split(raw.getBytes(StandardCharsets.UTF_8)))
                .hasMessage("the commit carries more than one gpgsig header");
    }
}
