package io.qfence.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Both families read {@code ADDRESS/PREFIX} alike and say the same about what is wrong with it. */
class CidrTest {

    @Test
    void eitherFamilyParsesFromItsText() {
        assertThat(Cidr.parse("10.10.0.0/24")).isEqualTo(new Ipv4Cidr(Ipv4Address.parse("10.10.0.0"), 24));
        assertThat(Cidr.parse("fd00:10::/64")).isEqualTo(new Ipv6Cidr(Ipv6Address.parse("fd00:10::"), 64));
    }

    @Test
    void aMissingSlashOrABadPrefixLengthIsNamedWithTheFamily() {
        assertThatThrownBy(() -> Cidr.parse("10.10.0.0")).hasMessage("invalid IPv4 CIDR '10.10.0.0': expected ADDRESS/PREFIX");
        assertThatThrownBy(() -> Cidr.parse("fd00::")).hasMessage("invalid IPv6 CIDR 'fd00::': expected ADDRESS/PREFIX");
        assertThatThrownBy(() -> Cidr.parse("10.10.0.0/")).hasMessage("invalid IPv4 CIDR '10.10.0.0/': bad prefix length");
        assertThatThrownBy(() -> Cidr.parse("10.10.0.0/-1")).hasMessage("invalid IPv4 CIDR '10.10.0.0/-1': bad prefix length");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/100")).as("three digits are too many for IPv4")
                .hasMessage("invalid IPv4 CIDR '10.0.0.0/100': bad prefix length");
        assertThatThrownBy(() -> Cidr.parse("fd00::/1280")).hasMessage("invalid IPv6 CIDR 'fd00::/1280': bad prefix length");
    }

    @Test
    void theRangeOfThePrefixLengthIsEachFamilysOwn() {
        assertThat(Cidr.parse("fd00::/128").prefixLength()).isEqualTo(128);
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessage("IPv4 prefix length must be 0..32, got 33");
    }
}
