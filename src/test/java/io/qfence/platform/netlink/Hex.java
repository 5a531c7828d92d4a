package io.qfence.platform.netlink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hex files for golden tests: 16 bytes per line, lines starting with {@code #} are comments, a line {@code --}
 * separates datagrams (for captured multi-datagram replies).
 */
final class Hex {

    static final Path GOLDEN = Path.of("src/test/resources/golden/netlink");

    private Hex() {}

    static String format(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length; i++) {
            sb.append(String.format("%02x", bytes[i] & 0xff));
            sb.append(i % 16 == 15 || i == bytes.length - 1 ? "\n" : (i % 4 == 3 ? "  " : " "));
        }
        return sb.toString();
    }

    static byte[] parse(String text) {
        List<byte[]> datagrams = parseDatagrams(text);
        if (datagrams.size() != 1) {
            throw new IllegalArgumentException("expected one datagram, found " + datagrams.size());
        }
        return datagrams.get(0);
    }

    static List<byte[]> parseDatagrams(String text) {
        List<byte[]> result = new ArrayList<>();
        StringBuilder digits = new StringBuilder();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("#")) {
                continue;
            }
            if (l.equals("--")) {
                result.add(decode(digits.toString()));
                digits.setLength(0);
                continue;
            }
            digits.append(l.replaceAll("\\s+", ""));
        }
        if (digits.length() > 0) {
            result.add(decode(digits.toString()));
        }
        return result;
    }

    private static byte[] decode(String digits) {
        byte[] b = new byte[digits.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /** The golden file's bytes, without its comments, re-rendered in canonical form for a readable diff. */
    static String readCanonical(String name) {
        return format(parse(read(name)));
    }

    static String read(String name) {
        try {
            return Files.readString(GOLDEN.resolve(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("missing golden file " + GOLDEN.resolve(name)
                    + " (run with -Dqfence.golden.update=true to write it, then review it)", e);
        }
    }

    static List<ByteBuffer> readDatagrams(String name) {
        List<ByteBuffer> result = new ArrayList<>();
        for (byte[] d : parseDatagrams(read(name))) {
            ByteBuffer b = ByteBuffer.allocateDirect(d.length);
            b.put(d).flip();
            result.add(b);
        }
        return result;
    }

    static boolean updating() {
        return io.qfence.testing.Golden.updating();
    }

    /** Whether golden file {@code name} exists and holds exactly {@code canonical} (comments aside). */
    static boolean matches(String name, String canonical) {
        return Files.exists(GOLDEN.resolve(name)) && readCanonical(name).equals(canonical);
    }

    /** Writes a golden file with a comment header (only when updating). */
    static void write(String name, String comment, String body) {
        try {
            StringBuilder sb = new StringBuilder();
            for (String c : comment.split("\n")) {
                sb.append("# ").append(c).append('\n');
            }
            sb.append(body);
            Files.createDirectories(GOLDEN);
            Files.writeString(GOLDEN.resolve(name), sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
