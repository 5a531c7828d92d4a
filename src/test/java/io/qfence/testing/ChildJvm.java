package io.qfence.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a JVM a test starts as a process of its own, on the test's class path.
 *
 * <p>The JVM's own warnings go to standard error, as {@code bin/qfence} sends them: by default HotSpot prints unified
 * logging warnings (for example {@code [0.412s][warning][os,thread] ...} when a loaded machine refuses a thread) on
 * standard output, and one such line in the JSON progress stream of {@code apply --progress json} broke a CI run's
 * parse ("Unexpected character ('s') ... column 7").
 */
public final class ChildJvm {
    /** The JVM options that send every unified-logging message at warning level or above to standard error. */
    public static final List<String> LOG_TO_STDERR = List.of("-Xlog:disable", "-Xlog:all=warning:stderr:uptime,level,tags");

    private ChildJvm() {}

    /** {@code java [LOG_TO_STDERR] [jvmOptions] -cp CLASSPATH mainClass}; callers append the program's arguments. */
    public static List<String> command(String mainClass, String... jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(LOG_TO_STDERR);
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        return command;
    }
}
