package io.qfence.daemon.control;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the daemon at once when {@code qfence suspend}, {@code resume} or {@code approve} changed a control file, so
 * an operator does not wait for the next poll (inotify, through the JDK's watch service). The files stay the source
 * of truth: every cycle reads them anyway, so a missed event only delays a decision until the next cycle.
 */
public final class ControlWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlWatcher.class);
    private static final Set<String> CONTROL_FILES = Set.of(Suspension.FILE_NAME, Approval.DIRECTORY);

    private final WatchService watcher;
    private final Thread thread;

    private ControlWatcher(WatchService watcher, Thread thread) {
        this.watcher = watcher;
        this.thread = thread;
    }

    public static ControlWatcher start(Path stateDir, Runnable onChange) throws IOException {
        Path approvals = stateDir.resolve(Approval.DIRECTORY);
        Files.createDirectories(approvals);
        WatchService watcher = stateDir.getFileSystem().newWatchService();
        try {
            WatchKey stateKey = stateDir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
            approvals.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            Thread thread = new Thread(() -> loop(watcher, stateKey, onChange), "qfence-control-watch");
            thread.setDaemon(true);
            thread.start();
            return new ControlWatcher(watcher, thread);
        } catch (IOException | RuntimeException e) {
            watcher.close();
            throw e;
        }
    }

    private static void loop(WatchService watcher, WatchKey stateKey, Runnable onChange) {
        try {
            while (true) {
                WatchKey key = watcher.take();
                boolean relevant = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        relevant = true;
                    } else if (key != stateKey) {
                        // anything in approvals/ (the temporary file of an atomic write is renamed into place)
                        relevant |= !event.context().toString().startsWith(".");
                    } else {
                        relevant |= CONTROL_FILES.contains(event.context().toString());
                    }
                }
                key.reset();
                if (relevant) {
                    LOG.atInfo().log("a control file changed: cycle requested");
                    onChange.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("control file watcher stopped; changes are picked up at the next cycle");
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
