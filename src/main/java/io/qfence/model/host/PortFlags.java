package io.qfence.model.host;

/**
 * Bridge-port flags of a tap. {@code isolated} ports cannot talk to each other through the bridge (only to
 * non-isolated ports); {@code neighSuppress} answers ARP/ND from the bridge's table instead of flooding.
 */
public record PortFlags(boolean isolated, boolean learning, boolean neighSuppress) {}
