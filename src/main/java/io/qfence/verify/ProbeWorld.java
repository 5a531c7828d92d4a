package io.qfence.verify;

import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.realize.Flow;
import io.qfence.realize.IsolationPolicy;
import io.qfence.realize.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The addresses of the world around a verify sandbox, chosen so that none of them lies in a qfence network or in any
 * address block the policy names, unless it stands in for that block:
 *
 * @param uplink        the link between the host and the outside router: the host is its first address, the router
 *                      its second
 * @param internet      a host on the internet: in no qfence network and in no prefix the policy names
 * @param prefixes      for each IPv4 prefix the policy names (as source or destination), one address inside it
 * @param outsideInside for each outside source block of an exposure, one client address inside it
 * @param stranger      a client outside every block the policy names: it must reach nothing
 */
public record ProbeWorld(Ipv4Cidr uplink, Ipv4Address internet, Map<Ipv4Cidr, Ipv4Address> prefixes,
        Map<Ipv4Cidr, Ipv4Address> outsideInside, Ipv4Address stranger) {

    static final List<String> UPLINK_CANDIDATES = List.of("198.18.0.0/24", "100.64.0.0/24", "192.168.254.0/24", "172.31.254.0/24");
    static final List<String> INTERNET_CANDIDATES = List.of("192.0.2.80", "198.18.200.80", "100.64.200.80", "172.31.200.80");
    static final List<String> STRANGER_CANDIDATES = List.of("192.0.2.99", "198.18.201.99", "100.64.201.99", "172.31.201.99");

    public ProbeWorld {
        Objects.requireNonNull(uplink, "uplink");
        Objects.requireNonNull(internet, "internet");
        prefixes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(prefixes));
        outsideInside = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outsideInside));
        Objects.requireNonNull(stranger, "stranger");
    }

    /** The host's address on the uplink. */
    public Ipv4Address hostAddress() {
        return uplink.network().plus(1);
    }

    /** The outside router's address on the uplink: the host's default gateway. */
    public Ipv4Address routerAddress() {
        return uplink.network().plus(2);
    }

    /** Every address the outside namespace holds besides the router's. */
    public List<Ipv4Address> outsideAddresses() {
        List<Ipv4Address> all = new ArrayList<>();
        all.add(internet);
        all.addAll(prefixes.values());
        all.addAll(outsideInside.values());
        all.add(stranger);
        return all.stream().distinct().toList();
    }

    /** Chooses the world for {@code policy}. */
    public static ProbeWorld choose(IsolationPolicy policy) {
        return choose(policy, List.of());
    }

    /**
     * Chooses the world for {@code policy} and for the outside blocks the invariants name ({@code named}, e.g.
     * {@code deny from: 203.0.113.0/24}): each IPv4 block that lies outside every qfence network gets a stand-in like a
     * prefix of the policy, so that the invariant has a probe from and to it. A block that overlaps a qfence network
     * is left out: its VMs are probed as VMs, and an address in it but outside them cannot be told from a spoofed one.
     */
    public static ProbeWorld choose(IsolationPolicy policy, List<Cidr> named) {
        List<Cidr> taken = new ArrayList<>(policy.qfenceNetworks());
        List<Ipv4Cidr> prefixBlocks = new ArrayList<>();
        List<Ipv4Cidr> outsideBlocks = new ArrayList<>();
        for (Cidr c : named) {
            if (c instanceof Ipv4Cidr c4 && !policy.isQfenceAddress(c4) && !prefixBlocks.contains(c4)) {
                taken.add(c4);
                prefixBlocks.add(c4);
            }
        }
        for (Flow f : policy.flows()) {
            for (Principal p : List.of(f.source(), f.destination())) {
                if (p instanceof Principal.Prefix pre) {
                    taken.add(pre.cidr());
                    if (pre.cidr() instanceof Ipv4Cidr c && !prefixBlocks.contains(c)) {
                        prefixBlocks.add(c);
                    }
                } else if (p instanceof Principal.Outside out) {
                    taken.add(out.cidr());
                    if (out.cidr() instanceof Ipv4Cidr c && !outsideBlocks.contains(c)) {
                        outsideBlocks.add(c);
                    }
                }
            }
        }
        Ipv4Cidr uplink = UPLINK_CANDIDATES.stream().map(Ipv4Cidr::parse).filter(c -> free(c, taken)).findFirst()
                .orElseThrow(() -> new IllegalStateException("every candidate uplink network overlaps the policy's networks: " + UPLINK_CANDIDATES));
        taken.add(uplink);
        Ipv4Address internet = firstFree(INTERNET_CANDIDATES, taken, "internet stand-in");
        taken.add(single(internet));
        Ipv4Address stranger = firstFree(STRANGER_CANDIDATES, taken, "outside stranger");
        taken.add(single(stranger));
        Map<Ipv4Cidr, Ipv4Address> prefixes = new LinkedHashMap<>();
        for (Ipv4Cidr c : prefixBlocks) {
            prefixes.put(c, inside(c, uplink));
        }
        Map<Ipv4Cidr, Ipv4Address> inside = new LinkedHashMap<>();
        for (Ipv4Cidr c : outsideBlocks) {
            inside.put(c, inside(c, uplink));
        }
        return new ProbeWorld(uplink, internet, prefixes, inside, stranger);
    }

    /** A host address well inside {@code block} (its 10th, or its first for small blocks), off the uplink. */
    static Ipv4Address inside(Ipv4Cidr block, Ipv4Cidr uplink) {
        long offset = block.size() > 16 ? 10 : block.size() > 2 ? 1 : 0;
        Ipv4Address a = block.network().plus(offset);
        if (uplink.contains(a)) {
            a = uplink.broadcast().plus(offset + 1);
            if (!block.contains(a)) {
                throw new IllegalStateException("cannot find an address in " + block + " outside the uplink " + uplink);
            }
        }
        return a;
    }

    private static Ipv4Address firstFree(List<String> candidates, List<Cidr> taken, String what) {
        return candidates.stream().map(Ipv4Address::parse).filter(a -> free(single(a), taken)).findFirst()
                .orElseThrow(() -> new IllegalStateException("every candidate " + what + " lies in a network of the policy: " + candidates));
    }

    private static boolean free(Ipv4Cidr c, List<Cidr> taken) {
        return taken.stream().noneMatch(t -> t instanceof Ipv4Cidr t4 && t4.overlaps(c));
    }

    static Ipv4Cidr single(Ipv4Address a) {
        return new Ipv4Cidr(a, 32);
    }

    /** The stand-in of a prefix principal, if it is IPv4. */
    Optional<Ipv4Address> standIn(Principal.Prefix prefix) {
        return prefix.cidr() instanceof Ipv4Cidr c ? Optional.ofNullable(prefixes.get(c)) : Optional.empty();
    }
}
