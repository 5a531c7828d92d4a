package io.qfence.model.desired;

/** Whether VMs of one group may talk to each other freely ({@code ALLOW}) or only by exception ({@code DENY}). */
public enum IntraGroup {
    ALLOW, DENY
}
