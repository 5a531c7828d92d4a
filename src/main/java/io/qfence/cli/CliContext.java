package io.qfence.cli;

import io.qfence.daemon.DaemonCollaborators;
import io.qfence.host.HostConnector;
import io.qfence.host.SandboxFactory;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.HostFacts;
import io.qfence.verify.SandboxApply;
import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the composition root ({@code io.qfence.app.Main}) hands to the commands: today's clock, the realization that
 * the offline {@code plan} and {@code diff} use, the live host ({@code state}, {@code plan --live}, {@code apply}),
 * where {@code apply} reads its confirmation, the reconcile cycles of {@code reconcile} and what its daemon is made of
 * (locks, Git, journal, scheduler, HTTP, control-file watcher, metrics, rate limiter, monotonic clock), and the sandboxes of
 * {@code verify} and {@code demo}. Tests build one with a fixed clock, and a real or no host.
 */
public record CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input,
                         CycleFactory cycles, DaemonCollaborators daemon, Verification verification) {

    /** No daemon: with no reconcile cycles either, {@code reconcile} is refused before it would need one. */
    public static final DaemonCollaborators NO_DAEMON = new DaemonCollaborators((stateDir, remote) -> {
        throw noDaemon();
    }, stateDir -> {
        throw noDaemon();
    }, (runner, first) -> {
        throw noDaemon();
    }, (bind, registry, readiness, webhook) -> {
        throw noDaemon();
    }, () -> {
        throw noDaemon();
    }, System::nanoTime, (stateDir, holder) -> {
        throw noDaemon();
    }, (stateDir, holder) -> {
        throw noDaemon();
    }, (stateDir, onChange) -> {
        throw noDaemon();
    }, host -> {
        throw noDaemon();
    }, (options, stateDir, metrics, log) -> {
        throw noDaemon();
    });

    private static UsageException noDaemon() {
        return new UsageException("this qfence was built without the daemon's parts: reconcile needs the real qfence (bin/qfence)");
    }

    public CliContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(realization, "realization");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(cycles, "cycles");
        Objects.requireNonNull(daemon, "daemon");
        Objects.requireNonNull(verification, "verification");
    }

    /** With the real realization, no live host, no reconcile cycles and no sandboxes. */
    public CliContext(Clock clock) {
        this(clock, HostRealization.realizer());
    }

    /** With no live host, nothing to read, no reconcile cycles and no sandboxes (verify and demo then say they need the real host). */
    public CliContext(Clock clock, HostRealization realization) {
        this(clock, realization, HostConnector.NONE, new BufferedReader(new StringReader("")));
    }

    /** With the real realization and a live host, but no reconcile cycles and no sandboxes. */
    public CliContext(Clock clock, HostConnector host, BufferedReader input) {
        this(clock, HostRealization.realizer(), host, input);
    }

    /** With a live host, but no reconcile cycles and no sandboxes (tests of apply, state and plan --live). */
    public CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input) {
        this(clock, realization, host, input, CycleFactory.UNAVAILABLE, NO_DAEMON, Verification.UNAVAILABLE);
    }

    /** With a live host, reconcile cycles and the daemon's parts, but no sandboxes. */
    public CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input, CycleFactory cycles,
                      DaemonCollaborators daemon) {
        this(clock, realization, host, input, cycles, daemon, Verification.UNAVAILABLE);
    }

    /** With a live host and sandboxes, but no reconcile cycles. */
    public CliContext(Clock clock, HostRealization realization, HostConnector host, BufferedReader input, Verification verification) {
        this(clock, realization, host, input, CycleFactory.UNAVAILABLE, NO_DAEMON, verification);
    }

    /** With no live host, and {@code cycles} for {@code reconcile} (a stand-in, in tests) in a daemon of {@code daemon}. */
    public CliContext(Clock clock, HostRealization realization, CycleFactory cycles, DaemonCollaborators daemon) {
        this(clock, realization, HostConnector.NONE, new BufferedReader(new StringReader("")), cycles, daemon);
    }

    /**
     * What {@code verify} and {@code demo} need from the composition root: throwaway sandboxes on this machine, how to
     * put a realization in place on one, and this machine's facts (for the demo's plan).
     */
    public record Verification(SandboxFactory sandboxes, SandboxApply apply, Supplier<HostFacts> facts) {
        public static final Verification UNAVAILABLE = new Verification((prefix, images, progress) -> {
            throw unavailable();
        }, (sandbox, guests, realization, progress) -> {
            throw unavailable();
        }, () -> {
            throw unavailable();
        });

        public Verification {
            Objects.requireNonNull(sandboxes, "sandboxes");
            Objects.requireNonNull(apply, "apply");
            Objects.requireNonNull(facts, "facts");
        }

        private static UsageException unavailable() {
            return new UsageException("this qfence was built without host adapters: verify and demo need the real qfence (bin/qfence)");
        }
    }
}
