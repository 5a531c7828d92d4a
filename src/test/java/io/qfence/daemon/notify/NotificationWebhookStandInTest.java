package io.qfence.daemon.notify;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.qfence.daemon.metrics.QfenceMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notification webhook against an HTTP stand-in (WireMock) that plays the receiver: each message is JSON, signed
 * with HMAC-SHA256 under the shared secret (checked here with the JDK's own {@link Mac}, not qfence's code), sent at
 * most once per event, host and subject within the dedupe window, and within the rate limit.
 */
class NotificationWebhookStandInTest {

    static final String SECRET = "s3cret-shared-with-the-receiver";
    static final Instant T = Instant.parse("2026-12-07T21:00:00Z");
    static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;

    WireMockServer receiver;
    SteppedTimer timer = new SteppedTimer();
    QfenceMetrics metrics = QfenceMetrics.create();

    @BeforeEach
    void start() {
        receiver = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/hooks/qfence")).willReturn(aResponse().withStatus(204)));
    }

    @AfterEach
    void stop() {
        receiver.stop();
    }

    @Test
    void eachMessageIsJsonSignedWithTheSharedSecret() throws Exception {
        Announcer announcer = announcer(WebhookTarget.DEFAULT_BURST, WebhookTarget.DEFAULT_REFILL);

        announcer.notice(new Notice(NoticeEvent.APPLY_FAILED, "hv1", SHA, Optional.of(SHA),
                "apply failed on hv1: links: br-a: create: File exists", T));
        timer.runAll();

        LoggedRequest request = only();
        byte[] body = request.getBody();
        assertThat(request.getHeader(WebhookNotifier.SIGNATURE_HEADER))
                .isEqualTo("sha256=" + HexFormat.of().formatHex(hmac(SECRET, body)));
        assertThat(request.getHeader(WebhookNotifier.EVENT_HEADER)).isEqualTo("apply_failed");
        assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("{\"version\":1,\"event\":\"apply_failed\","
                + "\"host\":\"hv1\",\"subject\":\"" + SHA + "\",\"revision\":\"" + SHA + "\",\"message\":\"apply failed "
                + "on hv1: links: br-a: create: File exists\",\"at\":\"2026-12-07T21:00:00Z\",\"dedupe_key\":\"hv1/"
                + "apply_failed/" + SHA + "\"}");
        assertThat(scrape()).contains("qfence_notifications_total{event=\"apply_failed\",result=\"sent\"} 1.0");
    }

    @Test
    void theSignatureDoesNotVerifyUnderAnotherSecretOrForAnotherBody() throws Exception {
        Announcer announcer = announcer(WebhookTarget.DEFAULT_BURST, WebhookTarget.DEFAULT_REFILL);

        announcer.notice(new Notice(NoticeEvent.DRIFT_FOUND, "hv1", "drift 0a1b at " + SHA, Optional.of(SHA),
                "drift found", T));
        timer.runAll();

        LoggedRequest request = only();
        String header = request.getHeader(WebhookNotifier.SIGNATURE_HEADER);
        assertThat(header).isNotEqualTo("sha256=" + HexFormat.of().formatHex(hmac("another secret", request.getBody())));
        byte[] tampered = request.getBodyAsString().replace("hv1", "hv2").getBytes(StandardCharsets.UTF_8);
        assertThat(header).isNotEqualTo("sha256=" + HexFormat.of().formatHex(hmac(SECRET, tampered)));
    }

    @Test
    void theSameEventAboutTheSameSubjectOnAHostIsSentOncePerDedupeWindow() throws Exception {
        Announcer announcer = announcer(WebhookTarget.DEFAULT_BURST, WebhookTarget.DEFAULT_REFILL);
        Notice crashed = new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "alpha-app", Optional.empty(), "crashed", T);

        announcer.notice(crashed);
        announcer.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "alpha-app", Optional.empty(), "crashed",
                T.plus(Duration.ofHours(23))));
        announcer.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "beta-db", Optional.empty(), "crashed", T));
        announcer.notice(new Notice(NoticeEvent.GUEST_OOM_KILLED, "hv1", "alpha-app #1", Optional.empty(), "oom", T));
        announcer.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "alpha-app", Optional.empty(), "crashed",
                T.plus(Duration.ofHours(24))));
        timer.runAll();

        assertThat(receiver.getAllServeEvents()).hasSize(4);
        assertThat(scrape()).contains(
                "qfence_notifications_total{event=\"guest_crashed\",result=\"deduplicated\"} 1.0",
                "qfence_notifications_total{event=\"guest_crashed\",result=\"sent\"} 3.0",
                "qfence_notifications_total{event=\"guest_oom_killed\",result=\"sent\"} 1.0");
    }

    @Test
    void aRestartForgetsNothingANotificationSentBeforeItIsNotSentAgainWithinTheWindow() throws Exception {
        Notice crashed = new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "alpha-app", Optional.empty(), "crashed", T);
        try (Announcer before = announcer(WebhookTarget.DEFAULT_BURST, WebhookTarget.DEFAULT_REFILL)) {
            before.notice(crashed);
            timer.runAll();
        }
        assertThat(receiver.getAllServeEvents()).hasSize(1);
        Path ledger = tmp.resolve("state").resolve(SentLedger.FILE_NAME);
        assertThat(Files.getPosixFilePermissions(ledger)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        Announcer after = announcer(WebhookTarget.DEFAULT_BURST, WebhookTarget.DEFAULT_REFILL); // the daemon restarted
        after.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "alpha-app", Optional.empty(), "crashed",
                T.plus(Duration.ofHours(1))));
        timer.runAll();
        assertThat(receiver.getAllServeEvents()).as("the same crash told again after the restart").hasSize(1);
        assertThat(scrape()).contains("qfence_notifications_total{event=\"guest_crashed\",result=\"deduplicated\"} 1.0");

        after.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "alpha-app", Optional.empty(), "crashed",
                T.plus(Duration.ofHours(24))));
        timer.runAll();
        assertThat(receiver.getAllServeEvents()).as("told again once the window is over").hasSize(2);
    }

    @Test
    void messagesBeyondTheRateLimitAreDroppedAndCounted() throws Exception {
        Announcer announcer = announcer(2, Duration.ofMinutes(1));

        for (String vm : List.of("a", "b", "c")) {
            announcer.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", vm, Optional.empty(), "crashed", T));
        }
        announcer.notice(new Notice(NoticeEvent.GUEST_CRASHED, "hv1", "d", Optional.empty(), "crashed",
                T.plus(Duration.ofMinutes(1))));
        timer.runAll();

        assertThat(receiver.getAllServeEvents()).hasSize(3);
        assertThat(scrape()).contains("qfence_notifications_total{event=\"guest_crashed\",result=\"rate_limited\"} 1.0",
                "qfence_notifications_total{event=\"guest_crashed\",result=\"sent\"} 3.0");
    }

    @Test
    void aReceiverThatFailsIsRetried() throws Exception {
        receiver.stubFor(post(urlEqualTo("/hooks/qfence")).inScenario("down").whenScenarioStateIs("Started")
                .willReturn(aResponse().withStatus(500)).willSetStateTo("up"));
        receiver.stubFor(post(urlEqualTo("/hooks/qfence")).inScenario("down").whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(204)));
        Announcer announcer = announcer(WebhookTarget.DEFAULT_BURST, WebhookTarget.DEFAULT_REFILL);

        announcer.notice(new Notice(NoticeEvent.EXCEPTION_EXPIRED, "hv1", "exception x", Optional.of(SHA), "expired", T));
        timer.runAll();

        assertThat(receiver.getAllServeEvents()).hasSize(2);
        assertThat(scrape()).contains("qfence_notifications_total{event=\"exception_expired\",result=\"failed\"} 1.0",
                "qfence_notifications_total{event=\"exception_expired\",result=\"sent\"} 1.0");
    }

    @Test
    void aTargetIsValidatedWithPreciseMessages() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebhookTarget(
                        URI.create("http://hooks.example.org/x"), tmp.resolve("s")))
                .hasMessage("the notification URL must be https:// (http:// only to a loopback address): "
                        + "http://hooks.example.org/x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebhookTarget(
                        URI.create("https://hooks.example.org/x"), tmp.resolve("s"), Duration.ZERO, 0, Duration.ofMinutes(1)))
                .hasMessage("the notification burst must be at least 1, got 0");
    }

    // ---- helpers

    private LoggedRequest only() {
        assertThat(receiver.getAllServeEvents()).hasSize(1);
        return receiver.getAllServeEvents().get(0).getRequest();
    }

    private Announcer announcer(int burst, Duration refill) throws IOException {
        Path secret = tmp.resolve("notify-secret");
        Files.writeString(secret, SECRET + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        WebhookTarget target = new WebhookTarget(URI.create(receiver.baseUrl() + "/hooks/qfence"), secret,
                WebhookTarget.DEFAULT_DEDUPE_WINDOW, burst, refill);
        return Outbound.open(new Outbound.Targets(Optional.empty(), Optional.of(target)), JdkHttpPoster.create(), timer,
                new Outbox.RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(4), 3), new SplittableRandom(1),
                metrics, (channel, what, revision, attempts, error) -> { },
                SentLedger.open(Files.createDirectories(tmp.resolve("state")), message -> {
                    throw new AssertionError(message);
                }));
    }

    private static byte[] hmac(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return mac.doFinal(body);
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
