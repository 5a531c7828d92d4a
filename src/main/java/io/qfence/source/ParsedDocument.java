package io.qfence.source;

import com.fasterxml.jackson.databind.JsonNode;

/** One YAML file after hardened parsing: its content as a JSON tree, and where every node was written. */
record ParsedDocument(String file, JsonNode root, MarkIndex marks) {}
