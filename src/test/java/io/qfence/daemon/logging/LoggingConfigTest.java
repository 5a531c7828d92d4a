package io.qfence.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The shipped logback.xml: quiet readable text by default, JSON lines on request, key-value pairs in both. */
class LoggingConfigTest {

    @Test
    void byDefaultLogsAreQuietReadableTextWithKeyValuePairs() throws Exception {
        LoggerContext context = configure(null, null);

        assertThat(encode(context, event(context)))
                .isEqualTo("qfence: WARN i.q.d.h.GitWebhook: webhook refused client=\"127.0.0.1\" status=\"401\"\n");
        LoggingEvent plain = new LoggingEvent("test", context.getLogger("io.qfence.app.Main"), Level.WARN, "careful",
                null, null);
        assertThat(encode(context, plain)).isEqualTo("qfence: WARN io.qfence.app.Main: careful\n");
        assertThat(context.getLogger("io.qfence").getEffectiveLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void theDaemonRaisesQfencesLevelButNotTheLibraries() throws Exception {
        LoggerContext context = configure(null, "INFO");

        assertThat(context.getLogger("io.qfence.daemon").getEffectiveLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("org.eclipse.jgit.transport").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.apache.sshd").getEffectiveLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void jsonIsOneObjectPerLineWithTheKeyValuePairs() throws Exception {
        LoggerContext context = configure("json", null);

        String line = encode(context, event(context));

        assertThat(line).endsWith("\n").doesNotContain("\n{");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("level").asText()).isEqualTo("WARN");
        assertThat(json.get("loggerName").asText()).isEqualTo("io.qfence.daemon.http.GitWebhook");
        assertThat(json.get("message").asText()).isEqualTo("webhook refused");
        assertThat(json.get("kvpList").toString()).isEqualTo("[{\"client\":\"127.0.0.1\"},{\"status\":\"401\"}]");
    }

    private static LoggerContext configure(String format, String level) throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        if (format != null) {
            context.putProperty("qfence.log.format", format);
        }
        if (level != null) {
            context.putProperty("qfence.log.level", level);
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LoggingConfigTest.class.getClassLoader().getResource("logback.xml"));
        return context;
    }

    private static LoggingEvent event(LoggerContext context) {
        LoggingEvent event = new LoggingEvent("test", context.getLogger("io.qfence.daemon.http.GitWebhook"), Level.WARN,
                "webhook refused", null, null);
        event.setKeyValuePairs(List.of(new KeyValuePair("client", "127.0.0.1"), new KeyValuePair("status", 401)));
        return event;
    }

    @SuppressWarnings("unchecked")
    private static String encode(LoggerContext context, ILoggingEvent event) {
        var appenders = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
        assertThat(appenders.hasNext()).isTrue();
        OutputStreamAppender<ILoggingEvent> appender = (OutputStreamAppender<ILoggingEvent>) appenders.next();
        assertThat(appenders.hasNext()).as("exactly one appender on the root logger").isFalse();
        Encoder<ILoggingEvent> encoder = appender.getEncoder();
        if (encoder instanceof JsonEncoder) {
            assertThat(appender.getName()).isEqualTo("json");
        } else {
            assertThat(appender.getName()).isEqualTo("text");
        }
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }
}
