package io.qfence.daemon.journal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The JSON of what the daemon keeps in {@code stateDir} (the journal, {@code last-applied}, the control and status
 * files) and of {@code qfence status --format json}, which shows those records as they are stored: ISO-8601 times,
 * absent optionals left out, and on reading, properties this version does not know ignored (a newer qfence may have
 * written them). One mapper, so that a record reads the same in every file and in status; there were three copies.
 */
public final class DaemonJson {

    /** Configured here once; callers only read and write with it (pretty output through a writer, not a setting). */
    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_ABSENT);

    private DaemonJson() {}
}
