package io.qfence.model.desired;

import java.util.Locale;

/** The protocols an exception may open. ICMP exceptions carry no ports. */
public enum Protocol {
    TCP, UDP, ICMP;

    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean hasPorts() {
        return this != ICMP;
    }
}
