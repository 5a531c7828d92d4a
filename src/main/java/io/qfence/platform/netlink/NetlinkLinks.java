package io.qfence.platform.netlink;

import io.qfence.host.LinkObservation;
import io.qfence.host.LinkPort;
import io.qfence.model.InterfaceNames;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.Tun;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * {@link LinkPort} over rtnetlink, for one network namespace.
 *
 * <h2>Observation</h2>
 * A link is qfence's when its name starts with {@code qf} and its alias is {@code qfence:ADDRESS}: it is reported at
 * that address, as a {@link Link} with its kind ({@code tun} in tap mode is a tap), master, MAC, MTU, administrative
 * up flag (not the operstate, which follows carrier), tap owner, VLAN id and parent, bridge-port flags (only while
 * it is enslaved), and its addresses of universe scope ({@code ADDRESS/PREFIX}; the kernel's automatic
 * {@code fe80::} addresses are link scope and left out). A link under a temporary name ({@code qfc-} + 11 base-32) is
 * a leftover of an interrupted apply, reported at {@code host/leftover/link/NAME}. Any other {@code qf}-named link is
 * a foreign look-alike. A VLAN's MAC is its parent's, so it is not reported (realization does not pin one).
 *
 * <h2>Crash-safe creation</h2>
 * A link is created under a fresh temporary name and down (a bridge with its MAC; a tap with its owner, on the
 * namespace's thread), then {@link RtnlClient#renameWithAlias} gives it its final name and alias in one request,
 * and only then is it configured. So at every instant a link with a final name carries qfence's alias (it can never
 * look foreign and block the next apply), and a link that never got there keeps a name that marks it as a leftover.
 *
 * <h2>Changes</h2>
 * Configuration is computed against the link as it is now, not as the plan saw it: master first (enslaving can
 * change a bridge's MTU), then bridge-port flags, MTU, MAC, addresses, and the up flag last. Every change and every
 * deletion re-reads the link and refuses one that is not qfence's.
 *
 * <h2>Failures</h2>
 * Every port method fails with {@link HostPortException} (port {@code links}) naming the link: the kernel's errno and
 * extended ACK, or qfence's refusal to touch a link that is not its own. Netlink's and the system calls' own
 * exceptions stay inside this package ({@link LinkPortEdge}).
 */
public final class NetlinkLinks implements LinkPort {

    private final RtnlClient rtnl;
    private final NetNamespace netns;
    private final RandomGenerator random;

    /** @param netns the namespace {@code rtnl} talks to: taps are created on its thread */
    public NetlinkLinks(RtnlClient rtnl, NetNamespace netns) {
        this(rtnl, netns, new SecureRandom());
    }

    NetlinkLinks(RtnlClient rtnl, NetNamespace netns, RandomGenerator random) {
        this.rtnl = Objects.requireNonNull(rtnl, "rtnl");
        this.netns = Objects.requireNonNull(netns, "netns");
        this.random = Objects.requireNonNull(random, "random");
    }

    // ---- observation

    /** A link as observation classifies it: qfence's (possibly a leftover), a foreign look-alike, or not of interest. */
    private sealed interface Seen permits Owned, Foreign, Unrelated {}

    private record Owned(Link link) implements Seen {}

    private record Foreign(ForeignObject object) implements Seen {}

    private record Unrelated() implements Seen {}

    @Override
    public LinkObservation observe() {
        return LinkPortEdge.call("links", this::observeLinks);
    }

    private LinkObservation observeLinks() {
        List<LinkInfo> links = rtnl.links();
        List<AddressInfo> addresses = rtnl.addresses();
        List<Link> owned = new ArrayList<>();
        List<ForeignObject> foreign = new ArrayList<>();
        for (LinkInfo info : links) {
            Seen seen = classify(info, addresses);
            if (seen instanceof Owned o) {
                owned.add(o.link());
            } else if (seen instanceof Foreign f) {
                foreign.add(f.object());
            }
        }
        return new LinkObservation(owned, foreign);
    }

    @Override
    public Optional<Link> find(String name) {
        return LinkPortEdge.call(LinkPortEdge.object(name), () -> findLink(name));
    }

    private Optional<Link> findLink(String name) {
        Optional<LinkInfo> info = rtnl.link(name);
        if (info.isEmpty()) {
            return Optional.empty();
        }
        List<AddressInfo> addresses = rtnl.addresses(info.get().index());
        return classify(info.get(), addresses) instanceof Owned o ? Optional.of(o.link()) : Optional.empty();
    }

    private static Seen classify(LinkInfo info, List<AddressInfo> addresses) {
        String name = info.name();
        if (!name.startsWith(InterfaceNames.OWNED_PREFIX)) {
            return new Unrelated();
        }
        Optional<String> alias = info.alias().filter(a -> a.startsWith(ALIAS_PREFIX) && a.length() > ALIAS_PREFIX.length());
        String address;
        if (InterfaceNames.isTemporary(name)) {
            address = Addresses.leftoverLink(name);
        } else if (alias.isPresent()) {
            address = alias.get().substring(ALIAS_PREFIX.length());
        } else {
            return new Foreign(new ForeignObject("link", name, info.alias().map(a -> "its alias is '" + a + "', not qfence's")
                    .orElse("it has no qfence alias")));
        }
        Optional<LinkKind> kind = info.linkKind();
        if (kind.isEmpty()) {
            return new Foreign(new ForeignObject("link", name, "it is a " + info.kind().orElse("device without a kind")
                    + ", which qfence never creates"));
        }
        return new Owned(toLink(address, kind.get(), info, addresses));
    }

    private static final String ALIAS_PREFIX = Addresses.linkAlias("");

    static Link toLink(String address, LinkKind kind, LinkInfo info, List<AddressInfo> addresses) {
        List<String> own = addresses.stream().filter(a -> a.linkIndex() == info.index() && a.scope() == 0)
                .map(a -> a.address().toString()).toList();
        Optional<TunInfo> tun = info.tun();
        boolean vlan = kind == LinkKind.VLAN;
        return new Link(address, kind, info.name(), info.masterName(), vlan ? Optional.empty() : info.mac(), info.mtu(), info.up(), own,
                tun.map(TunInfo::ownerUid).orElse(OptionalLong.empty()), tun.map(TunInfo::ownerGid).orElse(OptionalLong.empty()),
                vlan ? info.vlanId() : OptionalInt.empty(), vlan ? info.linkName() : Optional.empty(),
                info.masterName().isPresent() ? info.portFlags() : Optional.empty());
    }

    // ---- changes

    @Override
    public void create(Link link) {
        LinkPortEdge.run(LinkPortEdge.object(link.name()), () -> createLink(link));
    }

    private void createLink(Link link) {
        String temporary = InterfaceNames.temporary(random);
        switch (link.kind()) {
            case BRIDGE -> rtnl.createBridge(temporary, link.mac().map(BridgeOptions.DEFAULTS::withMac).orElse(BridgeOptions.DEFAULTS));
            case TAP -> {
                long uid = link.ownerUid().orElseThrow(() -> new IllegalArgumentException(link.address() + ": a tap needs an owner uid"));
                long gid = link.ownerGid().orElse(uid);
                netns.run(() -> Tun.createPersistentTap(temporary, uid, gid));
            }
            case VLAN -> rtnl.createVlan(temporary, link.vlanParent().orElseThrow(() -> new IllegalArgumentException(
                    link.address() + ": a VLAN needs a parent")), link.vlanId().orElseThrow(() -> new IllegalArgumentException(
                    link.address() + ": a VLAN needs an id")));
            case VETH -> throw new IllegalArgumentException(link.address() + ": qfence does not create veth links");
        }
        try {
            rtnl.renameWithAlias(temporary, link.name(), link.alias());
        } catch (RuntimeException e) {
            try {
                rtnl.deleteLink(temporary);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup); // the next apply deletes it as a leftover
            }
            throw e;
        }
        configure(link, current(link), true);
    }

    /**
     * Creates many links with a few datagrams instead of several round trips per link, in four phases, each one batch
     * ({@link LinkBatch}: many requests per {@code sendmsg}, their acknowledgements read together, one outcome per
     * request): (1) every link under a fresh temporary name and down (bridges and VLANs in one batch; taps through
     * {@code /dev/net/tun} in one visit to the namespace's thread); (2) one {@code RTM_NEWLINK} per link giving its final
     * name and alias, exactly as {@link #create}; (3) one dump of links and one of addresses, which must show each link
     * under its final name with qfence's alias; (4) every link's configuration (master, port flags, MTU, MAC,
     * addresses, up), computed against what that dump showed. A link that failed a phase takes no part in the later
     * ones; a link whose rename failed has its temporary deleted (else it stays a leftover, which the next plan
     * deletes). Crash safety is {@link #create}'s: a link with a final name has carried qfence's alias from the start.
     */
    @Override
    public List<Optional<HostPortException>> createAll(List<Link> links) {
        List<Optional<RuntimeException>> outcomes = LinkPortEdge.call("links", () -> createLinks(links));
        List<Optional<HostPortException>> translated = new ArrayList<>(outcomes.size());
        for (int i = 0; i < outcomes.size(); i++) {
            String object = LinkPortEdge.object(links.get(i).name());
            translated.add(outcomes.get(i).map(e -> LinkPortEdge.translate(object, e)));
        }
        return translated;
    }

    private List<Optional<RuntimeException>> createLinks(List<Link> links) {
        int n = links.size();
        RuntimeException[] failure = new RuntimeException[n];
        String[] temporary = new String[n];
        // (1) temporaries
        LinkBatch made = rtnl.batch();
        List<Integer> madeBy = new ArrayList<>();
        List<Integer> taps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Link link = links.get(i);
            temporary[i] = InterfaceNames.temporary(random);
            try {
                switch (link.kind()) {
                    case BRIDGE -> made.createBridge(temporary[i], link.mac().map(BridgeOptions.DEFAULTS::withMac).orElse(BridgeOptions.DEFAULTS));
                    case VLAN -> made.createVlan(temporary[i], link.vlanParent().orElseThrow(() -> new IllegalArgumentException(
                            link.address() + ": a VLAN needs a parent")), link.vlanId().orElseThrow(() -> new IllegalArgumentException(
                            link.address() + ": a VLAN needs an id")));
                    case TAP -> {
                        link.ownerUid().orElseThrow(() -> new IllegalArgumentException(link.address() + ": a tap needs an owner uid"));
                        taps.add(i);
                        continue;
                    }
                    case VETH -> throw new IllegalArgumentException(link.address() + ": qfence does not create veth links");
                }
                madeBy.add(i);
            } catch (RuntimeException e) {
                failure[i] = e;
            }
        }
        record(made.execute(), madeBy, failure);
        if (!taps.isEmpty()) {
            netns.run(() -> {
                for (int i : taps) {
                    Link link = links.get(i);
                    long uid = link.ownerUid().getAsLong();
                    try {
                        Tun.createPersistentTap(temporary[i], uid, link.ownerGid().orElse(uid));
                    } catch (RuntimeException e) {
                        failure[i] = e;
                    }
                }
            });
        }
        // (2) final name and alias in one request per link
        LinkBatch renames = rtnl.batch();
        List<Integer> renamed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (failure[i] == null) {
                renames.renameWithAlias(temporary[i], links.get(i).name(), links.get(i).alias());
                renamed.add(i);
            }
        }
        record(renames.execute(), renamed, failure);
        LinkBatch cleanup = rtnl.batch();
        for (int i : renamed) {
            if (failure[i] != null) {
                cleanup.deleteLink(temporary[i]);
            }
        }
        if (cleanup.size() > 0) {
            cleanup.execute(); // best effort: a temporary that stays is a leftover the next plan deletes
        }
        // (3) each link as the kernel has it now, which must be qfence's
        Map<String, LinkInfo> byName = new HashMap<>();
        for (LinkInfo info : rtnl.links()) {
            byName.put(info.name(), info);
        }
        List<AddressInfo> addresses = rtnl.addresses();
        // (4) configuration, all links in one batch; never onto a master of this batch that failed (its name may be
        // someone else's link)
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < n; i++) {
            position.put(links.get(i).name(), i);
        }
        LinkBatch configure = rtnl.batch();
        List<Integer> configuredBy = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (failure[i] != null) {
                continue;
            }
            Link link = links.get(i);
            Integer master = link.master().map(position::get).orElse(null);
            if (master != null && failure[master] != null) {
                failure[i] = LinkPortEdge.refused("configure", link.name(), "left unconfigured: its master " + link.master().get()
                        + " could not be created (" + failure[master].getMessage() + ")");
                continue;
            }
            LinkInfo have = byName.get(link.name());
            try {
                requireOwnedInfo(link, Optional.ofNullable(have));
            } catch (RuntimeException e) {
                failure[i] = e;
                continue;
            }
            int added = configureInto(configure, link, have, addresses, true);
            for (int k = 0; k < added; k++) {
                configuredBy.add(i);
            }
        }
        record(configure.execute(), configuredBy, failure);
        List<Optional<RuntimeException>> outcomes = new ArrayList<>(n);
        for (RuntimeException f : failure) {
            outcomes.add(Optional.ofNullable(f));
        }
        return outcomes;
    }

    /** Gives each failed request's error to the link it was for ({@code owners}: the link of each request, in order). */
    private static void record(BatchResult result, List<Integer> owners, RuntimeException[] failure) {
        List<BatchResult.RequestOutcome> outcomes = result.outcomes();
        for (int k = 0; k < outcomes.size(); k++) {
            int i = owners.get(k);
            if (failure[i] == null && outcomes.get(k).failure().isPresent()) {
                failure[i] = outcomes.get(k).failure().get();
            }
        }
    }

    @Override
    public void update(Link before, Link after) {
        LinkPortEdge.run(LinkPortEdge.object(after.name()), () -> updateLink(before, after));
    }

    private void updateLink(Link before, Link after) {
        if (!before.name().equals(after.name()) || before.kind() != after.kind()) {
            throw new IllegalArgumentException(after.address() + ": name and kind change only by replacement");
        }
        configure(after, current(after), false);
    }

    @Override
    public void delete(Link link) {
        LinkPortEdge.run(LinkPortEdge.object(link.name()), () -> deleteLink(link));
    }

    private void deleteLink(Link link) {
        if (rtnl.link(link.name()).isEmpty()) {
            return; // already gone: the post-condition holds
        }
        requireOwned(link);
        rtnl.deleteLink(link.name());
    }

    @Override
    public void deleteAll(List<Link> links) {
        LinkPortEdge.run("links " + String.join(", ", links.stream().map(Link::name).toList()), () -> deleteLinks(links));
    }

    private void deleteLinks(List<Link> links) {
        List<String> names = new ArrayList<>();
        for (Link l : links) {
            if (rtnl.link(l.name()).isPresent()) {
                requireOwned(l);
                names.add(l.name());
            }
        }
        if (names.size() == 1) {
            rtnl.deleteLink(names.get(0));
        } else if (!names.isEmpty()) {
            BatchResult result = rtnl.deleteLinks(names);
            List<NetlinkException> failures = result.failures().stream().filter(e -> e.errno() != NetlinkException.ENODEV).toList();
            if (!failures.isEmpty()) {
                new BatchResult(result.outcomes().stream().filter(o -> o.failure().map(failures::contains).orElse(false)).toList()).orThrow();
            }
        }
    }

    /** The link as the kernel has it now, which must be qfence's link at the same address. */
    private LinkInfo current(Link link) {
        return requireOwnedInfo(link, rtnl.link(link.name()));
    }

    private static LinkInfo requireOwnedInfo(Link link, Optional<LinkInfo> found) {
        LinkInfo info = found.orElseThrow(() -> LinkPortEdge.refused("check ownership", link.name(), "there is no link named " + link.name()));
        if (!info.alias().equals(Optional.of(link.alias()))) {
            throw LinkPortEdge.refused("check ownership", link.name(), "link " + link.name() + " is not qfence's " + link.address()
                    + " (its alias is " + info.alias().map(a -> "'" + a + "'").orElse("not set") + "); it is left alone");
        }
        return info;
    }

    /**
     * Deleting needs proof that the link is qfence's: its alias names the link's address, or, for a leftover, the
     * link has a temporary name or any alias of qfence's (the loser of two links that claimed one address).
     */
    private void requireOwned(Link link) {
        if (Addresses.isLeftover(link.address())) {
            Optional<LinkInfo> info = rtnl.link(link.name());
            boolean ours = InterfaceNames.isTemporary(link.name())
                    || info.flatMap(LinkInfo::alias).filter(a -> a.startsWith(ALIAS_PREFIX)).isPresent();
            if (info.isPresent() && !ours) {
                throw LinkPortEdge.refused("check ownership", link.name(), "link " + link.name() + " is not qfence's; it is left alone");
            }
            return;
        }
        current(link);
    }

    /**
     * @param created a bridge just created gets its MTU set explicitly even when it already has it: the kernel keeps
     *                an MTU set on the bridge, while the default one follows its ports as they join
     */
    private void configure(Link want, LinkInfo have, boolean created) {
        LinkBatch batch = rtnl.batch();
        configureInto(batch, want, have, rtnl.addresses(have.index()), created);
        if (batch.size() > 0) {
            batch.execute().orThrow();
        }
    }

    /**
     * Adds to {@code batch} what turns {@code have} into {@code want}, in order; returns how many requests it added.
     *
     * @param addresses addresses as the kernel listed them (of this link, or of several: only this link's count)
     */
    private static int configureInto(LinkBatch batch, Link want, LinkInfo have, List<AddressInfo> addresses, boolean created) {
        String name = want.name();
        int before = batch.size();
        boolean masterChanges = !want.master().equals(have.masterName());
        if (masterChanges) {
            if (want.master().isPresent()) {
                batch.setMaster(name, want.master().get());
            } else {
                batch.clearMaster(name);
            }
        }
        if (want.master().isPresent() && want.portFlags().isPresent()) {
            PortFlags flags = want.portFlags().get();
            if (masterChanges || !have.portFlags().equals(Optional.of(flags))) {
                batch.setBridgePortFlags(name, flags);
            }
        }
        if (have.mtu() != want.mtu() || (created && want.kind() == LinkKind.BRIDGE)) {
            batch.setMtu(name, want.mtu());
        }
        if (want.mac().isPresent() && !have.mac().equals(want.mac())) {
            batch.setMac(name, want.mac().get());
        }
        Set<String> present = new TreeSet<>();
        addresses.stream().filter(a -> a.linkIndex() == have.index() && a.scope() == 0).forEach(a -> present.add(a.address().toString()));
        for (String a : present) {
            if (!want.addresses().contains(a)) {
                batch.removeAddress(name, InterfaceAddress.parse(a));
            }
        }
        for (String a : want.addresses()) {
            if (!present.contains(a)) {
                batch.addAddress(name, InterfaceAddress.parse(a));
            }
        }
        if (have.up() != want.up()) {
            if (want.up()) {
                batch.setUp(name);
            } else {
                batch.setDown(name);
            }
        }
        return batch.size() - before;
    }
}
