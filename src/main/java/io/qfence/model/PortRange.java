package io.qfence.model;

/** An inclusive range of TCP or UDP ports; a single port is a range of one. */
public record PortRange(int first, int last) implements Comparable<PortRange> {

    public PortRange {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("invalid port range " + first + "-" + last + ": ports are 1..65535, first <= last");
        }
    }

    public static PortRange single(int port) {
        return new PortRange(port, port);
    }

    /** Parses {@code 22} or {@code 8000-8080}. */
    public static PortRange parse(String text) {
        int dash = text.indexOf('-');
        try {
            return dash < 0 ? single(Integer.parseInt(text))
                    : new PortRange(Integer.parseInt(text.substring(0, dash)), Integer.parseInt(text.substring(dash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid port or range '" + text + "'");
        }
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    @Override
    public int compareTo(PortRange o) {
        return first != o.first ? Integer.compare(first, o.first) : Integer.compare(last, o.last);
    }

    @Override
    public String toString() {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }
}
