package io.qfence.daemon;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.qfence.app.Main;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.notify.ForgeEndpoint;
import io.qfence.daemon.notify.ForgeKind;
import io.qfence.daemon.notify.Outbound;
import io.qfence.daemon.notify.WebhookNotifier;
import io.qfence.daemon.notify.WebhookTarget;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qfence reconcile --once} with the composition root's parts (the JDK's HTTP client on the outbox's own
 * thread) against a WireMock stand-in playing the forge and the notification receiver: the one cycle's commit status
 * and notification go out before the command returns.
 */
class ReconcileOnceTalksBackTest {

    @TempDir
    Path tmp;

    WireMockServer standIn;
    DesiredRepo repo;

    @BeforeEach
    void start() throws Exception {
        standIn = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
        standIn.start();
        standIn.stubFor(post(urlEqualTo("/api/v1/repos/acme/fleet/statuses/" + head()))
                .willReturn(aResponse().withStatus(201)));
        standIn.stubFor(post(urlEqualTo("/hooks/qfence")).willReturn(aResponse().withStatus(204)));
    }

    private String head() throws Exception {
        if (repo == null) {
            repo = DesiredRepo.create(tmp.resolve("origin"));
        }
        return repo.head();
    }

    @AfterEach
    void stop() {
        standIn.stop();
    }

    @Test
    void onceAppliesThenSetsTheStatusAndNotifiesBeforeItReturns() throws Exception {
        Path stateDir = Files.createDirectories(tmp.resolve("state"));
        Path token = secret("token", "gitea-token");
        Path key = secret("notify", "shared");
        ReconcileSettings settings = new ReconcileSettings("hv1", stateDir, Duration.ofMinutes(1), Duration.ofMinutes(5),
                0.1, Duration.ofSeconds(1), Duration.ofSeconds(5), AutoApply.ALL, false, DriftMode.REPORT);
        ReconcileDaemon.DaemonOptions options = new ReconcileDaemon.DaemonOptions(settings,
                new RemoteSpec.LocalRepository(repo.git.dir()), "main", DesiredRepo.DIR, Duration.ofSeconds(20),
                Optional.empty(), false, Optional.empty(), Optional.empty(), new Outbound.Targets(
                Optional.of(new ForgeEndpoint(ForgeKind.GITEA, URI.create(standIn.baseUrl() + "/api/v1"), "acme/fleet",
                        token, Optional.empty())),
                Optional.of(new WebhookTarget(URI.create(standIn.baseUrl() + "/hooks/qfence"), key))));

        Reconciler.CycleResult result = ReconcileDaemon.once(options, new FakeCycle(), Clock.systemUTC(),
                new SecureRandom(), Main.daemonCollaborators());

        assertThat(result.records()).extracting(r -> r.outcome()).containsExactly(Outcome.APPLIED);
        standIn.verify(1, postRequestedFor(urlEqualTo("/api/v1/repos/acme/fleet/statuses/" + repo.head()))
                .withHeader("Authorization", equalTo("token gitea-token"))
                .withRequestBody(equalToJson("{\"state\":\"success\",\"context\":\"qfence/hv1\","
                        + "\"description\":\"applied on hv1: 1 action\"}", false, false)));
        standIn.verify(1, postRequestedFor(urlEqualTo("/hooks/qfence"))
                .withHeader(WebhookNotifier.EVENT_HEADER, equalTo("guest_crashed"))
                .withHeader(WebhookNotifier.SIGNATURE_HEADER, com.github.tomakehurst.wiremock.client.WireMock
                        .matching("sha256=[0-9a-f]{64}"))
                .withRequestBody(matchingJsonPath("$.subject", equalTo("beta-db"))));
    }

    private Path secret(String name, String content) throws Exception {
        Path file = tmp.resolve(name);
        Files.writeString(file, content + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
