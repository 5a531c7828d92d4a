package io.qfence.plan;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.qfence.model.MacAddress;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.Sysctl;
import java.io.IOException;

/**
 * The one Jackson configuration for host objects, shared by snapshots, saved plans and digests, so that the same
 * object always has the same JSON. The model stays free of Jackson: polymorphism and value formats come from
 * mix-ins and a module here.
 *
 * <p>Canonical form: snake_case properties in record-component order, map entries sorted by key, every property
 * written (an empty {@code Optional} as {@code null}; a guest's {@code runtime.confinement}, read by live
 * observation only, is the one exception: it is left out when empty), enums in lower case, durations as ISO-8601 strings, MAC
 * addresses as {@code 52:54:00:..}. A link's own kind is {@code link_kind}. Reading is strict: unknown, missing and
 * duplicate properties are errors.
 */
final class ObjectJson {

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Sysctl.class, name = "sysctl"),
            @JsonSubTypes.Type(value = Link.class, name = "link"),
            @JsonSubTypes.Type(value = Firewall.class, name = "firewall"),
            @JsonSubTypes.Type(value = Cgroup.class, name = "cgroup"),
            @JsonSubTypes.Type(value = Guest.class, name = "guest")})
    private interface HostObjectMixIn {}

    /** A link's own {@code kind} (bridge, tap, ...) must not collide with the object's {@code kind} (link). */
    private abstract static class LinkMixIn {
        @JsonProperty("link_kind")
        abstract LinkKind kind();
    }

    /**
     * A guest's confinement is read from {@code /proc} by a live observation only: it is written where present and
     * left out where not, so that realizations, saved plans and digests stay as they were (on reading, a missing one is
     * filled in as {@code null}: {@link SnapshotCodec#fillGuestRuntimeDefaults}).
     */
    private abstract static class GuestRuntimeMixIn {
        @JsonInclude(JsonInclude.Include.NON_ABSENT)
        abstract java.util.Optional<io.qfence.model.host.GuestConfinement> confinement();
    }

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new JavaTimeModule())
            .addModule(new SimpleModule("qfence-values")
                    .addSerializer(MacAddress.class, new JsonSerializer<>() {
                        @Override
                        public void serialize(MacAddress value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
                            gen.writeString(value.toString());
                        }
                    })
                    .addDeserializer(MacAddress.class, new JsonDeserializer<>() {
                        @Override
                        public MacAddress deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                            return MacAddress.parse(p.getValueAsString());
                        }
                    }))
            .addMixIn(HostObject.class, HostObjectMixIn.class)
            .addMixIn(Link.class, LinkMixIn.class)
            .addMixIn(io.qfence.model.host.GuestRuntime.class, GuestRuntimeMixIn.class)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .disable(MapperFeature.AUTO_DETECT_IS_GETTERS)
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(EnumFeature.WRITE_ENUMS_TO_LOWERCASE)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .serializationInclusion(JsonInclude.Include.ALWAYS)
            .build();

    private ObjectJson() {}
}
