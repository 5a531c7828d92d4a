package io.qfence.verify;

import io.qfence.model.Ipv4Address;
import io.qfence.realize.FlowProtocol;
import java.util.Objects;
import java.util.Optional;

/**
 * One cell of the isolation matrix: can {@code source} reach {@code target} with {@code protocol} on {@code port}?
 *
 * @param id         short and unique within a run, e.g. {@code c17} (the probe guest's helper echoes it back)
 * @param source     the VM the probe runs in, or {@code outside ADDRESS} for a client beyond the uplink
 * @param sourceVm   the VM the probe runs in; empty for outside clients
 * @param target     who should answer, as the matrix shows it: {@code db-main}, {@code host 10.10.0.1},
 *                   {@code host loopback (slirp 10.0.2.2)}, {@code internet 192.0.2.80}, {@code 203.0.113.0/24},
 *                   {@code web-bastion via host:2222}
 * @param owner      the VM whose listener answers; empty when the host or the outside world answers
 * @param address    where the probe connects
 * @param port       the port it connects to (the host port for an exposure); 0 for ICMP
 * @param expected   what the reachability relation says
 * @param banner     what the listener answers when reached (a prefix of its line); empty for ICMP
 * @param basis      why: the relation's entry that allows it, or {@code no entry}
 */
public record ProbeCell(String id, String source, Optional<String> sourceVm, String target, Optional<String> owner, Ipv4Address address,
        FlowProtocol protocol, int port, boolean expected, String banner, String basis) {

    public ProbeCell {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(sourceVm, "sourceVm");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(address, "address");
        if (protocol == FlowProtocol.ANY) {
            throw new IllegalArgumentException("a probe has a concrete protocol");
        }
        if (protocol == FlowProtocol.ICMP ? port != 0 : port < 1 || port > 65535) {
            throw new IllegalArgumentException("cell " + id + ": port " + port + " does not fit " + protocol.keyword());
        }
        Objects.requireNonNull(banner, "banner");
        Objects.requireNonNull(basis, "basis");
    }

    /** {@code tcp 5432}, {@code udp 9}, {@code icmp}. */
    public String service() {
        return protocol.keyword() + (port == 0 ? "" : " " + port);
    }
}
