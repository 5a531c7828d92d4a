package io.qfence.model.desired;

/** Whether a group's VMs may reach the internet (masqueraded behind the host), beyond explicit exceptions. */
public enum Egress {
    NONE, NAT
}
