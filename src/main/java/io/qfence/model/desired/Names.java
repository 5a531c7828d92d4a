package io.qfence.model.desired;

import java.util.regex.Pattern;

/** The one name syntax of the desired state: a DNS label of at most 63 characters (RFC 1123). */
public final class Names {

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private Names() {}

    public static boolean isDnsLabel(String name) {
        return name != null && DNS_LABEL.matcher(name).matches();
    }

    /** Returns the name, or throws naming the kind of object, e.g. {@code invalid vm name 'Web_01'}. */
    public static String requireDnsLabel(String kind, String name) {
        if (!isDnsLabel(name)) {
            throw new IllegalArgumentException("invalid " + kind + " name '" + name
                    + "': use lower-case letters, digits and '-', start and end with a letter or digit, at most 63 characters");
        }
        return name;
    }
}
