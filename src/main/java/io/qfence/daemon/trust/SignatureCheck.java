package io.qfence.daemon.trust;

import java.util.Objects;

/** The outcome of checking one commit's signature against the trusted keys. */
public sealed interface SignatureCheck {

    boolean trusted();

    /**
     * A valid signature by a trusted key.
     *
     * @param signer the key's fingerprint, and for SSH the principal the allowed-signers file gives it
     */
    record Trusted(SignatureFormat format, String signer) implements SignatureCheck {
        public Trusted {
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(signer, "signer");
        }

        @Override
        public boolean trusted() {
            return true;
        }
    }

    /** @param detail what exactly failed, e.g. which key id was unknown */
    record Refused(RefusalReason reason, String detail) implements SignatureCheck {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public boolean trusted() {
            return false;
        }
    }

    enum SignatureFormat {
        OPENPGP, SSH
    }
}
