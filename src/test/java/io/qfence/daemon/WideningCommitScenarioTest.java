package io.qfence.daemon;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.qfence.app.Main;
import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.notify.ForgeEndpoint;
import io.qfence.daemon.notify.ForgeKind;
import io.qfence.daemon.notify.Outbound;
import io.qfence.daemon.notify.WebhookNotifier;
import io.qfence.daemon.notify.WebhookTarget;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 20's closing scenario, end to end through the composition root's parts: the running daemon (real Quartz, JGit,
 * control-file watcher, journal, metrics, and the outbox's JDK HTTP client) under {@code --auto-apply=narrowing}, a
 * fake host, and one WireMock stand-in playing the Gitea forge and the notification receiver. A commit that widens
 * access waits with a {@code pending} status, {@code qfence approve} (the real command) lets it apply, and it turns
 * {@code success}; every step is asserted in the journal, the metrics, the forge's and the webhook's requests, and
 * printed so that it can be quoted.
 */
class WideningCommitScenarioTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOKEN = "gitea-token";
    private static final String WEBHOOK_KEY = "a notification secret for this test only";
    private static final String STATUSES = "/api/v1/repos/acme/fleet/statuses/";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    WireMockServer standIn;
    DesiredRepo repo;
    Path stateDir;
    ReconcileDaemon daemon;

    @BeforeEach
    void setUp() {
        standIn = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
        standIn.start();
        standIn.stubFor(post(urlPathMatching(STATUSES + "[0-9a-f]{40}")).willReturn(aResponse().withStatus(201)));
        standIn.stubFor(post(urlEqualTo("/hooks/qfence")).willReturn(aResponse().withStatus(204)));
        repo = DesiredRepo.create(tmp.resolve("origin"));
        stateDir = tmp.resolve("state");
    }

    @AfterEach
    void tearDown() {
        if (daemon != null) {
            daemon.close();
        }
        standIn.stop();
    }

    @Test
    void aWideningCommitIsPendingOnTheForgeUntilApprovedThenAppliesAndTurnsSuccess() throws Exception {
        String first = repo.head();
        step("0. qfence approve " + first + " (bootstrap: the first revision widens from nothing)");
        assertThat(approve(first)).startsWith("approved " + first);
        daemon = ReconcileDaemon.start(options(), new FakeCycle(), Clock.systemUTC(), new SecureRandom(),
                Main.daemonCollaborators());

        step("1. commit " + first.substring(0, 12) + " (alpha and beta) is applied");
        show(awaitRecord(first, Outcome.APPLIED));
        show(awaitForge(first, "success"));

        String narrowing = repo.setAlphaExceptions("", "drop the database exception");
        step("2. commit " + narrowing.substring(0, 12) + " narrows access: applied without approval");
        show(awaitRecord(narrowing, Outcome.APPLIED));
        show(awaitForge(narrowing, "success"));

        String widening = repo.setAlphaExceptions(DesiredRepo.exception("5432", ""), "give the database back");
        step("3. commit " + widening.substring(0, 12) + " widens access: it waits for approval");
        show(awaitRecord(widening, Outcome.AWAITING_APPROVAL));
        showMetrics(awaitMetrics("qfence_awaiting_approval{host=\"hv1\"} 1.0"));
        assertThat(scrape()).contains("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 2.0");
        LoggedRequest pending = awaitForge(widening, "pending");
        show(pending);
        String description = body(pending).path("description").asText();
        assertThat(description).contains("widens access").contains("5432").hasSizeLessThanOrEqualTo(140);
        // the operator approves with what the forge shows: the hint's id is whole, and qfence approve takes it
        assertThat(description).endsWith("run qfence approve " + widening.substring(0, 12));
        String shownId = description.substring(description.lastIndexOf(' ') + 1);
        LoggedRequest waiting = awaitWebhook("awaiting_approval");
        show(waiting);
        assertThat(body(waiting).path("revision").asText()).isEqualTo(widening);
        assertThat(forgeStates(widening)).as("nothing of the widening commit applied yet").containsOnly("pending");

        step("4. qfence approve " + shownId + " (the id in the forge's description)");
        String approved = approve(shownId);
        System.out.print("   " + approved);
        assertThat(approved).isEqualTo("approved " + widening + ": the daemon applies it now\n");
        show(awaitRecord(widening, Outcome.APPLIED));
        awaitMetrics("qfence_awaiting_approval{host=\"hv1\"} 0.0");
        showMetrics(awaitMetrics("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 3.0"));
        show(awaitForge(widening, "success"));

        assertThat(forgeStates(widening)).as("the widening commit's statuses, in the order the forge received them")
                .endsWith("success").doesNotContainSubsequence("success", "pending").containsOnlyOnce("success");
        List<CycleRecord> journal = Journal.read(stateDir).records().stream()
                .filter(r -> r.revision().orElse("").equals(widening)).toList();
        assertThat(journal).extracting(CycleRecord::outcome).endsWith(Outcome.APPLIED)
                .doesNotContainSubsequence(Outcome.APPLIED, Outcome.AWAITING_APPROVAL);
    }

    private ReconcileDaemon.DaemonOptions options() throws Exception {
        ReconcileSettings settings = new ReconcileSettings("hv1", stateDir, Duration.ofMillis(500), Duration.ofHours(1),
                0.1, Duration.ofSeconds(1), Duration.ofSeconds(5), AutoApply.NARROWING, false, DriftMode.HEAL);
        return new ReconcileDaemon.DaemonOptions(settings, new RemoteSpec.LocalRepository(repo.git.dir()), "main",
                DesiredRepo.DIR, Duration.ofSeconds(20), Optional.empty(), false, Optional.empty(), Optional.empty(),
                new Outbound.Targets(Optional.of(new ForgeEndpoint(ForgeKind.GITEA,
                        URI.create(standIn.baseUrl() + "/api/v1"), "acme/fleet", secret("token", TOKEN),
                        Optional.empty())),
                        Optional.of(new WebhookTarget(URI.create(standIn.baseUrl() + "/hooks/qfence"),
                                secret("notify", WEBHOOK_KEY)))));
    }

    /** The real {@code qfence approve}, as an operator types it; returns what it printed. */
    private String approve(String revision) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new CliContext(Clock.systemUTC()));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("approve", revision, "--state-dir", stateDir.toString(), "--by", "alice");
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }

    // ---- the three witnesses: journal, metrics, stand-in

    private String awaitRecord(String revision, Outcome outcome) throws Exception {
        return awaitValue(() -> Files.exists(stateDir.resolve(Journal.FILE_NAME))
                ? Files.readAllLines(stateDir.resolve(Journal.FILE_NAME)).stream()
                        .filter(line -> line.contains("\"" + revision + "\"")
                                && line.contains("\"outcome\":\"" + outcome.name() + "\""))
                        .findFirst().orElse(null)
                : null, "journal: " + outcome + " for " + revision);
    }

    private String awaitMetrics(String line) throws Exception {
        return awaitValue(() -> scrape().lines().anyMatch(line::equals) ? scrape() : null, "metric " + line);
    }

    private LoggedRequest awaitForge(String sha, String state) throws Exception {
        return awaitValue(() -> standIn.findAll(postRequestedFor(urlEqualTo(STATUSES + sha))).stream()
                .filter(r -> body(r).path("state").asText().equals(state)).findFirst().orElse(null),
                "forge: " + state + " for " + sha);
    }

    private LoggedRequest awaitWebhook(String event) throws Exception {
        LoggedRequest request = awaitValue(() -> standIn.findAll(postRequestedFor(urlEqualTo("/hooks/qfence"))).stream()
                .filter(r -> event.equals(r.getHeader(WebhookNotifier.EVENT_HEADER))).findFirst().orElse(null),
                "webhook: " + event);
        assertThat(request.getHeader(WebhookNotifier.SIGNATURE_HEADER)).as("HMAC-SHA256 of the body with the key")
                .isEqualTo("sha256=" + hmac(request.getBody()));
        return request;
    }

    private List<String> forgeStates(String sha) {
        // findAll lists the requests in the order the stand-in received them
        return standIn.findAll(postRequestedFor(urlEqualTo(STATUSES + sha))).stream()
                .map(r -> {
                    assertThat(r.getHeader("Authorization")).isEqualTo("token " + TOKEN);
                    assertThat(body(r).path("context").asText()).isEqualTo("qfence/hv1");
                    return body(r).path("state").asText();
                }).toList();
    }

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, daemon.metrics().registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    // ---- printing the scenario

    private static void step(String text) {
        System.out.println("scenario " + text);
    }

    private static void show(String journalLine) {
        System.out.println("   journal: " + journalLine);
    }

    private static void show(LoggedRequest request) {
        String header = request.getUrl().startsWith("/hooks/")
                ? WebhookNotifier.EVENT_HEADER + ": " + request.getHeader(WebhookNotifier.EVENT_HEADER) + ", "
                        + WebhookNotifier.SIGNATURE_HEADER + ": " + request.getHeader(WebhookNotifier.SIGNATURE_HEADER)
                : "Authorization: " + request.getHeader("Authorization");
        System.out.println("   stand-in: " + request.getMethod() + " " + request.getUrl() + " (" + header + ") "
                + request.getBodyAsString());
    }

    private static void showMetrics(String scrape) {
        scrape.lines().filter(l -> l.startsWith("qfence_awaiting_approval{") || l.startsWith("qfence_cycles_total{"))
                .forEach(l -> System.out.println("   metrics: " + l));
    }

    // ---- helpers

    private static JsonNode body(LoggedRequest request) {
        try {
            return JSON.readTree(request.getBody());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + request.getBodyAsString(), e);
        }
    }

    private static String hmac(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(WEBHOOK_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    private Path secret(String name, String content) throws Exception {
        Path file = tmp.resolve(name);
        Files.writeString(file, content + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** Polls (bounded) until {@code value} is non-null: the outbox sends on its own thread, the daemon cycles on its. */
    private static <T> T awaitValue(Callable<T> value, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            T found = value.call();
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within " + WAIT + ": " + what);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }
}
