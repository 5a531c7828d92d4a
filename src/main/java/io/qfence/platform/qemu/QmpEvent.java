package io.qfence.platform.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * An asynchronous QMP event, e.g. {@code SHUTDOWN}, {@code STOP}, {@code RESUME}, {@code POWERDOWN}.
 *
 * @param data           the event's {@code data} object, or an empty object
 * @param timestampMicros QEMU's timestamp (seconds * 10^6 + microseconds), as QEMU reports it
 */
public record QmpEvent(String name, JsonNode data, long timestampMicros) {
    public QmpEvent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
    }
}
