package io.qfence.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The shipped Prometheus alert rules and Grafana dashboard (packaging/prometheus, packaging/grafana): valid for
 * promtool, each alert firing in its own scenario in {@code qfence.rules.test.yml} ({@code promtool test rules}), and
 * every metric they name one the daemon exports. A real Prometheus evaluates them against a running daemon in
 * {@code cli.PrometheusScrapeTest}.
 */
@RequiresHost(tools = {"promtool"})
class PrometheusRulesTest {

    static final Path DIR = Path.of("packaging/prometheus");
    static final Path RULES = DIR.resolve("qfence.rules.yml");
    static final Path RULE_TESTS = DIR.resolve("qfence.rules.test.yml");
    static final Path DASHBOARD = Path.of("packaging/grafana/qfence-dashboard.json");
    /** The daemon's exposition, kept exactly by QfenceMetricsTest. */
    static final Path METRICS = Path.of("src/test/resources/golden/daemon/metrics.txt");
    static final Set<String> ISSUE_ALERTS = Set.of("QfenceDown", "QfenceApplyFailing", "QfenceHeadNotApplied",
            "QfenceDriftHealedRepeatedly", "QfenceGuestOOMKilled", "QfenceExceptionExpiresSoon", "QfenceDriftWaiting",
            "QfenceForgeStatusesFailing", "QfenceNotificationsFailing");

    @Test
    void promtoolChecksTheRules() {
        Witness.Result r = Witness.tryRun("promtool", "check", "rules", RULES.toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("SUCCESS: " + ISSUE_ALERTS.size() + " rules found");
    }

    @Test
    void everyAlertFiresInItsPromtoolScenario() {
        Witness.Result r = Witness.tryRun("promtool", "test", "rules", RULE_TESTS.toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
    }

    @Test
    void theRulesAreTheIssuesAlertsAndEachHasAScenarioInWhichItFiresAndOneInWhichItMustNot() throws IOException {
        assertThat(alerts().keySet()).isEqualTo(ISSUE_ALERTS);
        Set<String> firingInATest = new TreeSet<>();
        Set<String> silentInATest = new TreeSet<>();
        for (Object test : (List<?>) yaml(RULE_TESTS).get("tests")) {
            for (Object check : (List<?>) ((Map<?, ?>) test).get("alert_rule_test")) {
                Map<?, ?> c = (Map<?, ?>) check;
                (((List<?>) c.get("exp_alerts")).isEmpty() ? silentInATest : firingInATest).add((String) c.get("alertname"));
            }
        }
        assertThat(firingInATest).isEqualTo(ISSUE_ALERTS);
        assertThat(silentInATest).isEqualTo(ISSUE_ALERTS);
    }

    /** A misspelt metric is an alert that never fires and a panel that stays empty: every name must be exported. */
    @Test
    void everyMetricTheRulesAndTheDashboardNameIsOneTheDaemonExports() throws IOException {
        Set<String> exported = new TreeSet<>(List.of("up"));
        for (String line : Files.readAllLines(METRICS)) {
            if (line.startsWith("# TYPE ")) {
                String[] words = line.split(" ");
                exported.add(words[2]);
                if (words[3].equals("histogram")) {
                    exported.addAll(List.of(words[2] + "_bucket", words[2] + "_sum", words[2] + "_count"));
                }
            } else if (!line.startsWith("#") && !line.isBlank()) {
                exported.add(line.split("[{ ]")[0]);
            }
        }
        List<String> expressions = new ArrayList<>(alerts().values());
        for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        }
        Pattern metric = Pattern.compile("\\b(qfence_[a-z_]+|up)\\b(?=\\s*[{\\[)]|\\s*$|\\s*[-=<>!*+/ ])");
        Set<String> named = new TreeSet<>();
        for (String expr : expressions) {
            Matcher m = metric.matcher(expr);
            while (m.find()) {
                named.add(m.group(1));
            }
        }
        assertThat(named).as("metric names in the rules and the dashboard").hasSizeGreaterThanOrEqualTo(10);
        assertThat(exported).containsAll(named);
    }

    /** Alert name to expression, from the rules file. */
    static Map<String, String> alerts() throws IOException {
        Map<String, String> alerts = new java.util.TreeMap<>();
        for (Object group : (List<?>) yaml(RULES).get("groups")) {
            for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                Map<?, ?> r = (Map<?, ?>) rule;
                alerts.put((String) r.get("alert"), (String) r.get("expr"));
            }
        }
        return alerts;
    }

    private static Map<?, ?> yaml(Path file) throws IOException {
        return (Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    }
}
