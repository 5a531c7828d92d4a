package io.qfence.model.host;

/** Which cgroup filesystem the host uses for qfence's controllers. A host fact, detected at observation. */
public enum CgroupVersion {
    V1, V2
}
