/**
 * rtnetlink over jnr-ffi: links and addresses of one network namespace.
 *
 * <h2>Layers</h2>
 * <ul>
 *   <li>{@link io.qfence.platform.os.NetlinkSocket} (platform.os): the socket syscalls. A socket belongs to the
 *       namespace of the thread that opened it; {@link io.qfence.platform.netlink.RtnlClient#open} opens it on the
 *       namespace's thread.</li>
 *   <li>Codec (package-private): {@code MessageWriter} writes nlmsghdr, ifinfomsg, ifaddrmsg and (nested) attributes
 *       with 4-byte alignment; {@code NetlinkMessage} and {@code Attributes} parse replies in place.</li>
 *   <li>Engine ({@code NetlinkChannel}): sequence numbers, up to 256 requests per datagram with their ACKs matched by
 *       sequence number, dumps read to {@code NLMSG_DONE} and retried when the kernel flags them interrupted
 *       ({@code NLM_F_DUMP_INTR}), {@code NLMSG_ERROR} with extended ACK turned into {@link
 *       io.qfence.platform.netlink.NetlinkException}.</li>
 *   <li>{@link io.qfence.platform.netlink.RtnlClient} and {@link io.qfence.platform.netlink.LinkBatch}: typed
 *       operations; {@link io.qfence.platform.netlink.LinkCapabilities}: what this kernel can create.</li>
 * </ul>
 *
 * <h2>Kernel behaviour worth knowing (Linux 6.18, measured)</h2>
 * <ul>
 *   <li>A bridge created with an MTU takes its ports' MTU again when they are enslaved; only an MTU set on the
 *       existing bridge ({@code setMtu}) sticks.</li>
 *   <li>Operstate is updated asynchronously after {@code setUp}; compare {@code up()} (IFF_UP), not operstate.</li>
 *   <li>{@code IFLA_BR_VLAN_FILTERING} is reported even without {@code CONFIG_BRIDGE_VLAN_FILTERING}.</li>
 *   <li>Deleting links: 25 to 60 ms per link one by one, the same per link when 1200 {@code RTM_DELLINK}s are
 *       sent batched (the kernel unregisters each message's link on its own, paying RCU synchronization each time),
 *       5 to 9 s for 1200 links as one netdev group ({@link io.qfence.platform.netlink.RtnlClient#deleteLinks}). An
 *       {@code ip netns del} returns at once, but the kernel's cleanup then holds the RTNL lock for about 4 s (1200
 *       links), stalling every rtnetlink user on the host. (2 vCPUs at load average 10 to 16 from parallel test
 *       suites; {@code bench/scale links}.)</li>
 * </ul>
 */
package io.qfence.platform.netlink;
