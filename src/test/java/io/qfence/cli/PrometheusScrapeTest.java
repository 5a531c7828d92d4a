package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.qfence.app.Main;
import io.qfence.daemon.ReconcileCycle;
import io.qfence.daemon.ReconcileDaemon;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.Journal;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.platform.os.NetNamespace;
import io.qfence.testing.BundledState;
import io.qfence.testing.GitCli;
import io.qfence.testing.LoopbackHttp;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped alert rules and dashboard against a real Prometheus (Debian's {@code prometheus}) scraping a running
 * daemon (issue 20): {@code qfence reconcile} keeps a private sandbox ({@link LiveSandbox}; guests out of scope) at
 * the head of a local repository, and a Prometheus of the test's own, in the sandbox's network namespace with its own
 * temporary directory, scrapes its operator interface every second. Every dashboard query returns a series, and each
 * alert fires in a scenario made for it: an exception that expires in three days, a tap deleted by hand again and
 * again, a forge and a webhook receiver that refuse every status and notification, an invalid commit at the head, the
 * daemon stopped, a daemon that cannot fetch its repository, and a report-mode daemon left with drift. The rules are the
 * shipped file with each {@code for:} shortened to 2 s (the expressions are the shipped ones, unchanged).
 *
 * <p>{@code QfenceGuestOOMKilled} and the dashboard's OOM panel need a guest's cgroup ({@code qfence_oom_kills_total}
 * has a series per VM only): a second scenario runs one real probe guest ({@code OomReportingTest}'s, 72Mi of RAM under
 * an 80Mi VM memory limit) that the kernel's OOM killer ends each time the daemon starts it again; the count is the
 * kernel's (v1 {@code memory.oom_control} here, v2 {@code memory.events} in the lab), and the alert fires on it.
 */
@RequiresHost(tools = {"ip", "nft", "git", "prometheus", "nsenter", "qemu-system-x86_64", "setpriv"}, cgroups = true)
class PrometheusScrapeTest {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Path RULES = Path.of("packaging/prometheus/qfence.rules.yml");
    private static final Path DASHBOARD = Path.of("packaging/grafana/qfence-dashboard.json");
    /** Prometheus's port in the sandbox's own namespace: nothing else listens there. */
    private static final int PROMETHEUS_PORT = 9090;
    /** The daemon's, fixed so that the second daemon is the same scrape target as the first. */
    private static final int DAEMON_PORT = 9740;
    /** A forge and a webhook receiver in the sandbox that refuse everything (401): every delivery is given up. */
    private static final int REFUSING_PORT = 9741;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** As LiveReconcileTest: the daemon lives on the day the bundled state's dates are written for. */
    private static final Clock CLOCK = Clock.offset(Clock.systemUTC(),
            Duration.between(Instant.now(), BundledState.CLOCK.instant()));
    /** Dashboard queries that have no series without guests (see the class comment). */
    private static final Set<String> NEED_GUESTS = Set.of("OOM kills per VM");
    /** The OOM scenario's one guest and its host ({@code src/test/resources/oom}). */
    private static final String OOM_VM = OomReportingTest.VM;
    private static final String OOM_HOST = "h1";

    @TempDir
    Path tmp;

    private LiveSandbox host;
    private NetNamespace sandboxThread;
    private GitCli work;
    private Path origin;
    private ReconcileDaemon daemon;
    private Process prometheus;
    private HttpServer refusing;
    private final Set<String> fired = new TreeSet<>();
    private boolean guests;

    @BeforeEach
    void setUp() throws IOException {
        host = LiveSandbox.create();
        io.qfence.testing.Witness.inNetns(host.name, "ip", "link", "set", "lo", "up");
        sandboxThread = NetNamespace.open(NetNamespace.DEFAULT_DIR.resolve(host.name));
        origin = tmp.resolve("origin.git");
        GitCli.initBare(origin);
        work = GitCli.init(tmp.resolve("work"));
        copy(BundledState.DIR, work.dir().resolve("desired-state"));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (prometheus != null) {
                prometheus.destroy();
                if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly().waitFor();
                }
            }
            if (daemon != null) {
                daemon.close();
            }
            if (refusing != null) {
                refusing.stop(0);
            }
            if (sandboxThread != null) {
                sandboxThread.close();
            }
            if (guests) {
                GuestKills.killAll(host); // a stopped daemon leaves its guests running, by design (DESIGN §15)
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            host.close();
        }
    }

    @AfterAll
    static void nothingIsLeft() {
        LiveSandbox.assertNothingLeft();
    }

    @Test
    void everyDashboardQueryReturnsASeriesAndEveryAlertFiresInItsScenario() throws Exception {
        // the ci group's exception now ends three days from (real) today: Prometheus's time() is the real clock
        LocalDate soon = LocalDate.now(ZoneOffset.UTC).plusDays(3);
        Path ci = work.dir().resolve("desired-state/groups/ci.yaml");
        String yaml = Files.readString(ci);
        assertThat(yaml).contains("expires: 2099-12-31");
        Files.writeString(ci, yaml.replace("expires: 2099-12-31", "expires: " + soon));
        String first = commitAll("the bundled desired state; ci's exception ends on " + soon);
        List<String> talkBack = refusingForgeAndReceiver();
        List<String> options = new ArrayList<>(List.of("--interval", "1s", "--drift-interval", "1s"));
        options.addAll(talkBack);
        daemon = start(BundledState.HOST, options.toArray(String[]::new));
        awaitUntil(() -> journal().stream().anyMatch(r -> r.revision().orElse("").equals(first)
                && r.outcome() == CycleRecord.Outcome.APPLIED), "the first commit applied");
        startPrometheus(DAEMON_PORT);
        awaitQuery("up{job=\"qfence\"} == 1", "the daemon scraped");

        // an exception that ends within a week
        awaitFiring("QfenceExceptionExpiresSoon");

        // one object healed again and again: a tap deleted by hand each time the daemon put it back
        String tap = host.realization().objects(Link.class).stream().filter(l -> l.kind() == LinkKind.TAP)
                .findFirst().orElseThrow().name();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!firing().contains("QfenceDriftHealedRepeatedly")) {
            assertThat(System.nanoTime()).as("QfenceDriftHealedRepeatedly within " + WAIT).isLessThan(deadline);
            if (host.link(tap).isPresent()) {
                host.witness("ip", "link", "del", tap);
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        fired.add("QfenceDriftHealedRepeatedly");
        // each drift found and healed is a notification, and the receiver refuses them all
        awaitFiring("QfenceNotificationsFailing");

        // every dashboard query, as Grafana would send it with every instance selected
        Map<String, String> queries = dashboardQueries();
        assertThat(queries).hasSizeGreaterThanOrEqualTo(10);
        List<String> empty = new ArrayList<>();
        for (Map.Entry<String, String> q : queries.entrySet()) {
            String expr = q.getValue().replace("$__rate_interval", "1m").replace("$instance", ".*");
            JsonNode result = query(expr);
            if (result.isEmpty() && !NEED_GUESTS.contains(q.getKey())) {
                empty.add(q.getKey() + ": " + expr);
            }
        }
        assertThat(empty).as("dashboard queries that returned no series").isEmpty();

        // an invalid commit at the head: the applied revision stays, and the head is not applied
        Files.writeString(work.dir().resolve("desired-state/groups/web.yaml"), "kind: Group\nspec: [not, a, group\n");
        commitAll("a broken group file");
        awaitFiring("QfenceHeadNotApplied");
        // its failure status, refused by the forge, is one more status given up
        awaitFiring("QfenceForgeStatusesFailing");

        // the daemon stops: Prometheus can no longer scrape it
        daemon.close();
        daemon = null;
        awaitFiring("QfenceDown");

        // cycle after cycle fails: the next daemon (same address) finds no repository to fetch. Its host checks are
        // an hour apart, because a host check that succeeds between failed cycles ends the run of failures: the
        // alert is about cycles failing in a row, not about a fetch failing while the host stays converged
        Files.move(origin, tmp.resolve("origin-moved.git"));
        daemon = start(BundledState.HOST, "--interval", "1s", "--drift-interval", "1h");
        awaitFiring("QfenceApplyFailing");

        // a daemon that reports drift and leaves it: a tap deleted by hand stays deleted, and waits
        daemon.close();
        daemon = null;
        Files.move(tmp.resolve("origin-moved.git"), origin);
        daemon = start(BundledState.HOST, "--interval", "1s", "--drift-interval", "1s", "--drift", "report");
        host.witness("ip", "link", "del", tap);
        awaitFiring("QfenceDriftWaiting");
        assertThat(host.link(tap)).as("report mode leaves the drift in place").isEmpty();

        // every alert of the shipped file but the one that needs a guest
        Set<String> alerts = alertNames();
        assertThat(alerts).containsExactlyInAnyOrder("QfenceDown", "QfenceApplyFailing", "QfenceHeadNotApplied",
                "QfenceDriftHealedRepeatedly", "QfenceGuestOOMKilled", "QfenceExceptionExpiresSoon", "QfenceDriftWaiting",
                "QfenceForgeStatusesFailing", "QfenceNotificationsFailing");
        Set<String> expected = new TreeSet<>(alerts);
        expected.remove("QfenceGuestOOMKilled"); // the next scenario's
        assertThat(fired).isEqualTo(expected);
        // no guest, no OOM kill: its expression is valid and evaluated (an empty result, not an error)
        assertThat(query("increase(qfence_oom_kills_total[15m]) > 0")).isEmpty();
    }

    @Test
    void aRealGuestKilledByItsMemoryLimitFiresTheOomAlertAndFillsTheOomPanel() throws Exception {
        // one probe guest whose VM memory limit is below what the booting guest needs: the kernel ends it within a
        // second of each start, and the daemon, healing, starts it again (a crashed guest is drift)
        Path desired = host.forGuests(OomReportingTest.DESIRED);
        LiveSandbox.privateUidRange(desired);
        Path state = work.dir().resolve("desired-state");
        deleteTree(state);
        copy(desired, state);
        commitAll("one probe guest with 72Mi of RAM under an 80Mi memory limit");
        guests = true;
        daemon = start(OOM_HOST, "--interval", "1s", "--drift-interval", "3s");
        startPrometheus(DAEMON_PORT);
        awaitQuery("up{job=\"qfence\"} == 1", "the daemon scraped");
        // a series at the kernel's count once the daemon has observed the guest's cgroup, then the count rising
        awaitQuery("qfence_oom_kills_total{vm=\"" + OOM_VM + "\"} > 0", "an OOM kill counted");
        awaitFiring("QfenceGuestOOMKilled");

        JsonNode alert = null;
        for (JsonNode a : get("/api/v1/alerts").path("data").path("alerts")) {
            if (a.path("labels").path("alertname").asText().equals("QfenceGuestOOMKilled")) {
                alert = a;
            }
        }
        assertThat(alert).isNotNull();
        assertThat(alert.path("labels").path("vm").asText()).isEqualTo(OOM_VM);
        assertThat(alert.path("annotations").path("summary").asText()).contains("VM " + OOM_VM + " was OOM-killed");

        // the dashboard's OOM panel, as Grafana sends it: one series, this VM's, at no more than the kernel's count
        String panel = dashboardQueries().get("OOM kills per VM");
        JsonNode series = query(panel.replace("$instance", ".*"));
        assertThat(series).as(panel).hasSize(1);
        assertThat(series.get(0).path("metric").path("vm").asText()).isEqualTo(OOM_VM);
        double exported = series.get(0).path("value").get(1).asDouble();
        assertThat(exported).isPositive();
        System.out.printf("MEASURE OOM scenario: QfenceGuestOOMKilled firing for vm=%s, qfence_oom_kills_total %s%n",
                OOM_VM, exported);
    }

    // ---- the forge and the receiver

    /**
     * Starts a forge and a webhook receiver in the sandbox's namespace that answer 401 to every request (a revoked
     * token: given up at once, never retried) and returns the daemon's options that point at them.
     */
    private List<String> refusingForgeAndReceiver() throws IOException {
        refusing = sandboxThread.call(() -> {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), REFUSING_PORT), 0);
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(401, -1);
                exchange.close();
            });
            server.start();
            return server;
        });
        Path token = tmp.resolve("forge-token");
        Path secret = tmp.resolve("notify-secret");
        for (Path file : List.of(token, secret)) {
            Files.writeString(file, "revoked\n");
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        String root = "http://127.0.0.1:" + REFUSING_PORT;
        return List.of("--forge", "gitea", "--forge-url", root + "/api/v1", "--forge-repo", "acme/fleet",
                "--forge-token-file", token.toString(), "--notify-url", root + "/hooks/qfence",
                "--notify-secret-file", secret.toString());
    }

    // ---- Prometheus

    private void startPrometheus(int daemonPort) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("prometheus"));
        String rules = Files.readString(RULES).replaceAll("(?m)^(\\s+)for: \\d+m$", "$1for: 2s");
        assertThat(rules).doesNotContainPattern("for: \\d+m");
        Files.writeString(dir.resolve("qfence.rules.yml"), rules);
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files: [qfence.rules.yml]
                scrape_configs:
                  - job_name: qfence
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(daemonPort));
        prometheus = new ProcessBuilder("nsenter", "--net=" + NetNamespace.DEFAULT_DIR.resolve(host.name),
                "prometheus", "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + PROMETHEUS_PORT)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    /** The result vector of an instant query; fails on an error, which a wrong expression is. */
    private JsonNode query(String expr) {
        JsonNode body = get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        assertThat(body.path("status").asText()).as(expr + ": " + body).isEqualTo("success");
        return body.path("data").path("result");
    }

    private void awaitQuery(String expr, String what) throws Exception {
        awaitUntil(() -> {
            try {
                return !query(expr).isEmpty();
            } catch (AssertionError | RuntimeException e) {
                return false; // Prometheus still starting
            }
        }, what);
    }

    private Set<String> firing() {
        Set<String> names = new TreeSet<>();
        for (JsonNode alert : get("/api/v1/alerts").path("data").path("alerts")) {
            if (alert.path("state").asText().equals("firing")) {
                names.add(alert.path("labels").path("alertname").asText());
            }
        }
        return names;
    }

    private void awaitFiring(String alert) throws Exception {
        awaitUntil(() -> firing().contains(alert), alert + " firing");
        fired.add(alert);
    }

    private Set<String> alertNames() {
        Set<String> names = new TreeSet<>();
        for (JsonNode group : get("/api/v1/rules").path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.path("type").asText().equals("alerting")) {
                    names.add(rule.path("name").asText());
                }
            }
        }
        return names;
    }

    private JsonNode get(String path) {
        LoopbackHttp.Response r = sandboxThread.call(() -> LoopbackHttp.send(PROMETHEUS_PORT, "GET", path, null, Map.of()));
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The dashboard's queries, by panel title. */
    static Map<String, String> dashboardQueries() throws IOException {
        Map<String, String> queries = new TreeMap<>();
        for (JsonNode panel : JSON.readTree(DASHBOARD.toFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.path("title").asText(), target.path("expr").asText());
            }
        }
        return queries;
    }

    // ---- the daemon

    /** The daemon as HOST, on the sandbox; guests in scope only in the scenario that has one. */
    private ReconcileDaemon start(String hostName, String... more) {
        List<String> args = new ArrayList<>(List.of("reconcile", "--repo", origin.toString(), "--branch", "main",
                "--host", hostName, "--max-retry-delay", "2s", "--listen", "127.0.0.1:" + DAEMON_PORT));
        args.addAll(host.hostArgs().stream().filter(a -> !a.equals("--dir") && !a.equals(BundledState.DIR.toString()))
                .filter(a -> !(guests && a.equals("--no-guests"))).toList());
        args.addAll(List.of(more));
        CliContext context = new CliContext(CLOCK, HostRealization.realizer(), Main.liveHost(),
                new java.io.BufferedReader(new java.io.StringReader("")), Main.liveCycles(Main.liveHost()),
                Main.daemonCollaborators());
        picocli.CommandLine.ParseResult parsed = Cli.commandLine(context).parseArgs(args.toArray(String[]::new));
        ReconcileCommand command = (ReconcileCommand) parsed.subcommand().commandSpec().userObject();
        ReconcileDaemon.DaemonOptions options = command.options();
        ReconcileCycle engine = context.cycles().create(command.where(options));
        io.qfence.daemon.git.HermeticGitConfig.install();
        return sandboxThread.call(() -> ReconcileDaemon.start(options, engine, CLOCK, new SecureRandom(), context.daemon()));
    }

    private String commitAll(String message) {
        work.run("add", "desired-state");
        work.run("commit", "-q", "-m", message);
        work.run("push", "-q", "../origin.git", "HEAD:refs/heads/main");
        return work.revParse("HEAD");
    }

    private List<CycleRecord> journal() {
        try {
            return Journal.read(host.stateDir()).records();
        } catch (IOException e) {
            return List.of();
        }
    }

    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    private void awaitUntil(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + WAIT + "; firing: " + safeFiring() + "; journal: "
                        + journal() + "; prometheus.log tail: " + prometheusLog());
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
    }

    private String safeFiring() {
        try {
            return firing().toString();
        } catch (RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }

    private String prometheusLog() {
        try {
            List<String> lines = Files.readAllLines(tmp.resolve("prometheus/prometheus.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "none";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
