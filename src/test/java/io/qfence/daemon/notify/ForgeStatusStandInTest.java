package io.qfence.daemon.notify;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
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
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Commit statuses against an HTTP stand-in (WireMock) that accepts only the exact request each forge's API documents:
 * method, path, headers (the auth scheme included) and the JSON body, with no field more or less. What each forge
 * expects is written once, in {@link #FORGES}.
 */
class ForgeStatusStandInTest {

    static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    static final String TOKEN = "t0ken-for-the-stand-in";

    /** What one forge's API documents for {@code POST .../statuses/{sha}}. */
    record Expected(String apiRoot, String path, Map<String, String> headers, String contextField,
                    Map<RevisionState, String> states) {}

    /** The one table of expectations: GitHub, GitLab and Gitea, as their API documentation describes them. */
    static final Map<ForgeKind, Expected> FORGES = new EnumMap<>(Map.of(
            ForgeKind.GITHUB, new Expected("", "/repos/acme/fleet/statuses/" + SHA, Map.of(
                    "Authorization", "Bearer " + TOKEN,
                    "Accept", "application/vnd.github+json",
                    "X-GitHub-Api-Version", "2022-11-28",
                    "Content-Type", "application/json"), "context", states("success", "failure", "error", "failure",
                    "pending", "pending")),
            ForgeKind.GITLAB, new Expected("/api/v4", "/api/v4/projects/acme%2Ffleet/statuses/" + SHA, Map.of(
                    "PRIVATE-TOKEN", TOKEN,
                    "Content-Type", "application/json"), "name", states("success", "failed", "failed", "failed",
                    "pending", "pending")),
            ForgeKind.GITEA, new Expected("/api/v1", "/api/v1/repos/acme/fleet/statuses/" + SHA, Map.of(
                    "Authorization", "token " + TOKEN,
                    "Content-Type", "application/json"), "context", states("success", "failure", "error", "failure",
                    "pending", "pending"))));

    private static Map<RevisionState, String> states(String applied, String applyFailed, String refused, String invalid,
                                                     String awaitingApproval, String suspended) {
        return new EnumMap<>(Map.of(RevisionState.APPLIED, applied, RevisionState.APPLY_FAILED, applyFailed,
                RevisionState.REFUSED, refused, RevisionState.INVALID, invalid,
                RevisionState.AWAITING_APPROVAL, awaitingApproval, RevisionState.SUSPENDED, suspended));
    }

    @TempDir
    Path tmp;

    WireMockServer forge;
    Path tokenFile;
    SteppedTimer timer = new SteppedTimer();
    QfenceMetrics metrics = QfenceMetrics.create();
    List<String> givenUp = new ArrayList<>();
    List<String> warnings = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        forge = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
        forge.start();
        tokenFile = secret("token", TOKEN + "\n");
    }

    @AfterEach
    void stop() {
        forge.stop();
    }

    @ParameterizedTest
    @EnumSource(ForgeKind.class)
    void everyVerdictIsTheExactRequestTheForgeDocuments(ForgeKind kind) throws IOException {
        Expected expected = FORGES.get(kind);
        Announcer announcer = announcer(endpoint(kind, Optional.of(URI.create("https://grafana.example.org/d/hv1"))),
                Outbox.RetryPolicy.DEFAULT);
        forge.stubFor(exactly(expected).willReturn(aResponse().withStatus(201)));

        for (RevisionState state : RevisionState.values()) {
            announcer.commitStatus(new CommitStatus(SHA, state, "hv1", "reason for " + state));
            timer.runAll();

            Map<String, String> body = new LinkedHashMap<>();
            body.put("state", expected.states().get(state));
            body.put(expected.contextField(), "qfence/hv1");
            body.put("description", "reason for " + state);
            body.put("target_url", "https://grafana.example.org/d/hv1");
            forge.verify(1, requested(expected).withRequestBody(equalToJson(ForgeRequests.json(body), false, false)));
        }
        assertThat(forge.findAllUnmatchedRequests()).as("every request matched the forge's documented one").isEmpty();
        assertThat(forge.getAllServeEvents()).hasSize(RevisionState.values().length);
        assertThat(scrape()).contains("qfence_forge_statuses_total{result=\"sent\"} 6.0");
    }

    @Test
    void aStatusWithoutATargetUrlSendsNoneAndALongReasonIsCutTo140Characters() throws IOException {
        Expected expected = FORGES.get(ForgeKind.GITHUB);
        Announcer announcer = announcer(endpoint(ForgeKind.GITHUB, Optional.empty()), Outbox.RetryPolicy.DEFAULT);
        forge.stubFor(exactly(expected).willReturn(aResponse().withStatus(201)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.INVALID, "hv1", "x".repeat(300)));
        timer.runAll();

        String description = "x".repeat(139) + "\u2026";
        forge.verify(1, requested(expected).withRequestBody(equalToJson("{\"state\":\"failure\",\"context\":\"qfence/hv1\","
                + "\"description\":\"" + description + "\"}", false, false)));
    }

    @Test
    void aForgeThatFailsIsRetriedWithBackOffCountedAndThenReached() throws IOException {
        Expected expected = FORGES.get(ForgeKind.GITEA);
        Announcer announcer = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(5));
        forge.stubFor(exactly(expected).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(502)).willSetStateTo("once"));
        forge.stubFor(exactly(expected).inScenario("flaky").whenScenarioStateIs("once")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        forge.stubFor(exactly(expected).inScenario("flaky").whenScenarioStateIs("up")
                .willReturn(aResponse().withStatus(201)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied on hv1: 3 actions"));
        timer.runAll();

        forge.verify(3, requested(expected));
        assertThat(timer.retryWaits()).hasSize(2);
        assertThat(timer.retryWaits().get(0)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThat(timer.retryWaits().get(1)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(scrape()).contains("qfence_forge_statuses_total{result=\"failed\"} 2.0",
                "qfence_forge_statuses_total{result=\"sent\"} 1.0");
        assertThat(givenUp).isEmpty();
    }

    @Test
    void aForgeThatStaysDownIsGivenUpAfterTheLastAttemptAndJournaled() throws IOException {
        Announcer announcer = announcer(endpoint(ForgeKind.GITHUB, Optional.empty()), retry(3));
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(503)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLY_FAILED, "hv1", "apply failed"));
        timer.runAll();

        forge.verify(3, postRequestedFor(anyUrl()));
        assertThat(givenUp).containsExactly("forge: github status failure for 0123456789ab (qfence/hv1) of "
                + SHA + ", 3 attempts: HTTP 503");
        assertThat(scrape()).contains("qfence_forge_statuses_total{result=\"failed\"} 3.0",
                "qfence_forge_statuses_total{result=\"gave_up\"} 1.0");
    }

    @Test
    void aRefusalByTheForgeIsNotRetried() throws IOException {
        Announcer announcer = announcer(endpoint(ForgeKind.GITLAB, Optional.empty()), retry(5));
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(401)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied"));
        timer.runAll();

        forge.verify(1, postRequestedFor(anyUrl()));
        assertThat(givenUp).containsExactly("forge: gitlab status success for 0123456789ab (qfence/hv1) of " + SHA
                + ", 1 attempts: refused (HTTP 401), not retried");
    }

    @Test
    void aNewerStatusOfTheCommitSupersedesAnOlderOneStillRetrying() throws IOException {
        Expected expected = FORGES.get(ForgeKind.GITHUB);
        Announcer announcer = announcer(endpoint(ForgeKind.GITHUB, Optional.empty()), retry(5));
        forge.stubFor(exactly(expected).withRequestBody(WireMock.matchingJsonPath("$.state", equalTo("pending")))
                .willReturn(aResponse().withStatus(503)));
        forge.stubFor(exactly(expected).withRequestBody(WireMock.matchingJsonPath("$.state", equalTo("success")))
                .willReturn(aResponse().withStatus(201)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.AWAITING_APPROVAL, "hv1", "waits for approval"));
        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied"));
        timer.runAll();

        List<String> states = forge.getAllServeEvents().stream().map(e -> e.getRequest())
                .sorted((a, b) -> a.getLoggedDate().compareTo(b.getLoggedDate()))
                .map(ForgeStatusStandInTest::state).toList();
        assertThat(states).as("the pending status never arrives after the success").endsWith("success");
        assertThat(scrape()).contains("qfence_forge_statuses_total{result=\"superseded\"} 1.0");
    }

    @Test
    void theSameStatusIsSentOnceAndAChangedOneAgain() throws IOException {
        Announcer announcer = announcer(endpoint(ForgeKind.GITHUB, Optional.empty()), retry(1));
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(201)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLY_FAILED, "hv1", "apply failed: links"));
        timer.runAll();
        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLY_FAILED, "hv1", "apply failed: links"));
        timer.runAll();
        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied"));
        timer.runAll();

        assertThat(forge.getAllServeEvents().stream().map(e -> state(e.getRequest())).sorted())
                .containsExactly("failure", "success");
    }

    @Test
    void aStatusTheForgeAcceptedIsNotSentAgainAfterARestartAChangedOneIs() throws IOException {
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(201)));
        CommitStatus applied = new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied on hv1: 1 action");
        try (Announcer before = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(1))) {
            before.commitStatus(applied);
            timer.runAll();
        }
        forge.verify(1, postRequestedFor(anyUrl()));
        assertThat(stateDir().resolve(SentLedger.FILE_NAME)).isRegularFile();

        Announcer after = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(1)); // the daemon restarted
        after.commitStatus(applied);
        timer.runAll();
        forge.verify(1, postRequestedFor(anyUrl()));

        after.commitStatus(new CommitStatus(SHA, RevisionState.APPLY_FAILED, "hv1", "apply failed on hv1: links"));
        timer.runAll();
        assertThat(forge.getAllServeEvents().stream().map(e -> state(e.getRequest())).sorted())
                .containsExactly("failure", "success");
        assertThat(warnings).isEmpty();
    }

    @Test
    void aStatusTheForgeDidNotAcceptBeforeTheDaemonStoppedIsSentAfterTheRestart() throws IOException {
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(503)));
        CommitStatus applied = new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied on hv1: 1 action");
        try (Announcer before = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(1))) {
            before.commitStatus(applied);
            timer.runAll();
        }
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(201)));

        Announcer after = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(1));
        after.commitStatus(applied);
        timer.runAll();

        forge.verify(2, postRequestedFor(anyUrl()));
        assertThat(scrape()).contains("qfence_forge_statuses_total{result=\"sent\"} 1.0");
    }

    @Test
    void aCorruptRecordOfWhatWasSentIsSaidAndTheDaemonStartsWithNone() throws IOException {
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(201)));
        Path ledger = stateDir().resolve(SentLedger.FILE_NAME);
        Files.writeString(ledger, "{\"version\":1,\"statuses\":[{\"key\":\"qfence/hv1/" + SHA + "\"}],"
                + "\"notifications\":[]}"); // a status without what was shown

        Announcer announcer = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(1));
        assertThat(warnings).singleElement().asString().startsWith(ledger + " is not a record of sent statuses and "
                + "notifications (").endsWith("): starting with none, so one already sent may be sent again");
        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied"));
        timer.runAll();

        forge.verify(1, postRequestedFor(anyUrl()));
        assertThat(Files.readString(ledger)).startsWith("{\"version\":1,\"statuses\":[{\"key\":\"qfence/hv1/" + SHA
                + "\",\"shown\":\"APPLIED\\napplied\"}]");
    }

    @Test
    void theTokenIsReadAtEveryAttemptSoARotatedTokenIsUsedAtOnce() throws IOException {
        Announcer announcer = announcer(endpoint(ForgeKind.GITEA, Optional.empty()), retry(1));
        forge.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(201)));

        announcer.commitStatus(new CommitStatus(SHA, RevisionState.APPLIED, "hv1", "applied"));
        timer.runAll();
        Files.writeString(tokenFile, "rotated\n");
        announcer.commitStatus(new CommitStatus(SHA, RevisionState.REFUSED, "hv1", "unsigned"));
        timer.runAll();

        forge.verify(1, postRequestedFor(anyUrl()).withHeader("Authorization", equalTo("token " + TOKEN)));
        forge.verify(1, postRequestedFor(anyUrl()).withHeader("Authorization", equalTo("token rotated")));
    }

    @Test
    void aTokenFileEveryUserMayReadIsRefusedBeforeAnythingIsSent() throws IOException {
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> announcer(endpoint(ForgeKind.GITHUB, Optional.empty()), retry(1)))
                .isInstanceOf(IOException.class)
                .hasMessage("the forge token file " + tokenFile + " is readable by every user (rw-r--r--): chmod o-r "
                        + tokenFile);
        assertThat(forge.getAllServeEvents()).isEmpty();
    }

    @Test
    void anEndpointIsValidatedWithPreciseMessages() {
        assertThatThrownBy(() -> new ForgeEndpoint(ForgeKind.GITHUB, URI.create("http://forge.example.org"), "a/b",
                tokenFile, Optional.empty())).hasMessage("the forge URL must be https:// (http:// only to a loopback "
                + "address): http://forge.example.org");
        assertThatThrownBy(() -> new ForgeEndpoint(ForgeKind.GITEA, URI.create("https://forge.example.org/api/v1"),
                "fleet", tokenFile, Optional.empty())).hasMessage("the gitea repository must be OWNER/REPO, not 'fleet'");
        assertThatThrownBy(() -> new ForgeEndpoint(ForgeKind.GITLAB, URI.create("https://gitlab.example.org/api/v4"),
                "a b", tokenFile, Optional.empty()))
                .hasMessage("the gitlab repository must be a project id or GROUP/PROJECT path, not 'a b'");
        assertThatThrownBy(() -> new ForgeEndpoint(ForgeKind.GITHUB, URI.create("https://api.github.com"), "a/b",
                tokenFile, Optional.of(URI.create("javascript:alert(1)"))))
                .hasMessage("the status target URL must be an http(s) URL, not 'javascript:alert(1)'");
        assertThatThrownBy(() -> new CommitStatus("0123456", RevisionState.APPLIED, "hv1", "x"))
                .hasMessage("a commit status needs a full commit id (40 hex digits), not '0123456'");
    }

    // ---- helpers

    private MappingBuilder exactly(Expected expected) {
        MappingBuilder stub = post(urlEqualTo(expected.path()));
        for (Map.Entry<String, String> header : expected.headers().entrySet()) {
            stub = stub.withHeader(header.getKey(), equalTo(header.getValue()));
        }
        return stub;
    }

    private RequestPatternBuilder requested(Expected expected) {
        RequestPatternBuilder pattern = postRequestedFor(urlEqualTo(expected.path()));
        for (Map.Entry<String, String> header : expected.headers().entrySet()) {
            pattern = pattern.withHeader(header.getKey(), equalTo(header.getValue()));
        }
        return pattern;
    }

    private static String state(LoggedRequest request) {
        String body = request.getBodyAsString();
        int at = body.indexOf("\"state\":\"") + 9;
        return body.substring(at, body.indexOf('"', at));
    }

    private ForgeEndpoint endpoint(ForgeKind kind, Optional<URI> target) {
        return new ForgeEndpoint(kind, URI.create(forge.baseUrl() + FORGES.get(kind).apiRoot()), "acme/fleet",
                tokenFile, target);
    }

    private static Outbox.RetryPolicy retry(int attempts) {
        return new Outbox.RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), attempts);
    }

    private Announcer announcer(ForgeEndpoint endpoint, Outbox.RetryPolicy retry) throws IOException {
        return Outbound.open(new Outbound.Targets(Optional.of(endpoint), Optional.empty()), JdkHttpPoster.create(),
                timer, retry, new SplittableRandom(7), metrics,
                (channel, what, revision, attempts, error) -> givenUp.add(channel + ": " + what + " of "
                        + revision.orElse("-") + ", " + attempts + " attempts: " + error),
                SentLedger.open(stateDir(), warnings::add));
    }

    /** The daemon's state directory, the same for every announcer of a test: a second one is the daemon restarted. */
    private Path stateDir() throws IOException {
        return Files.createDirectories(tmp.resolve("state"));
    }

    private Path secret(String name, String content) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
