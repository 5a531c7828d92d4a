package io.qfence.model;

import java.nio.charset.StandardCharsets;

/**
 * The MAC a VM gets when its definition names none: {@code 0e} followed by five bytes of
 * SHA-256("qfence-mac:GROUP/VM"). {@code 0x0e} has the locally-administered bit set and the multicast bit clear,
 * and it differs from QEMU's default {@code 52:54:00} so that a guest started by hand never collides with one
 * started by qfence.
 */
public final class DerivedMacs {

    static final int FIRST_OCTET = 0x0e;

    private DerivedMacs() {}

    public static MacAddress forVm(String group, String vm) {
        byte[] digest = InterfaceNames.sha256(("qfence-mac:" + group + "/" + vm).getBytes(StandardCharsets.UTF_8));
        long bits = FIRST_OCTET;
        for (int i = 0; i < 5; i++) {
            bits = (bits << 8) | (digest[i] & 0xff);
        }
        return new MacAddress(bits);
    }
}
