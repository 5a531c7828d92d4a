package io.qfence.cli;

import io.qfence.daemon.AutoApply;
import io.qfence.daemon.DriftMode;
import io.qfence.daemon.ReconcileCycle;
import io.qfence.daemon.ReconcileDaemon;
import io.qfence.daemon.ReconcileSettings;
import io.qfence.daemon.Reconciler;
import io.qfence.daemon.git.HermeticGitConfig;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.notify.ForgeEndpoint;
import io.qfence.daemon.notify.ForgeKind;
import io.qfence.daemon.notify.Outbound;
import io.qfence.daemon.notify.SecretFile;
import io.qfence.daemon.notify.WebhookTarget;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.errors.UsageException;
import io.qfence.source.GitRevision;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "reconcile",
        mixinStandardHelpOptions = true,
        description = {"Run the GitOps daemon: keep this host at the head of a Git branch.",
            "Each cycle fetches the branch; a new revision is admitted (history, and signatures with --verify-signatures), validated, graded (--auto-apply), planned and applied, and recorded in the journal. Without a new revision, the host is checked and drift healed every --drift-interval, and exceptions are removed when they expire. An invalid or refused revision leaves the last applied one in place; failures are retried with back-off. qfence suspend, resume, approve and status control and report it.",
            "Options can be kept in a file: qfence reconcile @/etc/qfence/reconcile.conf (one per line, # comments).",
            "With --once: one cycle, then exit 0 (applied, nothing to do, suspended or awaiting approval) or 1.",
            "--host is required. --state-dir (default: " + StateDirOptions.DEFAULT + ") holds the daemon's state and is also the host's stateDir, so the daemon and qfence apply --state-dir DIR share one state lock.",
            "Guests are started, stopped and restarted as qfence apply does; --no-guests (or --scope without guests) keeps only the network, firewall and cgroups and leaves guests alone."})
final class ReconcileCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--repo", paramLabel = "URL|PATH", required = true,
            description = "The desired state's repository: an absolute path, file://, git://, https:// or ssh://.")
    String repo;

    @Option(names = "--branch", paramLabel = "BRANCH", defaultValue = "main",
            description = "The branch to follow (default: ${DEFAULT-VALUE}).")
    String branch;

    @Option(names = "--dir", paramLabel = "PATH", defaultValue = GitRevision.DEFAULT_DIRECTORY,
            description = "The desired-state directory inside the repository (default: ${DEFAULT-VALUE}).")
    String dir;

    @Mixin
    HostOptions hostOptions;

    @Mixin
    ScopeOptions scopeOptions;

    @ParentCommand
    QfenceCommand root;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "How often to fetch (default: ${DEFAULT-VALUE}); each wait gets up to 10%% jitter.")
    Duration interval;

    @Option(names = "--drift-interval", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "How often to check the host and heal drift without a new revision (default: ${DEFAULT-VALUE}).")
    Duration driftInterval;

    @Option(names = "--once", description = "Run one cycle and exit.")
    boolean once;

    @Option(names = "--auto-apply", paramLabel = "MODE", defaultValue = "all",
            description = "Which admitted revisions apply without qfence approve: all (default), narrowing (those that "
                    + "do not widen access, by the reachability of their realized policy) or none.")
    String autoApply;

    @Option(names = "--verify-signatures",
            description = "Apply only revisions whose every new commit is signed by a key in --trusted-keys.")
    boolean verifySignatures;

    @Option(names = "--trusted-keys", paramLabel = "DIR",
            description = "OpenPGP public keys (*.asc, *.gpg) and/or an SSH allowed_signers file; read at every cycle.")
    Path trustedKeys;

    @Option(names = "--allow-rewrite",
            description = "Apply a head whose history no longer contains the last applied revision (force-push).")
    boolean allowRewrite;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:9740",
            description = "The operator interface: /healthz, /readyz, /metrics, POST /hooks/git (default: "
                    + "${DEFAULT-VALUE}; none: no HTTP). Bind beyond loopback only behind TLS and access control.")
    String listen;

    @Option(names = "--webhook-secret", paramLabel = "FILE",
            description = "Enable POST /hooks/git, accepting only requests signed (X-Hub-Signature-256) with this secret.")
    Path webhookSecret;

    @Option(names = "--token-file", paramLabel = "FILE", description = "https: a token, sent as the password.")
    Path tokenFile;

    @Option(names = "--ssh-key", paramLabel = "FILE", description = "ssh: the private key (with --known-hosts).")
    Path sshKey;

    @Option(names = "--known-hosts", paramLabel = "FILE", description = "ssh: the only host keys accepted.")
    Path knownHosts;

    @Option(names = "--fetch-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "Gives up on a fetch after this long (default: ${DEFAULT-VALUE}).")
    Duration fetchTimeout;

    @Option(names = "--drift", paramLabel = "MODE", defaultValue = "heal",
            description = "What a host check between revisions does with drift: heal (default) puts the host back; "
                    + "report plans, journals, counts (qfence_drift_waiting) and notifies it, and leaves the host as it "
                    + "is (qfence status shows it). A new revision, and an exception's expiry, apply in either mode.")
    String drift;

    @Option(names = "--forge", paramLabel = "KIND",
            description = "Set a commit status (context qfence/HOST) after every verdict about a revision on this "
                    + "forge: github, gitlab or gitea (Forgejo too). Needs --forge-repo and --forge-token-file.")
    String forge;

    @Option(names = "--forge-url", paramLabel = "URL",
            description = "The forge's API root: https://api.github.com (the default for github), "
                    + "https://HOST/api/v4 (gitlab), https://HOST/api/v1 (gitea). https only (http only to loopback).")
    String forgeUrl;

    @Option(names = "--forge-repo", paramLabel = "REPO",
            description = "The repository: OWNER/REPO (github, gitea), or the project's id or GROUP/PROJECT path (gitlab).")
    String forgeRepo;

    @Option(names = "--forge-token-file", paramLabel = "FILE",
            description = "The forge's API token, read at every status (never on the command line); a file every user "
                    + "may read is refused.")
    Path forgeTokenFile;

    @Option(names = "--forge-target-url", paramLabel = "URL",
            description = "A link each commit status carries, e.g. this host's dashboard.")
    String forgeTargetUrl;

    @Option(names = "--notify-url", paramLabel = "URL",
            description = "Send a signed JSON message here on: apply failed, revision refused, awaiting approval, drift "
                    + "found, drift healed, guest crashed or OOM-killed, exception expired (once per event, host and "
                    + "subject a day; rate limited). Needs --notify-secret-file.")
    String notifyUrl;

    @Option(names = "--notify-secret-file", paramLabel = "FILE",
            description = "The shared secret that signs each notification (X-Qfence-Signature-256: sha256=HMAC-SHA256 "
                    + "of the body); a file every user may read is refused.")
    Path notifySecretFile;

    @Option(names = "--max-retry-delay", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "The longest wait between retries of a failing fetch or apply (default: ${DEFAULT-VALUE}).")
    Duration maxRetryDelay;

    private final CliContext context;

    ReconcileCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        ReconcileDaemon.DaemonOptions options = options();
        CycleFactory.Where where = where(options);
        Scope scope = where.scope();
        ReconcileCycle cycle = context.cycles().create(where);
        HermeticGitConfig.install();
        PrintWriter out = spec.commandLine().getOut();
        if (!scope.includes(Scope.Part.GUESTS)) {
            spec.commandLine().getErr().println("qfence reconcile: keeping " + scope + " only; guests are left alone "
                    + "(not started, stopped or observed for changes)");
            spec.commandLine().getErr().flush();
        }
        if (once) {
            Reconciler.CycleResult result = ReconcileDaemon.once(options, cycle, context.clock(), new SecureRandom(), context.daemon());
            if (result.idle()) {
                out.println("nothing to do");
            }
            for (CycleRecord record : result.records()) {
                out.println(describe(record));
            }
            out.flush();
            return result.failed() ? ExitCodes.ERROR : ExitCodes.OK;
        }
        ReconcileDaemon daemon = ReconcileDaemon.start(options, cycle, context.clock(), new SecureRandom(), context.daemon());
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "qfence-shutdown"));
        daemon.httpAddress().ifPresent(address -> spec.commandLine().getErr()
                .println("qfence reconcile: operator interface on http://" + address.getHostString() + ":"
                        + address.getPort()));
        spec.commandLine().getErr().flush();
        Optional<Throwable> internalError = daemon.awaitStop();
        if (internalError.isPresent()) {
            // recorded by the cycle (journal, status.json); exiting non-zero lets the supervisor restart the daemon
            daemon.close();
            throw new IllegalStateException("the daemon stopped on an internal error in a cycle", internalError.get());
        }
        return ExitCodes.OK;
    }

    /** The host the daemon of {@code options} reconciles: the host options, with the daemon's state directory. */
    CycleFactory.Where where(ReconcileDaemon.DaemonOptions options) {
        HostOptions host = hostOptions.over(root.hostOptions);
        Path stateDir = options.settings().stateDir();
        HostOverrides given = host.overrides();
        HostOverrides overrides = new HostOverrides(given.imagesRoot(), given.runDir(), Optional.of(stateDir.toString()),
                given.cgroupParent());
        return new CycleFactory.Where(options.settings().host(), stateDir, host.target(), overrides, scopeOptions.scope());
    }

    ReconcileDaemon.DaemonOptions options() {
        AutoApply mode;
        try {
            mode = AutoApply.valueOf(autoApply.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--auto-apply must be all, narrowing or none, not '" + autoApply + "'");
        }
        if (verifySignatures != (trustedKeys != null)) {
            throw new UsageException(verifySignatures ? "--verify-signatures needs --trusted-keys DIR"
                    : "--trusted-keys is used only with --verify-signatures");
        }
        RemoteSpec remote;
        try {
            remote = RemoteSpec.of(repo, Optional.ofNullable(tokenFile), Optional.ofNullable(sshKey),
                    Optional.ofNullable(knownHosts));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        Optional<InetSocketAddress> address = listenAddress();
        if (webhookSecret != null && address.isEmpty()) {
            throw new UsageException("--webhook-secret needs the operator interface (--listen), not --listen none");
        }
        Duration retryBase = Duration.ofSeconds(10).compareTo(maxRetryDelay) < 0 ? Duration.ofSeconds(10) : maxRetryDelay;
        HostOptions host = hostOptions.over(root.hostOptions);
        String name = host.host().orElseThrow(() -> new UsageException("qfence reconcile needs --host H: this host's "
                + "name in the desired state"));
        Path stateDir = (host.stateDir != null ? host.stateDir : Path.of(StateDirOptions.DEFAULT)).toAbsolutePath()
                .normalize();
        DriftMode driftMode = switch (drift) {
            case "heal" -> DriftMode.HEAL;
            case "report" -> DriftMode.REPORT;
            default -> throw new UsageException("--drift must be heal or report, not '" + drift + "'");
        };
        ReconcileSettings settings;
        try {
            settings = new ReconcileSettings(name, stateDir, interval, driftInterval, 0.1,
                    retryBase, maxRetryDelay, mode, verifySignatures, driftMode);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        return new ReconcileDaemon.DaemonOptions(settings, remote, branch, dir, fetchTimeout, Optional.ofNullable(trustedKeys),
                allowRewrite, address, Optional.ofNullable(webhookSecret),
                new Outbound.Targets(forgeEndpoint(), notifyTarget()));
    }

    /** {@code --forge*}: all or nothing, checked before the daemon starts (the token file's mode too). */
    Optional<ForgeEndpoint> forgeEndpoint() {
        if (forge == null) {
            if (forgeUrl != null || forgeRepo != null || forgeTokenFile != null || forgeTargetUrl != null) {
                throw new UsageException("--forge-url, --forge-repo, --forge-token-file and --forge-target-url need "
                        + "--forge github|gitlab|gitea");
            }
            return Optional.empty();
        }
        ForgeKind kind = switch (forge) {
            case "github" -> ForgeKind.GITHUB;
            case "gitlab" -> ForgeKind.GITLAB;
            case "gitea" -> ForgeKind.GITEA;
            default -> throw new UsageException("--forge must be github, gitlab or gitea, not '" + forge + "'");
        };
        if (forgeRepo == null) {
            throw new UsageException("--forge " + forge + " needs --forge-repo REPO");
        }
        if (forgeTokenFile == null) {
            throw new UsageException("--forge " + forge + " needs --forge-token-file FILE (a token is never taken "
                    + "from the command line)");
        }
        if (forgeUrl == null && kind != ForgeKind.GITHUB) {
            throw new UsageException("--forge " + forge + " needs --forge-url (the API root, e.g. https://HOST/api/"
                    + (kind == ForgeKind.GITLAB ? "v4" : "v1") + ")");
        }
        try {
            ForgeEndpoint endpoint = new ForgeEndpoint(kind, forgeUrl == null ? ForgeEndpoint.GITHUB_API
                    : url("--forge-url", forgeUrl), forgeRepo, forgeTokenFile,
                    Optional.ofNullable(forgeTargetUrl).map(u -> url("--forge-target-url", u)));
            SecretFile.check("--forge-token-file", forgeTokenFile);
            return Optional.of(endpoint);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--forge: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /** {@code --notify-url} and {@code --notify-secret-file}: both or neither; a message is always signed. */
    Optional<WebhookTarget> notifyTarget() {
        if (notifyUrl == null && notifySecretFile == null) {
            return Optional.empty();
        }
        if (notifyUrl == null || notifySecretFile == null) {
            throw new UsageException(notifyUrl == null ? "--notify-secret-file needs --notify-url URL"
                    : "--notify-url needs --notify-secret-file FILE: every notification is signed");
        }
        try {
            WebhookTarget target = new WebhookTarget(url("--notify-url", notifyUrl), notifySecretFile);
            SecretFile.check("--notify-secret-file", notifySecretFile);
            return Optional.of(target);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--notify-url: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    private static URI url(String option, String text) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            throw new UsageException(option + ": '" + text + "' is not a URL: " + e.getReason());
        }
    }

    private Optional<InetSocketAddress> listenAddress() {
        if ("none".equals(listen)) {
            return Optional.empty();
        }
        int colon = listen.lastIndexOf(':');
        if (colon < 1) {
            throw new UsageException("--listen must be ADDR:PORT (e.g. 127.0.0.1:9740) or none, not '" + listen + "'");
        }
        String address = listen.substring(0, colon).replaceAll("^\\[|\\]$", "");
        try {
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            // a literal address only: resolving a name would make the bind depend on DNS
            if (!address.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw new UsageException("--listen needs a literal IP address, not '" + address + "'");
            }
            return Optional.of(new InetSocketAddress(InetAddress.getByName(address), port));
        } catch (NumberFormatException e) {
            throw new UsageException("--listen: '" + listen.substring(colon + 1) + "' is not a port");
        } catch (UnknownHostException e) {
            throw new UsageException("--listen: '" + address + "' is not an IP address");
        }
    }

    static String describe(CycleRecord record) {
        StringBuilder line = new StringBuilder(record.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        record.revision().ifPresent(r -> line.append(' ').append(r, 0, Math.min(12, r.length())));
        line.append(" (").append(record.trigger());
        if (!record.actions().isEmpty()) {
            line.append(", ").append(record.actions().size()).append(record.actions().size() == 1 ? " action" : " actions");
        }
        if (!record.drift().isEmpty()) {
            line.append(", ").append(record.drift().size()).append(" drift");
        }
        line.append(')');
        for (String error : record.errors()) {
            line.append("\n  error: ").append(error);
        }
        for (String note : record.notes()) {
            line.append("\n  ").append(note);
        }
        return line.toString();
    }
}
