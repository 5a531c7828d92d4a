package io.qfence.daemon;

/**
 * One reconcile cycle against this host, as the daemon needs it: realize a desired state, observe the host, plan,
 * and (in {@link ConvergeRequest.Mode#APPLY}) apply. The engine implements it; the daemon decides <em>which</em> desired
 * state to hand it and <em>whether</em> to apply, and records what came back.
 *
 * <p>Implementations report failures in the outcome ({@link CycleOutcome#errors()}) rather than by throwing, so that
 * a partial apply still reports the actions it did; an exception means the cycle could not report at all, and the
 * daemon records it as a failure.
 */
@FunctionalInterface
public interface ReconcileCycle {

    CycleOutcome run(ConvergeRequest request);

    /**
     * Whether the cycle takes the state lock ({@code stateDir/qfence.lock}) itself while it applies, as the engine
     * does. Then the daemon must not also take it: a second lock of the same file in one process is refused
     * ({@code LockHeldException}), and every cycle would be skipped. A cycle that locks itself and finds the lock held
     * throws {@link io.qfence.model.errors.LockHeldException}, which the daemon treats as finding it held itself.
     */
    default boolean takesStateLock() {
        return false;
    }
}
