package io.qfence.apply;

import java.nio.file.Path;

/**
 * A separate process that takes the state lock, says so on stdout, and holds it until its stdin closes: file locks
 * belong to processes, so exclusion must be tested across two of them.
 */
public final class StateLockHolder {

    private StateLockHolder() {}

    public static void main(String[] args) throws Exception {
        try (StateLock lock = StateLock.acquire(Path.of(args[0]), args[1])) {
            System.out.println("LOCKED " + lock.holder().pid());
            System.out.flush();
            while (System.in.read() != -1) {
                // hold the lock until the test closes our stdin
            }
        }
        System.out.println("RELEASED");
        System.out.flush();
    }
}
