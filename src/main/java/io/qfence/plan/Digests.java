package io.qfence.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Content digests of object sets. A saved plan records the digest of the observed objects it was made from, and an
 * apply recomputes it from a fresh observation: equal digests mean the plan is still about this host. What equality
 * ignores is left out: runtime facts (a guest's pid, QMP status, exit cause), which change without the host's
 * configuration changing, and whether a rule grants (a label of realization that observation cannot see); counters
 * are not objects at all.
 */
public final class Digests {

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private Digests() {}

    /** {@code sha256:HEX} over the canonical JSON array of the objects, sorted by address, runtime facts removed. */
    public static String of(List<? extends HostObject> objects) {
        List<HostObject> canonical = objects.stream()
                .sorted(Comparator.comparing(HostObject::address))
                .map(Digests::withoutRuntime)
                .toList();
        try {
            byte[] json = ObjectJson.MAPPER.writerFor(ObjectJson.MAPPER.getTypeFactory()
                    .constructCollectionType(List.class, HostObject.class)).writeValueAsBytes(canonical);
            return "sha256:" + HexFormat.of().formatHex(sha256(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("host objects must always serialize", e);
        }
    }

    static HostObject withoutRuntime(HostObject o) {
        if (o instanceof Guest g) {
            return g.withRuntime(GuestRuntime.NONE);
        }
        if (o instanceof Firewall f) {
            return new Firewall(f.address(), f.tables().stream().map(t -> new NftTable(t.family(), t.name(),
                    t.chains().stream().map(c -> new NftChain(c.name(), c.hook(),
                            c.rules().stream().map(r -> new NftRule(r.expr(), r.comment(), NftRule.Effect.UNKNOWN)).toList())).toList(),
                    t.sets(), t.counters(), t.unmodelled())).toList());
        }
        return o;
    }

    static void requireDigest(String what, String digest) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new IllegalArgumentException(what + " must be sha256:<64 hex digits>, got " + digest);
        }
    }

    static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
