package io.qfence.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One HTTP request to qfence's operator interface on {@code 127.0.0.1}, in whatever network namespace the calling
 * thread is in (tests call it from inside the namespace the server listens in).
 */
public final class LoopbackHttp {

    private LoopbackHttp() {}

    public record Response(int status, String body) {}

    /** Sends {@code body} (none when null, as for GET) with {@code headers}; the body of an error status too. */
    public static Response send(int port, String method, String path, byte[] body, Map<String, String> headers) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        try {
            c.setRequestMethod(method);
            headers.forEach(c::setRequestProperty);
            if (body != null) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            return new Response(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            c.disconnect();
        }
    }

    /**
     * The {@code X-Hub-Signature-256} value a Git host sends for {@code body}, computed here independently of
     * qfence's own webhook code.
     */
    public static String hubSignature(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
