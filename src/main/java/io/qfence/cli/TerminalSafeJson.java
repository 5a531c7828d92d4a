package io.qfence.cli;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import io.qfence.model.ControlCharacters;

/**
 * JSON string escapes for output that people also read on a terminal ({@code validate --format json}): besides what
 * JSON must escape (the C0 controls), every character {@link ControlCharacters} names (DEL, the C1 controls, the
 * bidirectional overrides, zero-width characters) is written as {@code \\uXXXX}. The value read back is the same; only
 * its bytes on the terminal change.
 *
 * <p>Why: the walkthrough of issue 13 found {@code validate --format json} writing a VM name's U+202E raw (JSON allows
 * it), so {@code cat} of the report showed the rest of its line reversed, while the text diagnostic escaped it.
 */
final class TerminalSafeJson extends CharacterEscapes {

    private static final int[] ASCII = asciiEscapes();

    private static int[] asciiEscapes() {
        int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();
        escapes[0x7f] = CharacterEscapes.ESCAPE_CUSTOM;
        return escapes;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ASCII;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        return ControlCharacters.isControl(ch) ? new SerializedString(String.format("\\u%04x", ch)) : null;
    }
}
