package io.qfence.model.host;

/** The value of one of qfence's named nft counters when observed, e.g. hits on a drop rule. */
public record CounterSample(String table, String counter, long packets, long bytes) {}
