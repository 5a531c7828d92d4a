package io.qfence.model;

/**
 * The {@code ADDRESS/PREFIX} syntax both CIDR families share, with one set of messages; each family parses its
 * address and checks the prefix length's range itself.
 */
final class CidrText {

    /** The text split at its slash, the prefix length a string of at most {@code maxDigits} digits. */
    record AddressAndPrefix(String address, int prefixLength) {}

    private CidrText() {}

    /** @param family {@code IPv4} or {@code IPv6}, for the messages */
    static AddressAndPrefix split(String text, String family, int maxDigits) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid " + family + " CIDR '" + text + "': expected ADDRESS/PREFIX");
        }
        String len = text.substring(slash + 1);
        if (len.isEmpty() || len.length() > maxDigits || !len.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("invalid " + family + " CIDR '" + text + "': bad prefix length");
        }
        return new AddressAndPrefix(text.substring(0, slash), Integer.parseInt(len));
    }
}
