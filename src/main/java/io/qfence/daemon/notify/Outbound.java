package io.qfence.daemon.notify;

import io.qfence.daemon.http.WebhookSecret;
import io.qfence.daemon.metrics.QfenceMetrics;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The {@link Announcer} of the daemon: commit statuses to the configured forge, notifications to the configured
 * webhook, both through one {@link Outbox} (retries with back-off, off the reconcile cycle). A commit status is sent
 * when it differs from the last one sent for that commit (a failing apply retried every few minutes does not post the
 * same status again and again), in this process or, from the {@link SentLedger}, before a restart; the forge's token
 * is read from its file at every attempt.
 */
public final class Outbound implements Announcer {

    /** What to talk to: either, both or neither. */
    public record Targets(Optional<ForgeEndpoint> forge, Optional<WebhookTarget> webhook) {
        public static final Targets NONE = new Targets(Optional.empty(), Optional.empty());

        public Targets {
            Objects.requireNonNull(forge, "forge");
            Objects.requireNonNull(webhook, "webhook");
        }
    }

    private final Optional<ForgeEndpoint> forge;
    private final Optional<WebhookNotifier> webhook;
    private final Outbox outbox;
    private final QfenceMetrics metrics;
    private final SentLedger ledger;
    /**
     * The status last queued for each commit in this process, whether it was then sent, is still retrying or was given
     * up (a forge that refuses it is not asked again each cycle); what the ledger holds, what the forge accepted before
     * a restart, answers for a commit not queued since.
     */
    private final Map<String, String> queued = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > SentLedger.MAX_STATUSES;
        }
    };

    private Outbound(Optional<ForgeEndpoint> forge, Optional<WebhookNotifier> webhook, Outbox outbox,
                     QfenceMetrics metrics, SentLedger ledger) {
        this.forge = forge;
        this.webhook = webhook;
        this.outbox = outbox;
        this.metrics = metrics;
        this.ledger = ledger;
    }

    /**
     * Checks the secret files (refused when every user may read them, or empty) and builds the announcer.
     *
     * @param ledger what was already delivered, and where each new delivery is recorded
     * @throws IOException naming the file and the reason
     */
    public static Announcer open(Targets options, HttpPoster poster, Outbox.Timer timer, Outbox.RetryPolicy retry,
                                 RandomGenerator random, QfenceMetrics metrics, Outbox.DeliveryLog log,
                                 SentLedger ledger) throws IOException {
        if (options.forge().isEmpty() && options.webhook().isEmpty()) {
            timer.close();
            return NONE;
        }
        if (options.forge().isPresent()) {
            SecretFile.check("the forge token file", options.forge().get().tokenFile());
        }
        Optional<WebhookSecret> secret = Optional.empty();
        if (options.webhook().isPresent()) {
            secret = Optional.of(WebhookSecret.of(SecretFile.read("the notification secret file",
                    options.webhook().get().secretFile())));
        }
        Outbox outbox = new Outbox(poster, timer, retry, random, log);
        options.forge().ifPresent(f -> metrics.forgeConfigured());
        options.webhook().ifPresent(w -> metrics.webhookConfigured(
                java.util.Arrays.stream(NoticeEvent.values()).map(NoticeEvent::wire).toList()));
        Optional<WebhookSecret> key = secret;
        Optional<WebhookNotifier> webhook = options.webhook()
                .map(target -> new WebhookNotifier(target, key.orElseThrow(), outbox, metrics, ledger));
        return new Outbound(options.forge(), webhook, outbox, metrics, ledger);
    }

    @Override
    public void commitStatus(CommitStatus status) {
        if (forge.isEmpty()) {
            return;
        }
        ForgeEndpoint endpoint = forge.get();
        String shown = status.state() + "\n" + status.description();
        String key = status.context() + "/" + status.sha();
        synchronized (queued) {
            String last = queued.containsKey(key) ? queued.get(key) : ledger.status(key).orElse(null);
            if (shown.equals(last)) {
                return;
            }
            queued.put(key, shown);
        }
        outbox.submit(new Outbox.Envelope("forge", endpoint.kind().label() + " status "
                + endpoint.kind().state(status.state()) + " for " + status.sha().substring(0, 12) + " ("
                + status.context() + ")", "forge/" + key, Optional.of(status.sha()),
                () -> ForgeRequests.commitStatus(endpoint, status,
                        SecretFile.read("the forge token file", endpoint.tokenFile())),
                result -> {
                    metrics.forgeStatus(result);
                    if (result.equals("sent")) {
                        ledger.statusSent(key, shown);
                    }
                }));
    }

    @Override
    public void notice(Notice notice) {
        webhook.ifPresent(w -> w.send(notice));
    }

    @Override
    public void close() {
        try {
            outbox.close();
        } catch (Exception e) {
            // the timer's threads are daemon threads; nothing is left to release
        }
    }
}
