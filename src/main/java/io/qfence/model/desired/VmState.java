package io.qfence.model.desired;

/** The lifecycle state a VM should be in. A stopped VM keeps its network, firewall rules and cgroup. */
public enum VmState {
    RUNNING, STOPPED
}
