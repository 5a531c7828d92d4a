package io.qfence.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.daemon.http.WebhookSecret.HeaderCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookSecretTest {

    private static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.UTF_8);

    /** The example from GitHub's documentation on validating webhook deliveries. */
    @Test
    void githubsDocumentedExampleValidates() throws Exception {
        WebhookSecret secret = WebhookSecret.of("It's a Secret to Everybody");

        assertThat(secret.header(BODY))
                .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        assertThat(secret.check("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", BODY))
                .isEqualTo(HeaderCheck.VALID);
    }

    @Test
    void anyOtherHeaderIsRefusedWithItsReason() {
        WebhookSecret secret = WebhookSecret.of("It's a Secret to Everybody");

        assertThat(secret.check(null, BODY)).isEqualTo(HeaderCheck.MISSING);
        assertThat(secret.check("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", BODY)).isEqualTo(HeaderCheck.MALFORMED);
        assertThat(secret.check("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", BODY))
                .isEqualTo(HeaderCheck.MALFORMED);
        assertThat(secret.check("sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", BODY))
                .isEqualTo(HeaderCheck.MISMATCH);
        assertThat(WebhookSecret.of("another secret").check(secret.header(BODY), BODY)).isEqualTo(HeaderCheck.MISMATCH);
        assertThat(secret.check(secret.header(BODY), "Hello, World?".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(HeaderCheck.MISMATCH);
    }

    @Test
    void theSecretComesFromAFileAndIsNeverPrinted(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), "It's a Secret to Everybody\n");

        WebhookSecret secret = WebhookSecret.fromFile(file);

        assertThat(secret.check(secret.header(BODY), BODY)).isEqualTo(HeaderCheck.VALID);
        assertThat(secret.header(BODY)).isEqualTo(WebhookSecret.of("It's a Secret to Everybody").header(BODY));
        assertThat(secret.toString()).doesNotContain("Secret to");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> WebhookSecret.fromFile(empty)).hasMessage("the webhook secret file " + empty + " is empty");
    }
}
