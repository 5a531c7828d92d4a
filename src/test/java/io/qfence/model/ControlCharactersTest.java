package io.qfence.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What is escaped when printed, and how a value holding it is refused. */
class ControlCharactersTest {

    @Test
    void c0AndC1ControlsDelBidiOverridesAndLineSeparatorsAreEscaped() {
        assertThat(ControlCharacters.escape("a\u0000b\u001bc\rd\u007fe\u0085f\u202eg\u2028h\u200bi"))
                .isEqualTo("a\\u0000b\\u001bc\\u000dd\\u007fe\\u0085f\\u202eg\\u2028h\\u200bi");
    }

    @Test
    void printableTextIncludingNonAsciiLettersIsKeptAsItIs() {
        assertThat(ControlCharacters.escape("groups/wéb.yaml:1:1: ünknown 'x' \\u0041")).isEqualTo("groups/wéb.yaml:1:1: ünknown 'x' \\u0041");
    }

    @Test
    void aRefusalNamesTheCharacterAndItsPositionInCharacters() {
        assertThat(ControlCharacters.refusal("eth0\u0000x")).contains(
                "must not contain control or invisible formatting characters; found NUL (U+0000) at character 5");
        assertThat(ControlCharacters.refusal("é\u202e")).contains(
                "must not contain control or invisible formatting characters; found U+202E at character 2");
        assertThat(ControlCharacters.refusal("console=ttyS0 quiet")).isEqualTo(Optional.empty());
    }

    @Test
    void aDiagnosticPrintsItsFileAndMessageEscaped() {
        Diagnostic d = new Diagnostic(Diagnostic.Severity.ERROR, "groups/a\u001b.yaml", 3, 7, "name 'x\r\u0000\u202e' is bad");

        assertThat(d.toString()).isEqualTo("groups/a\\u001b.yaml:3:7: name 'x\\u000d\\u0000\\u202e' is bad");
        assertThat(d.message()).isEqualTo("name 'x\r\u0000\u202e' is bad");
    }
}
